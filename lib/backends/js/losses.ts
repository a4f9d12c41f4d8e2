// losses.ts — the output layer (native/kernels/losses.h): bias, g, the loss L(y, ŷ) and
// δ^L = ∂L/∂z^L in one pass per row. Losses are summed over a row's units and over the rows, each
// row times its weight w_i (1 without weights); the caller divides by Σ w_i (and passes
// deltaScale = 1/Σ w_i), so loss and gradients are weighted means Σ w_i L_i / Σ w_i.

import { LOSS_CODES } from '../../codes';
import type { FloatArray, LossStats } from '../../engine';
import { activationBackward, activationForward, sigmoid, softmaxRow } from './activations';
import { cast } from './blas';

const CROSS_ENTROPY = LOSS_CODES['cross-entropy'];
const BINARY_CROSS_ENTROPY = LOSS_CODES['binary-cross-entropy'];

/**
 * The targets of a batch: dense rows Y[B × out] from index `denseOff`, or (cross-entropy only)
 * class labels[B] from index `labelsOff`. Exactly one of `dense` and `labels` is set. Optionally
 * a weight per row, weights[B] from index `weightsOff`.
 */
export interface Targets {
  dense: FloatArray | null;
  denseOff: number;
  labels: Int32Array | null;
  labelsOff: number;
  weights: FloatArray | null;
  weightsOff: number;
}

/** Σ w_i over rows [off, off+rows) of `weights` in double, or the row count without weights. */
export function weightSum(weights: FloatArray | null, off: number, rows: number): number {
  if (weights === null) return rows;
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += weights[off + i];
  return sum;
}

/** The δ^L scale that makes gradients weighted means: 1 / Σ w_i, and 0 when every weight is 0. */
export function weightedMeanScale(sum: number): number {
  return sum > 0 ? 1 / sum : 0;
}

/**
 * Whether accuracy counts units on the right side of 0.5 (binary cross-entropy, or a single output)
 * rather than rows whose argmax matches. Cross-entropy always counts rows by argmax (its row
 * pass returns before the threshold rule, as in native).
 */
export function accuracyByThreshold(loss: number, outputs: number): boolean {
  return loss === BINARY_CROSS_ENTROPY || outputs === 1;
}

/** Index of the first largest element of x[off .. off+n). */
export function argmax(x: FloatArray, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (x[off + j] > x[off + best]) best = j;
  return best;
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/**
 * Z[B × out] (from index 0) holds A_prev Wᵀ on entry and a^L on return. When `delta` is not null it
 * receives δ^L · deltaScale · w_i (row i): a − y for softmax + cross-entropy and sigmoid + binary cross-entropy, and
 * (a − y) ⊙ g'(z) for mse (L = ½ Σ (y − a)²). Writes the batch's weighted loss sum, weighted correct
 * count and weight sum to `stats`. `slope` and `deltaScale` are already cast to the element type.
 */
export function outputLossDelta(
  loss: number, g: number, slope: number,
  Z: FloatArray, b: FloatArray, bOff: number,
  y: Targets, delta: FloatArray | null,
  B: number, out: number, deltaScale: number,
  stats: LossStats,
): void {
  const byThreshold = accuracyByThreshold(loss, out);
  const Y = y.dense, labels = y.labels, weights = y.weights;
  const f32 = Z instanceof Float32Array;
  let lossSum = 0, correct = 0;
  for (let i = 0; i < B; i++) {
    const zi = i * out; // row i of Z and of delta
    const yi = y.denseOff + i * out; // row i of Y
    const label = labels !== null ? labels[y.labelsOff + i] : -1;
    const w = weights !== null ? weights[y.weightsOff + i] : 1;
    const scale = weights !== null ? cast(Z, deltaScale * w) : deltaScale; // δ scale of this row
    for (let j = 0; j < out; j++) Z[zi + j] += b[bOff + j]; // z^L = W^L a^(L-1) + b^L

    if (loss === CROSS_ENTROPY) {
      // L = (Σ_k y_k) · log Σ exp(z) − Σ_k y_k z_k; for a one-hot y this is −log softmax(z)_label.
      let yDotZ = 0, ySum = 0;
      if (Y !== null) {
        for (let j = 0; j < out; j++) { yDotZ += Y[yi + j] * Z[zi + j]; ySum += Y[yi + j]; }
      } else {
        yDotZ = Z[zi + label];
        ySum = 1;
      }
      const lse = softmaxRow(Z, zi, out);
      lossSum += w * (ySum * lse - yDotZ);
      if (delta !== null) {
        const ySumT = cast(Z, ySum);
        for (let j = 0; j < out; j++) {
          const yj = Y !== null ? Y[yi + j] : j === label ? 1 : 0;
          delta[zi + j] = (Z[zi + j] * ySumT - yj) * scale; // δ = (a · Σy − y) w_i / Σw
        }
      }
      correct += argmax(Z, zi, out) === (Y !== null ? argmax(Y, yi, out) : label) ? w : 0;
      continue;
    }

    // Past this point the targets are dense (labels need cross-entropy).
    const Yd = Y as FloatArray;
    if (loss === BINARY_CROSS_ENTROPY) {
      // L = Σ_j softplus(z_j) − y_j z_j, i.e. −y log σ(z) − (1 − y) log(1 − σ(z)), finite for any z.
      for (let j = 0; j < out; j++) {
        const z = Z[zi + j];
        const sp = f32 ? Math.fround(softplus(z)) : softplus(z); // native evaluates softplus in T
        lossSum += w * (sp - Yd[yi + j] * z);
        Z[zi + j] = sigmoid(z);
        if (delta !== null) delta[zi + j] = (Z[zi + j] - Yd[yi + j]) * scale; // δ = (a − y) w_i / Σw
      }
    } else {
      // MSE with any activation but softmax: L = ½ Σ (a − y)².
      activationForward(g, slope, Z, zi, out);
      for (let j = 0; j < out; j++) {
        const r = Z[zi + j] - Yd[yi + j];
        lossSum += w * (0.5 * r * r);
        if (delta !== null) delta[zi + j] = (Z[zi + j] - Yd[yi + j]) * scale; // (a − y) w_i / Σw …
      }
      if (delta !== null) activationBackward(g, slope, Z, zi, delta, zi, out); // … ⊙ g'(z)
    }
    if (byThreshold) {
      for (let j = 0; j < out; j++) correct += (Z[zi + j] >= 0.5) === (Yd[yi + j] >= 0.5) ? w : 0;
    } else {
      correct += argmax(Z, zi, out) === argmax(Yd, yi, out) ? w : 0;
    }
  }
  stats.lossSum = lossSum;
  stats.correct = correct;
  stats.weightSum = weightSum(weights, y.weightsOff, B);
}
