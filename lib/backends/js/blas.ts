// blas.ts — the few level-1 BLAS routines the kernels need (native/kernels/blas.h), plus the
// element-type cast that the C++ templates write as T(x). Arrays are addressed as (array, offset),
// the TypeScript spelling of a C pointer, so no kernel creates a subarray view.

import type { FloatArray } from '../../engine';

/** A constructor of the network's float array type (Float32Array or Float64Array). */
export type FloatArrayConstructor = new (length: number) => FloatArray;

/**
 * `T(v)` of the C++ kernels: `v` rounded to the element type of `like` (float32 or float64).
 * Used for the scalar constants the native code converts to T once per call (learning rate,
 * scale factors, slopes); element arithmetic rounds when it is stored into the typed array.
 */
export function cast(like: FloatArray, v: number): number {
  return like instanceof Float32Array ? Math.fround(v) : v;
}

/**
 * ‖x[off .. off+n)‖₂ (cblas_?nrm2). The sum of squares is taken in double precision; for a
 * Float32Array the result is rounded to float32, as cblas_snrm2 returns a float.
 */
export function nrm2(x: FloatArray, off: number, n: number): number {
  const end = off + n;
  let s0 = 0, s1 = 0;
  let k = off;
  for (; k + 1 < end; k += 2) {
    const a = x[k], b = x[k + 1];
    s0 += a * a;
    s1 += b * b;
  }
  if (k < end) s0 += x[k] * x[k];
  let norm = Math.sqrt(s0 + s1);
  if (norm === Infinity) norm = scaledNorm(x, off, n); // the squares overflowed, the norm may not have
  return cast(x, norm);
}

/** ‖x‖₂ by the scaled sum of squares (LAPACK's dnrm2), safe from overflow; the slow path of nrm2. */
function scaledNorm(x: FloatArray, off: number, n: number): number {
  let scale = 0, ssq = 1;
  for (let k = off; k < off + n; k++) {
    const a = Math.abs(x[k]);
    if (a === 0) continue;
    if (a === Infinity || Number.isNaN(a)) return a;
    if (scale < a) {
      ssq = 1 + ssq * (scale / a) * (scale / a);
      scale = a;
    } else {
      ssq += (a / scale) * (a / scale);
    }
  }
  return scale * Math.sqrt(ssq);
}

/** x[off .. off+n) *= alpha (cblas_?scal); `alpha` should already be cast to the element type. */
export function scal(x: FloatArray, off: number, n: number, alpha: number): void {
  const end = off + n;
  for (let k = off; k < end; k++) x[k] *= alpha;
}
