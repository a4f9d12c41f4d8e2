// dense.ts — one fully connected layer, forward and backward (native/kernels/dense.h), as loops
// over typed arrays. Shapes: A_prev [B × in], W [out × in] row-major, b [out], Z [B × out],
// delta [B × out]. Every array is passed as (array, offset), the TypeScript spelling of a pointer.
//
// How the loops use the machine:
// - The inner loop always runs over contiguous memory (a row of A_prev, W, dW or dA).
// - Register blocking: the main loops handle 4 rows of the batch × 4 rows of W per sweep, so each
//   element loaded is used four times and 16 independent accumulations keep the FPU busy. Narrower
//   loops (4 × 1, 1 × 4, 1 × 1) take the ragged edges.
// - Cache blocking: the rows of W (or dW) are processed in tiles of about TILE_ELEMENTS elements, so
//   a tile stays in cache while every row of the batch goes past it.
// Each output element of denseForward is one sequential sum over j whichever loop computes it, so a
// row's result does not depend on the batch it is in.

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
 * biasActivationForward, as in native). Z[i,k] is the dot product of row i of A_prev and row k of W.
 */
export function denseForward(
  A: FloatArray, aOff: number,
  W: FloatArray, wOff: number,
  Z: FloatArray, zOff: number,
  B: number, inputs: number, outputs: number,
): void {
  const tile = tileRows(inputs);
  const B4 = B & ~3;
  for (let k0 = 0; k0 < outputs; k0 += tile) {
    const kEnd = Math.min(outputs, k0 + tile);
    const kEnd4 = k0 + ((kEnd - k0) & ~3);
    let i = 0;
    for (; i < B4; i += 4) {
      const a0 = aOff + i * inputs, a1 = a0 + inputs, a2 = a1 + inputs, a3 = a2 + inputs;
      const z0 = zOff + i * outputs, z1 = z0 + outputs, z2 = z1 + outputs, z3 = z2 + outputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        // 4 × 4 block: Z[i+r, k+c] = A[i+r,:] · W[k+c,:]
        const w0 = wOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let j = 0; j < inputs; j++) {
          const y0 = W[w0 + j], y1 = W[w1 + j], y2 = W[w2 + j], y3 = W[w3 + j];
          let x = A[a0 + j];
          s00 += x * y0; s01 += x * y1; s02 += x * y2; s03 += x * y3;
          x = A[a1 + j];
          s10 += x * y0; s11 += x * y1; s12 += x * y2; s13 += x * y3;
          x = A[a2 + j];
          s20 += x * y0; s21 += x * y1; s22 += x * y2; s23 += x * y3;
          x = A[a3 + j];
          s30 += x * y0; s31 += x * y1; s32 += x * y2; s33 += x * y3;
        }
        Z[z0 + k] = s00; Z[z0 + k + 1] = s01; Z[z0 + k + 2] = s02; Z[z0 + k + 3] = s03;
        Z[z1 + k] = s10; Z[z1 + k + 1] = s11; Z[z1 + k + 2] = s12; Z[z1 + k + 3] = s13;
        Z[z2 + k] = s20; Z[z2 + k + 1] = s21; Z[z2 + k + 2] = s22; Z[z2 + k + 3] = s23;
        Z[z3 + k] = s30; Z[z3 + k + 1] = s31; Z[z3 + k + 2] = s32; Z[z3 + k + 3] = s33;
      }
      for (; k < kEnd; k++) {
        // 4 × 1 edge: the last rows of W
        const w0 = wOff + k * inputs;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < inputs; j++) {
          const y = W[w0 + j];
          s0 += A[a0 + j] * y; s1 += A[a1 + j] * y; s2 += A[a2 + j] * y; s3 += A[a3 + j] * y;
        }
        Z[z0 + k] = s0; Z[z1 + k] = s1; Z[z2 + k] = s2; Z[z3 + k] = s3;
      }
    }
    for (; i < B; i++) {
      // 1 × 4 and 1 × 1 edge: the last rows of the batch (every row when B < 4)
      const a0 = aOff + i * inputs, z0 = zOff + i * outputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        const w0 = wOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < inputs; j++) {
          const x = A[a0 + j];
          s0 += x * W[w0 + j]; s1 += x * W[w1 + j]; s2 += x * W[w2 + j]; s3 += x * W[w3 + j];
        }
        Z[z0 + k] = s0; Z[z0 + k + 1] = s1; Z[z0 + k + 2] = s2; Z[z0 + k + 3] = s3;
      }
      for (; k < kEnd; k++) {
        const w0 = wOff + k * inputs;
        let s = 0;
        for (let j = 0; j < inputs; j++) s += A[a0 + j] * W[w0 + j];
        Z[z0 + k] = s;
      }
    }
  }
}

