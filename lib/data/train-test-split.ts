// Seeded split of a dataset into a training part and a test part.

import { ConfigError, DTypeError, ShapeError } from '../errors';
import { Rng } from '../rng';
import { checkKnownKeys, describe } from '../options';
import { allocateLike, assertMatrix } from './matrix';
import type { Matrix, MatrixData } from './matrix';

/** What can be split alongside the features: 1-D labels or targets, or a target matrix. */
export type SplitTarget = Int32Array | Float32Array | Float64Array | Matrix;

/** Options of {@link trainTestSplit}. Give at most one of `testFraction` and `testSize`. */
export interface TrainTestSplitOptions {
  /** Fraction of the rows that go to the test set, in (0, 1); the count is rounded to nearest. Default 0.25. */
  testFraction?: number;
  /** Number of rows that go to the test set, an integer in [1, rows − 1]. */
  testSize?: number;
  /**
   * Seed of the {@link Rng} that shuffles the rows, an integer in [0, 2^32) (default 0, so a split
   * is reproducible unless asked otherwise; use different seeds for different splits).
   */
  seed?: number;
  /** Shuffle before splitting (default true). Without shuffling the test set is the last rows. */
  shuffle?: boolean;
}

/** The two parts of a split. Arrays are new; the inputs are not changed. */
export interface TrainTestSplit<X extends MatrixData, Y extends SplitTarget> {
  /** Features of the training rows. */
  xTrain: Matrix<X>;
  /** Labels or targets of the training rows, in the same order. */
  yTrain: Y;
  /** Features of the test rows. */
  xTest: Matrix<X>;
  /** Labels or targets of the test rows, in the same order. */
  yTest: Y;
}

const KNOWN_OPTIONS = ['testFraction', 'testSize', 'seed', 'shuffle'];

/**
 * Splits the rows of `x` and `y` into a training set and a test set.
 *
 * The row indices 0 … n−1 are shuffled with Fisher–Yates (`Rng.shuffle`) from `seed`; the first
 * n − testCount shuffled indices form the training set and the rest the test set, each in
 * shuffled order. The same data, options and seed give the same split on every platform. Every
 * row lands in exactly one of the two sets, and both are non-empty.
 *
 * @param x - the features, rows × features.
 * @param y - labels or targets with one entry per row (Int32Array, Float32Array, Float64Array) or
 *   a matrix with one row per row of `x`; the parts have the same type.
 * @param options - `testFraction` (default 0.25) or `testSize`, `seed` (default 0), `shuffle` (default true).
 * @throws ShapeError if `x` or a matrix `y` is malformed or `y` does not have one entry per row of `x`.
 * @throws DTypeError if `y` is not one of the accepted types.
 * @throws ConfigError for an invalid or unknown option, both testFraction and testSize, or a test
 *   size that leaves either set empty.
 */
export function trainTestSplit<X extends MatrixData, Y extends SplitTarget>(
  x: Matrix<X>,
  y: Y,
  options: TrainTestSplitOptions = {},
): TrainTestSplit<X, Y> {
  assertMatrix(x, 'trainTestSplit: x');
  const rows = x.shape[0];
  const yRows = targetRows(y);
  if (yRows !== rows) throw new ShapeError(`trainTestSplit: x has ${rows} rows but y has ${yRows}`);

  const testCount = resolveTestCount(options, rows);
  const trainCount = rows - testCount;
  const seed = options.seed ?? 0;
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  if (options.shuffle ?? true) new Rng(seed).shuffle(order);
  const trainRows = order.subarray(0, trainCount);
  const testRows = order.subarray(trainCount);
  return {
    xTrain: takeMatrixRows(x, trainRows),
    yTrain: takeTargetRows(y, trainRows),
    xTest: takeMatrixRows(x, testRows),
    yTest: takeTargetRows(y, testRows),
  };
}

function resolveTestCount(options: TrainTestSplitOptions, rows: number): number {
  if (options === null || typeof options !== 'object') throw new ConfigError('trainTestSplit: options must be an object');
  checkKnownKeys(options, KNOWN_OPTIONS, 'trainTestSplit options');
  const { testFraction, testSize, seed, shuffle } = options;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
    throw new ConfigError(`trainTestSplit: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
  if (shuffle !== undefined && typeof shuffle !== 'boolean') {
    throw new ConfigError(`trainTestSplit: shuffle must be a boolean, got ${typeof shuffle}`);
  }
  if (testFraction !== undefined && testSize !== undefined) {
    throw new ConfigError('trainTestSplit: give testFraction or testSize, not both');
  }
  if (rows < 2) throw new ConfigError(`trainTestSplit: cannot split ${rows} row${rows === 1 ? '' : 's'} into non-empty training and test sets`);
  if (testSize !== undefined) {
    if (!Number.isInteger(testSize) || testSize < 1 || testSize > rows - 1) {
      throw new ConfigError(`trainTestSplit: testSize must be an integer in [1, ${rows - 1}] for ${rows} rows, got ${String(testSize)}`);
    }
    return testSize;
  }
  const fraction = testFraction ?? 0.25;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
    throw new ConfigError(`trainTestSplit: testFraction must be a number in (0, 1), got ${String(fraction)}`);
  }
  const count = Math.round(fraction * rows);
  if (count < 1 || count > rows - 1) {
    throw new ConfigError(
      `trainTestSplit: testFraction ${fraction} of ${rows} rows gives ${count} test rows, leaving ${count < 1 ? 'the test' : 'the training'} set empty`,
    );
  }
  return count;
}

/** Rows of `y`: its length for a 1-D array, shape[0] for a matrix. */
function targetRows(y: SplitTarget): number {
  if (y instanceof Int32Array || y instanceof Float32Array || y instanceof Float64Array) return y.length;
  if (y !== null && typeof y === 'object' && 'shape' in y) {
    assertMatrix(y, 'trainTestSplit: y');
    return y.shape[0];
  }
  throw new DTypeError(
    `trainTestSplit: y must be an Int32Array, Float32Array, Float64Array or a matrix { data, shape }, got ${describe(y)}`,
  );
}

function takeMatrixRows<A extends MatrixData>(m: Matrix<A>, rows: Int32Array): Matrix<A> {
  const cols = m.shape[1];
  const out = allocateLike(m.data, rows.length * cols);
  for (let k = 0; k < rows.length; k++) {
    const from = rows[k] * cols;
    out.set(m.data.subarray(from, from + cols), k * cols);
  }
  return { data: out, shape: [rows.length, cols] };
}

function takeTargetRows<Y extends SplitTarget>(y: Y, rows: Int32Array): Y {
  if (y instanceof Int32Array || y instanceof Float32Array || y instanceof Float64Array) {
    const out = y.slice(0, rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = y[rows[k]];
    // slice() keeps the array type, which is Y's; TypeScript cannot follow that through the union.
    return out as Y;
  }
  return takeMatrixRows(y as Matrix, rows) as Y;
}
