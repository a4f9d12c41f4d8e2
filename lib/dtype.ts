// The element types blasprop computes in, named once for every module.

/** Element type of weights, activations and data. */
export type DType = 'float32' | 'float64';

/** A floating-point array of one of the DTypes. */
export type FloatArray = Float32Array | Float64Array;

/** Every DType, for validation messages. */
export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** A zero-filled array of `length` elements of `dtype`. */
export function floatArray(dtype: DType, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

/** Bytes per element of `dtype`. */
export function elementBytes(dtype: DType): 4 | 8 {
  return dtype === 'float64' ? 8 : 4;
}