/**
 * dW += alpha · deltaᵀ A_prev (∂L/∂W^l = Σ over the batch of δ^l (a^(l-1))ᵀ) and
 * db += alpha · column sums of delta (∂L/∂b^l = Σ δ^l).
 *
 * With alpha = 1 this accumulates the gradient; with dW = W, db = b and alpha = −η it is the plain SGD
 * update fused into the backward pass. Loop order i-k-j: batch row i adds alpha·δ[i,k] · A_prev[i,:]
 * to row k of dW, four batch rows and four rows of dW per sweep, so the inner loop streams rows.
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
    const kEnd4 = k0 + ((kEnd - k0) & ~3);
    let i = 0;
    for (; i < B4; i += 4) {
      const d0 = dOff + i * outputs, d1 = d0 + outputs, d2 = d1 + outputs, d3 = d2 + outputs;
      const a0 = aOff + i * inputs, a1 = a0 + inputs, a2 = a1 + inputs, a3 = a2 + inputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        // 4 × 4 block: dW[k+c,:] += Σ_r alpha·δ[i+r,k+c] · A[i+r,:]
        const s00 = alpha * delta[d0 + k], s01 = alpha * delta[d1 + k], s02 = alpha * delta[d2 + k], s03 = alpha * delta[d3 + k];
        const s10 = alpha * delta[d0 + k + 1], s11 = alpha * delta[d1 + k + 1], s12 = alpha * delta[d2 + k + 1], s13 = alpha * delta[d3 + k + 1];
        const s20 = alpha * delta[d0 + k + 2], s21 = alpha * delta[d1 + k + 2], s22 = alpha * delta[d2 + k + 2], s23 = alpha * delta[d3 + k + 2];
        const s30 = alpha * delta[d0 + k + 3], s31 = alpha * delta[d1 + k + 3], s32 = alpha * delta[d2 + k + 3], s33 = alpha * delta[d3 + k + 3];
        const w0 = dWOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        for (let j = 0; j < inputs; j++) {
          const x0 = A[a0 + j], x1 = A[a1 + j], x2 = A[a2 + j], x3 = A[a3 + j];
          dW[w0 + j] += s00 * x0 + s01 * x1 + (s02 * x2 + s03 * x3);
          dW[w1 + j] += s10 * x0 + s11 * x1 + (s12 * x2 + s13 * x3);
          dW[w2 + j] += s20 * x0 + s21 * x1 + (s22 * x2 + s23 * x3);
          dW[w3 + j] += s30 * x0 + s31 * x1 + (s32 * x2 + s33 * x3);
        }
      }
      for (; k < kEnd; k++) {
        // 4 × 1 edge: the last rows of dW
        const s0 = alpha * delta[d0 + k], s1 = alpha * delta[d1 + k], s2 = alpha * delta[d2 + k], s3 = alpha * delta[d3 + k];
        const w0 = dWOff + k * inputs;
        for (let j = 0; j < inputs; j++) dW[w0 + j] += s0 * A[a0 + j] + s1 * A[a1 + j] + (s2 * A[a2 + j] + s3 * A[a3 + j]);
      }
    }
    for (; i < B; i++) {
      // 1 × 4 and 1 × 1 edge: the last rows of the batch (every row when B < 4)
      const d0 = dOff + i * outputs, a0 = aOff + i * inputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        const s0 = alpha * delta[d0 + k], s1 = alpha * delta[d0 + k + 1], s2 = alpha * delta[d0 + k + 2], s3 = alpha * delta[d0 + k + 3];
        const w0 = dWOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        for (let j = 0; j < inputs; j++) {
          const x = A[a0 + j];
          dW[w0 + j] += s0 * x; dW[w1 + j] += s1 * x; dW[w2 + j] += s2 * x; dW[w3 + j] += s3 * x;
        }
      }
      for (; k < kEnd; k++) {
        const s = alpha * delta[d0 + k];
        const w0 = dWOff + k * inputs;
        for (let j = 0; j < inputs; j++) dW[w0 + j] += s * A[a0 + j];
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
 * dropout mask and g'. Loop order i-k-j: row i of dA_prev accumulates δ[i,k] · W[k,:], four batch rows
 * and four rows of W per sweep, so the inner loop streams rows.
 */
