// Per-column standardization: x' = (x − mean) / std.

import { ConfigError, FormatError, NonFiniteError, ShapeError } from '../errors';
import { allocateLike, assertMatrix } from './matrix';
import { readFiniteNumbers } from './saved-numbers';
import type { Matrix, MatrixData } from './matrix';

/** The saved form of a fitted {@link Standardizer} (plain JSON). */
export interface StandardizerState {
  /** Identifies the saved object. */
  kind: 'standardizer';
  /** Mean of each column. */
  mean: number[];
  /** Divisor of each column: the standard deviation, or 1 for a constant column. */
  std: number[];
}

/**
 * Scales each column to mean 0 and standard deviation 1, with statistics learned by {@link fit}.
 *
 * - The standard deviation is the population one (divide by n, as scikit-learn's StandardScaler).
 * - A constant column (all values equal) would have std 0; it gets std 1 and mean equal to its
 *   value instead, so it maps to exactly 0 rather than to a division by zero. Constancy is
 *   detected exactly (min = max), so rounding in the mean cannot turn a constant column into noise.
 * - Statistics are computed in float64 whatever the input dtype (two passes: mean, then spread).
 */
export class Standardizer {
  private means: Float64Array | undefined;
  private stds: Float64Array | undefined;

  /** True once {@link fit} (or {@link Standardizer.fromJSON}) has set the statistics. */
  get fitted(): boolean {
    return this.means !== undefined;
  }

  /** A copy of the per-column means; undefined before fitting. */
  get mean(): Float64Array | undefined {
    return this.means?.slice();
  }

  /** A copy of the per-column divisors (std, or 1 for constant columns); undefined before fitting. */
  get std(): Float64Array | undefined {
    return this.stds?.slice();
  }

  /**
   * Learns the mean and standard deviation of every column of `x`.
   *
   * @returns this, for chaining.
   * @throws ShapeError if `x` is malformed or has no rows.
   * @throws NonFiniteError if `x` holds NaN or ±Infinity (naming row and column).
   */
  fit(x: Matrix): this {
    assertMatrix(x, 'Standardizer.fit: x');
    const [rows, cols] = x.shape;
    if (rows === 0) throw new ShapeError('Standardizer.fit: x has no rows to compute statistics from');
    const data = x.data;
    const mean = new Float64Array(cols);
    const min = new Float64Array(cols).fill(Infinity);
    const max = new Float64Array(cols).fill(-Infinity);
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[base + j];
        if (!Number.isFinite(v)) {
          throw new NonFiniteError(`Standardizer.fit: x[${i}, ${j}] is ${v}; statistics need finite values`);
        }
        mean[j] += v;
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
    }
    for (let j = 0; j < cols; j++) mean[j] /= rows;
    const variance = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const d = data[base + j] - mean[j];
        variance[j] += d * d;
      }
    }
    const std = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      if (min[j] === max[j]) {
        mean[j] = min[j];
        std[j] = 1;
      } else {
        std[j] = Math.sqrt(variance[j] / rows);
      }
    }
    this.means = mean;
    this.stds = std;
    return this;
  }

  /**
   * Returns a new matrix of the same dtype with every column standardized by the fitted statistics
   * (`x` is not changed). Values are not checked for finiteness here.
   *
   * @throws ConfigError if the standardizer is not fitted.
   * @throws ShapeError if `x` is malformed or its column count differs from the fitted one.
   */
  transform<A extends MatrixData>(x: Matrix<A>): Matrix<A> {
    const { means, stds } = this.requireFitted('transform');
    assertMatrix(x, 'Standardizer.transform: x');
    const [rows, cols] = x.shape;
    if (cols !== means.length) {
      throw new ShapeError(`Standardizer.transform: x has ${cols} columns, the standardizer was fitted on ${means.length}`);
    }
    const src = x.data;
    const out = allocateLike(src, src.length);
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) out[base + j] = (src[base + j] - means[j]) / stds[j];
    }
    return { data: out, shape: [rows, cols] };
  }

  /** {@link fit} followed by {@link transform} on the same matrix. */
  fitTransform<A extends MatrixData>(x: Matrix<A>): Matrix<A> {
    return this.fit(x).transform(x);
  }

  /**
   * The fitted statistics as plain JSON (so `JSON.stringify(standardizer)` saves it).
   *
   * @throws ConfigError if the standardizer is not fitted.
   */
  toJSON(): StandardizerState {
    const { means, stds } = this.requireFitted('toJSON');
    return { kind: 'standardizer', mean: Array.from(means), std: Array.from(stds) };
  }

  /**
   * Restores a standardizer saved with {@link toJSON}.
   *
   * @throws FormatError if `state` is not a valid saved standardizer (wrong kind, arrays of
   *   different lengths, non-finite numbers, a divisor ≤ 0).
   */
  static fromJSON(state: StandardizerState): Standardizer {
    const bad = (why: string): FormatError => new FormatError(`Standardizer.fromJSON: not a valid saved standardizer: ${why}`);
    if (state === null || typeof state !== 'object') throw bad('expected an object');
    if (state.kind !== 'standardizer') throw bad(`kind is ${JSON.stringify(state.kind)}, expected "standardizer"`);
    const mean = readFiniteNumbers(state.mean, 'mean', bad);
    const std = readFiniteNumbers(state.std, 'std', bad);
    if (mean.length !== std.length) throw bad(`mean has ${mean.length} entries, std has ${std.length}`);
    std.forEach((s, j) => {
      if (s <= 0) throw bad(`std[${j}] = ${s} is not positive`);
    });
    const standardizer = new Standardizer();
    standardizer.means = mean;
    standardizer.stds = std;
    return standardizer;
  }

  private requireFitted(method: string): { means: Float64Array; stds: Float64Array } {
    if (this.means === undefined || this.stds === undefined) {
      throw new ConfigError(`Standardizer.${method}: the standardizer is not fitted; call fit(x) first`);
    }
    return { means: this.means, stds: this.stds };
  }
}
