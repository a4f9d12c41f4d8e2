// The dense row-major matrix that the data loaders produce and the network consumes.

import { DTypeError, ShapeError } from '../errors';
import { describe } from '../options';
import type { DType, FloatArray } from '../dtype';

/** The floating-point element types a {@link Matrix} can hold. */
export type MatrixData = FloatArray;

/**
 * A dense matrix stored row-major: element (i, j) is `data[i * shape[1] + j]`, and
 * `data.length === shape[0] * shape[1]`.
 */
export interface Matrix<A extends FloatArray = FloatArray> {
  /** The elements, row after row. */
  data: A;
  /** `[rows, cols]`. */
  shape: [number, number];
}

/** The element type of a matrix by name: `'float32'` ↔ Float32Array, `'float64'` ↔ Float64Array. */
export type MatrixDType = DType;

/** The array type that goes with a {@link MatrixDType}. */
export type MatrixDataOf<D extends MatrixDType> = D extends 'float64' ? Float64Array : Float32Array;

/**
 * Checks that `value` is a well-formed {@link Matrix}: a Float32Array or Float64Array and a shape
 * of two non-negative integers whose product is the array length.
 *
 * @param value - the object to check.
 * @param what - how to call it in the error message (for example `"x"`).
 * @throws DTypeError if `data` is not a Float32Array or Float64Array or `shape` is not an array.
 * @throws ShapeError if the shape is not two non-negative integers matching `data.length`.
 */
export function assertMatrix(value: Matrix, what: string): void {
  if (value === null || typeof value !== 'object') {
    throw new DTypeError(`${what} must be a matrix { data, shape: [rows, cols] }, got ${value === null ? 'null' : typeof value}`);
  }
  if (!(value.data instanceof Float32Array) && !(value.data instanceof Float64Array)) {
    throw new DTypeError(`${what}.data must be a Float32Array or Float64Array, got ${describe(value.data)}`);
  }
  const shape: unknown = value.shape;
  if (!Array.isArray(shape)) {
    throw new DTypeError(`${what}.shape must be an array [rows, cols], got ${describe(shape)}`);
  }
  if (shape.length !== 2 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(`${what}.shape must be two non-negative integers [rows, cols], got ${JSON.stringify(shape)}`);
  }
  const [rows, cols] = value.shape;
  if (rows * cols !== value.data.length) {
    throw new ShapeError(
      `${what} has shape [${rows}, ${cols}] (${rows * cols} elements) but its data has ${value.data.length} elements`,
    );
  }
}

/** Allocates a zero-filled array of the same element type as `like`. */
export function allocateLike<A extends MatrixData>(like: A, length: number): A {
  // One cast: TypeScript cannot see that the branch taken matches A.
  return (like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length)) as A;
}

/** Allocates a zero-filled array of the named element type. */
export function allocateOf<D extends MatrixDType>(dtype: D, length: number): MatrixDataOf<D> {
  return (dtype === 'float64' ? new Float64Array(length) : new Float32Array(length)) as MatrixDataOf<D>;
}
