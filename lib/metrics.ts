// Turning the backends' sums (lossSum, correct) into means. Accuracy counts, as native/kernels/losses.h
// does: per example by argmax with several outputs, per unit by the 0.5 threshold for binary
// cross-entropy or a single output.
import type { LossName } from './codes';

/** How many predictions `correct` is out of, for `rows` rows. */
export function accuracyDenominator(loss: LossName, outputs: number, rows: number): number {
  return loss === 'binary-cross-entropy' || outputs === 1 ? rows * outputs : rows;
}

/** Whether accuracy is a meaningful metric for this loss (classification losses). */
export function reportsAccuracy(loss: LossName): boolean {
  return loss !== 'mse';
}

/** Loss (mean over rows) and, for classification losses, accuracy. */
export interface Evaluation {
  loss: number;
  accuracy?: number;
}

/** The Evaluation of `rows` rows from a backend's sums (lossSum, correct). */
export function evaluationFromSums(loss: LossName, outputs: number, lossSum: number, correct: number, rows: number): Evaluation {
  const result: Evaluation = { loss: lossSum / rows };
  if (reportsAccuracy(loss)) result.accuracy = correct / accuracyDenominator(loss, outputs, rows);
  return result;
}
