// dense.ts — one fully connected layer, forward and backward (native/kernels/dense.h), as loops
// over typed arrays. Shapes: A_prev [B × in], W [out × in] row-major, b [out], Z [B × out],
// delta [B × out]. Every array is passed as (array, offset), the TypeScript spelling of a pointer.
//
// Cache use: the rows of W are processed in tiles of about TILE_ELEMENTS elements, so a tile stays
// in cache while every row of the batch goes past it; inside a tile four rows of W (or of the batch)
// are handled per sweep, which shares each load of the streamed row between four accumulators.
// The inner loop always runs over contiguous memory.

import type { FloatArray } from '../../engine';

/** Elements of W per cache tile (128 KiB of float64, 64 KiB of float32). */
const TILE_ELEMENTS = 16384;

/** Rows of W per tile for `inputs` columns: a multiple of 4, at least 4. */
function tileRows(inputs: number): number {
  const rows = Math.floor(TILE_ELEMENTS / inputs) & ~3;
  return rows > 4 ? rows : 4;
}

/**
 * Z = A_prev Wᵀ: z^l = W^l a^(l-1) for every row of the batch (the bias is added afterwards by
 * biasActivationForward, as in native). Each element is a dot product of a row of A_prev and a row of W.
 */
export function denseForward(
  A: FloatArray, aOff: number,
  W: FloatArray, wOff: number,
  Z: FloatArray, zOff: number,
  B: number, inputs: number, outputs: number,
): void {
  const tile = tileRows(inputs);
  for (let k0 = 0; k0 < outputs; k0 += tile) {
    const kEnd = Math.min(outputs, k0 + tile);
    const kEnd4 = k0 + ((kEnd - k0) & ~3);
    for (let i = 0; i < B; i++) {
      const ai = aOff + i * inputs;
      const aEnd = ai + inputs;
      const zi = zOff + i * outputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        // Four dot products a·w_k … a·w_(k+3) in one sweep over the row a.
        let w0 = wOff + k * inputs;
        let w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = ai; j < aEnd; j++) {
          const a = A[j];
          s0 += a * W[w0++];
          s1 += a * W[w1++];
          s2 += a * W[w2++];
          s3 += a * W[w3++];
        }
        Z[zi + k] = s0;
        Z[zi + k + 1] = s1;
        Z[zi + k + 2] = s2;
        Z[zi + k + 3] = s3;
      }
      for (; k < kEnd; k++) Z[zi + k] = dot(A, ai, W, wOff + k * inputs, inputs);
    }
  }
}

/** x[xOff ..] · y[yOff ..] over n elements, 4-way unrolled. */
function dot(x: FloatArray, xOff: number, y: FloatArray, yOff: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n4 = n & ~3;
  let j = 0;
  for (; j < n4; j += 4) {
    s0 += x[xOff + j] * y[yOff + j];
    s1 += x[xOff + j + 1] * y[yOff + j + 1];
    s2 += x[xOff + j + 2] * y[yOff + j + 2];
    s3 += x[xOff + j + 3] * y[yOff + j + 3];
  }
  for (; j < n; j++) s0 += x[xOff + j] * y[yOff + j];
  return s0 + s1 + (s2 + s3);
}

/**
 * dW += alpha · deltaᵀ A_prev (∂L/∂W^l = Σ over the batch of δ^l (a^(l-1))ᵀ) and
 * db += alpha · column sums of delta (∂L/∂b^l = Σ δ^l).
 *
 * With alpha = 1 this accumulates the gradient; with dW = W, db = b and alpha = −η it is the plain SGD
 * update fused into the backward pass. Loop order i-k-j: batch row i scales row i of A_prev by
 * alpha·δ[i,k] into row k of dW (four batch rows per sweep), so the inner loop streams rows.
 */
export function denseBackwardParams(
  delta: FloatArray, dOff: number,
  A: FloatArray, aOff: number,
  dW: FloatArray, dWOff: number,
  db: FloatArray, dbOff: number,
  B: number, inputs: number, outputs: number, alpha: number,
): void {
  const tile = tileRows(inputs);
  const B4 = B & ~3;
  for (let k0 = 0; k0 < outputs; k0 += tile) {
    const kEnd = Math.min(outputs, k0 + tile);
    let i = 0;
    for (; i < B4; i += 4) {
      const d0 = dOff + i * outputs, d1 = d0 + outputs, d2 = d1 + outputs, d3 = d2 + outputs;
      const a0 = aOff + i * inputs, a1 = a0 + inputs, a2 = a1 + inputs, a3 = a2 + inputs;
      for (let k = k0; k < kEnd; k++) {
        // dW[k,:] += Σ_(r<4) alpha·δ[i+r,k] · A[i+r,:]
        const s0 = alpha * delta[d0 + k], s1 = alpha * delta[d1 + k];
        const s2 = alpha * delta[d2 + k], s3 = alpha * delta[d3 + k];
        const w = dWOff + k * inputs;
        for (let j = 0; j < inputs; j++) {
          dW[w + j] += s0 * A[a0 + j] + s1 * A[a1 + j] + (s2 * A[a2 + j] + s3 * A[a3 + j]);
        }
      }
    }
    for (; i < B; i++) {
      const d0 = dOff + i * outputs;
      const a0 = aOff + i * inputs;
      for (let k = k0; k < kEnd; k++) {
        const s0 = alpha * delta[d0 + k];
        const w = dWOff + k * inputs;
        for (let j = 0; j < inputs; j++) dW[w + j] += s0 * A[a0 + j];
      }
    }
  }
  // db[j] += alpha · δ[i,j], row after row (native's explicit loop, same order).
  for (let i = 0; i < B; i++) {
    const d = dOff + i * outputs;
    for (let j = 0; j < outputs; j++) db[dbOff + j] += alpha * delta[d + j];
  }
}

/**
 * dA_prev = delta W: the first half of δ^(l-1) = (W^l)ᵀ δ^l ⊙ g'(z^(l-1)); the caller applies the
 * dropout mask and g'. Loop order i-k-j: row i of dA_prev accumulates δ[i,k] · W[k,:] (four rows of W
 * per sweep), so the inner loop streams rows.
 */
export function denseBackwardInput(
  delta: FloatArray, dOff: number,
  W: FloatArray, wOff: number,
  dA: FloatArray, daOff: number,
  B: number, inputs: number, outputs: number,
): void {
  dA.fill(0, daOff, daOff + B * inputs);
  const tile = tileRows(inputs);
  for (let k0 = 0; k0 < outputs; k0 += tile) {
    const kEnd = Math.min(outputs, k0 + tile);
    const kEnd4 = k0 + ((kEnd - k0) & ~3);
    for (let i = 0; i < B; i++) {
      const di = dOff + i * outputs;
      const ai = daOff + i * inputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        // dA[i,:] += Σ_(r<4) δ[i,k+r] · W[k+r,:]
        const s0 = delta[di + k], s1 = delta[di + k + 1], s2 = delta[di + k + 2], s3 = delta[di + k + 3];
        const w0 = wOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        for (let j = 0; j < inputs; j++) {
          dA[ai + j] += s0 * W[w0 + j] + s1 * W[w1 + j] + (s2 * W[w2 + j] + s3 * W[w3 + j]);
        }
      }
      for (; k < kEnd; k++) {
        const s0 = delta[di + k];
        const w0 = wOff + k * inputs;
        for (let j = 0; j < inputs; j++) dA[ai + j] += s0 * W[w0 + j];
      }
    }
  }
}
