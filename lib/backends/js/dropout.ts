// dropout.ts — inverted dropout (Srivastava et al. 2014), as native/kernels/dropout.h: at training
// time each unit is kept with probability 1 − p and scaled by 1/(1 − p), so inference uses the full
// network unchanged.

import type { FloatArray } from '../../engine';
import { nextU32 } from '../../rng';
import { cast } from './blas';

/**
 * Draws mask[0 .. n) (0 or 1/(1 − p)) from the xoshiro128** state `rng`, advancing it in place by one
 * draw per element, and writes out = a ⊙ mask. A unit is dropped when its 32-bit draw u satisfies
 * u < p · 2³², the rule native follows too, so both backends draw identical masks.
 */
export function dropoutForward(
  p: number, rng: Uint32Array, a: FloatArray, aOff: number, mask: FloatArray, out: FloatArray, n: number,
): void {
  const threshold = p * 4294967296;
  const keepScale = cast(mask, 1 / (1 - p));
  for (let k = 0; k < n; k++) {
    const m = nextU32(rng) < threshold ? 0 : keepScale;
    mask[k] = m;
    out[k] = a[aOff + k] * m;
  }
}

/** dA[0 .. n) *= mask: the gradient flows only through the units the forward pass kept. */
export function dropoutBackward(mask: FloatArray, dA: FloatArray, n: number): void {
  for (let k = 0; k < n; k++) dA[k] *= mask[k];
}
