// One-hot encoding of integer class labels.

import { ConfigError, DTypeError, LabelError } from '../errors';
import { checkKnownKeys, describe } from '../options';
import { allocateOf } from './matrix';
import type { Matrix, MatrixDataOf, MatrixDType } from './matrix';

/** Options of {@link oneHot}. */
export interface OneHotOptions<D extends MatrixDType = MatrixDType> {
  /** Element type of the result (default `'float32'`). */
  dtype?: D;
}

/**
 * Encodes class indices as one-hot rows: row i has a 1 in column `labels[i]` and 0 elsewhere.
 *
 * @param labels - class indices, integers in [0, classes).
 * @param classes - number of classes (columns); default: the largest label + 1.
 * @param options - `dtype` of the result (default `'float32'`).
 * @returns a labels.length × classes matrix.
 * @throws LabelError if a label is not an integer in [0, classes), naming its position.
 * @throws ConfigError if `classes` is not a positive integer, or is omitted for empty labels,
 *   or for an unknown option or dtype.
 * @throws DTypeError if `labels` is not an array or typed array of numbers.
 */
export function oneHot<D extends MatrixDType = 'float32'>(
  labels: ArrayLike<number>,
  classes?: number,
  options: OneHotOptions<D> = {},
): Matrix<MatrixDataOf<D>> {
  checkKnownKeys(options, ['dtype'], 'oneHot options');
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ConfigError(`oneHot: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new DTypeError(`oneHot: labels must be an array or typed array of class indices, got ${describe(labels)}`);
  }
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0) {
      throw new LabelError(`oneHot: labels[${i}] = ${String(label)} is not a non-negative integer class index`);
    }
  }
  let width: number;
  if (classes === undefined) {
    if (n === 0) throw new ConfigError('oneHot: cannot infer the number of classes from empty labels; pass classes');
    let max = 0;
    for (let i = 0; i < n; i++) if (labels[i] > max) max = labels[i];
    width = max + 1;
  } else {
    if (!Number.isSafeInteger(classes) || classes < 1) {
      throw new ConfigError(`oneHot: classes must be a positive integer, got ${String(classes)}`);
    }
    width = classes;
    for (let i = 0; i < n; i++) {
      if (labels[i] >= width) {
        throw new LabelError(`oneHot: labels[${i}] = ${labels[i]} is not a class index in [0, ${width})`);
      }
    }
  }
  const data = allocateOf(dtype as D, n * width);
  for (let i = 0; i < n; i++) data[i * width + labels[i]] = 1;
  return { data, shape: [n, width] };
}
