// Totals of a training run from fit's history: training time and throughput, final metrics.
import type { EpochRecord, History } from '../fit';

/** What a run amounted to. */
export interface HistorySummary {
  epochs: number;
  /** Sum of the epochs' training seconds (validation excluded). */
  trainingSeconds: number;
  /** Training rows processed per second over the whole run. */
  samplesPerSecond: number;
  /** The last epoch's record, if any epoch ran. */
  last: EpochRecord | undefined;
}

/** Sums the history of a fit over `trainRows` rows per epoch. */
export function summarizeHistory(history: History, trainRows: number): HistorySummary {
  const trainingSeconds = history.epochs.reduce((sum, e) => sum + e.seconds, 0);
  const epochs = history.epochs.length;
  return {
    epochs,
    trainingSeconds,
    samplesPerSecond: trainingSeconds > 0 ? (epochs * trainRows) / trainingSeconds : 0,
    last: history.epochs[epochs - 1],
  };
}
