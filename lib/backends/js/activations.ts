// activations.ts — g(z) and g'(z) for the hidden and output layers (native/kernels/activations.h):
// a^l = g(z^l). g' is written in terms of a = g(z) alone, so the forward pass overwrites z with a.

import { ACTIVATION_CODES } from '../../codes';
import type { FloatArray } from '../../engine';

const IDENTITY = ACTIVATION_CODES.identity;
const SIGMOID = ACTIVATION_CODES.sigmoid;
const TANH = ACTIVATION_CODES.tanh;
const RELU = ACTIVATION_CODES.relu;
const LEAKY_RELU = ACTIVATION_CODES['leaky-relu'];
const SOFTMAX = ACTIVATION_CODES.softmax;

/** σ(z) = 1 / (1 + e^−z) without overflow: exp is only taken of a non-positive number. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Softmax of the row z[off .. off+n) in place, shifted by the row maximum (log-sum-exp trick):
 * a_j = e^(z_j − max) / Σ_k e^(z_k − max). Returns log Σ_k e^(z_k).
 */
export function softmaxRow(z: FloatArray, off: number, n: number): number {
  const end = off + n;
  let zmax = z[off];
  for (let j = off + 1; j < end; j++) zmax = z[j] > zmax ? z[j] : zmax;
  const f32 = z instanceof Float32Array; // native keeps sum and 1/sum in T
  let sum = 0;
  for (let j = off; j < end; j++) {
    z[j] = Math.exp(z[j] - zmax);
    sum = f32 ? Math.fround(sum + z[j]) : sum + z[j];
  }
  const inv = f32 ? Math.fround(1 / sum) : 1 / sum;
  for (let j = off; j < end; j++) z[j] *= inv;
  return zmax + Math.log(sum);
}

/** One row z[off .. off+n) in place: z becomes g(z). `slope` is the leaky-ReLU slope, cast to the element type. */
export function activationForward(g: number, slope: number, z: FloatArray, off: number, n: number): void {
  const end = off + n;
  switch (g) {
    case IDENTITY: break;
    case SIGMOID: for (let j = off; j < end; j++) z[j] = sigmoid(z[j]); break;
    case TANH: for (let j = off; j < end; j++) z[j] = Math.tanh(z[j]); break;
    case RELU: for (let j = off; j < end; j++) z[j] = z[j] > 0 ? z[j] : 0; break;
    case LEAKY_RELU: for (let j = off; j < end; j++) z[j] = z[j] > 0 ? z[j] : slope * z[j]; break;
    case SOFTMAX: softmaxRow(z, off, n); break;
    default: throw new Error(`blasprop js: unknown activation code ${g}`);
  }
}

/**
 * Z[rows × cols] (from index 0, a workspace buffer) holds A_prev Wᵀ; adds b to every row and applies g in place, one row at a time
 * while it is in cache: Z becomes A (z^l = W^l a^(l-1) + b^l, a^l = g(z^l)).
 */
export function biasActivationForward(
  g: number, slope: number, Z: FloatArray, b: FloatArray, bOff: number, rows: number, cols: number,
): void {
  for (let i = 0; i < rows; i++) {
    const zi = i * cols;
    for (let j = 0; j < cols; j++) Z[zi + j] += b[bOff + j];
    activationForward(g, slope, Z, zi, cols);
  }
}

/**
 * dA[off .. off+n) *= g'(z), with g' written in terms of A = g(z) (softmax is never a hidden layer,
 * so it passes the gradient through like identity). Leaky ReLU relies on slope ≥ 0, so sign(a) = sign(z).
 */
export function activationBackward(g: number, slope: number, A: FloatArray, aOff: number, dA: FloatArray, dOff: number, n: number): void {
  switch (g) {
    case IDENTITY: case SOFTMAX: break;
    case SIGMOID: for (let k = 0; k < n; k++) { const a = A[aOff + k]; dA[dOff + k] *= a * (1 - a); } break;
    case TANH: for (let k = 0; k < n; k++) { const a = A[aOff + k]; dA[dOff + k] *= 1 - a * a; } break;
    case RELU: for (let k = 0; k < n; k++) dA[dOff + k] = A[aOff + k] > 0 ? dA[dOff + k] : 0; break;
    case LEAKY_RELU: for (let k = 0; k < n; k++) dA[dOff + k] = A[aOff + k] > 0 ? dA[dOff + k] : slope * dA[dOff + k]; break;
    default: throw new Error(`blasprop js: unknown activation code ${g}`);
  }
}