export function denseBackwardInput(
  delta: FloatArray, dOff: number,
  W: FloatArray, wOff: number,
  dA: FloatArray, daOff: number,
  B: number, inputs: number, outputs: number,
): void {
  dA.fill(0, daOff, daOff + B * inputs);
  const tile = tileRows(inputs);
  const B4 = B & ~3;
  for (let k0 = 0; k0 < outputs; k0 += tile) {
    const kEnd = Math.min(outputs, k0 + tile);
    const kEnd4 = k0 + ((kEnd - k0) & ~3);
    let i = 0;
    for (; i < B4; i += 4) {
      const d0 = dOff + i * outputs, d1 = d0 + outputs, d2 = d1 + outputs, d3 = d2 + outputs;
      const o0 = daOff + i * inputs, o1 = o0 + inputs, o2 = o1 + inputs, o3 = o2 + inputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        // 4 × 4 block: dA[i+r,:] += Σ_c δ[i+r,k+c] · W[k+c,:]
        const s00 = delta[d0 + k], s01 = delta[d0 + k + 1], s02 = delta[d0 + k + 2], s03 = delta[d0 + k + 3];
        const s10 = delta[d1 + k], s11 = delta[d1 + k + 1], s12 = delta[d1 + k + 2], s13 = delta[d1 + k + 3];
        const s20 = delta[d2 + k], s21 = delta[d2 + k + 1], s22 = delta[d2 + k + 2], s23 = delta[d2 + k + 3];
        const s30 = delta[d3 + k], s31 = delta[d3 + k + 1], s32 = delta[d3 + k + 2], s33 = delta[d3 + k + 3];
        const w0 = wOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        for (let j = 0; j < inputs; j++) {
          const y0 = W[w0 + j], y1 = W[w1 + j], y2 = W[w2 + j], y3 = W[w3 + j];
          dA[o0 + j] += s00 * y0 + s01 * y1 + (s02 * y2 + s03 * y3);
          dA[o1 + j] += s10 * y0 + s11 * y1 + (s12 * y2 + s13 * y3);
          dA[o2 + j] += s20 * y0 + s21 * y1 + (s22 * y2 + s23 * y3);
          dA[o3 + j] += s30 * y0 + s31 * y1 + (s32 * y2 + s33 * y3);
        }
      }
      for (; k < kEnd; k++) {
        // 4 × 1 edge: the last rows of W
        const s0 = delta[d0 + k], s1 = delta[d1 + k], s2 = delta[d2 + k], s3 = delta[d3 + k];
        const w0 = wOff + k * inputs;
        for (let j = 0; j < inputs; j++) {
          const y = W[w0 + j];
          dA[o0 + j] += s0 * y; dA[o1 + j] += s1 * y; dA[o2 + j] += s2 * y; dA[o3 + j] += s3 * y;
        }
      }
    }
    for (; i < B; i++) {
      // 1 × 4 and 1 × 1 edge: the last rows of the batch (every row when B < 4)
      const d0 = dOff + i * outputs, o0 = daOff + i * inputs;
      let k = k0;
      for (; k < kEnd4; k += 4) {
        const s0 = delta[d0 + k], s1 = delta[d0 + k + 1], s2 = delta[d0 + k + 2], s3 = delta[d0 + k + 3];
        const w0 = wOff + k * inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs;
        for (let j = 0; j < inputs; j++) dA[o0 + j] += s0 * W[w0 + j] + s1 * W[w1 + j] + (s2 * W[w2 + j] + s3 * W[w3 + j]);
      }
      for (; k < kEnd; k++) {
        const s = delta[d0 + k];
        const w0 = wOff + k * inputs;
        for (let j = 0; j < inputs; j++) dA[o0 + j] += s * W[w0 + j];
      }
    }
  }
}
