// Per-column min–max scaling: x' = lo + (x − min) · (hi − lo) / (max − min).

import { ConfigError, FormatError, NonFiniteError, ShapeError } from '../errors';
import { allocateLike, assertMatrix } from './matrix';
import type { Matrix, MatrixData } from './matrix';
import { readFiniteNumbers } from './saved-numbers';
import { checkKnownKeys } from '../options';

/** Options of {@link MinMaxScaler}. */
export interface MinMaxScalerOptions {
  /** The target interval [lo, hi] with lo < hi (default [0, 1]). */
  range?: [number, number];
}

/** The saved form of a fitted {@link MinMaxScaler} (plain JSON). */
export interface MinMaxScalerState {
  /** Identifies the saved object. */
  kind: 'min-max-scaler';
  /** Minimum of each column. */
  min: number[];
  /** Maximum of each column. */
  max: number[];
  /** The target interval. */
  range: [number, number];
}

/**
 * Maps each column linearly so that its minimum (as seen by {@link fit}) goes to the lower end
 * of the range and its maximum to the upper end (default range [0, 1]).
 *
 * - A constant column (range max − min = 0) maps to the lower end of the range (0 by default).
 * - New data outside the fitted [min, max] maps outside the range; it is not clipped.
 */
export class MinMaxScaler {
  private mins: Float64Array | undefined;
  private maxs: Float64Array | undefined;
  private readonly lo: number;
  private readonly hi: number;

  /**
   * @param options - `range` (default [0, 1]).
   * @throws ConfigError if the range is not two finite numbers lo < hi, or for an unknown option.
   */
  constructor(options: MinMaxScalerOptions = {}) {
    checkKnownKeys(options, ['range'], 'MinMaxScaler options');
    const range: unknown = options.range ?? [0, 1];
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !range.every((v: unknown) => typeof v === 'number' && Number.isFinite(v)) ||
      !(range[0] < range[1])
    ) {
      throw new ConfigError(`MinMaxScaler: range must be two finite numbers [lo, hi] with lo < hi, got ${JSON.stringify(range)}`);
    }
    this.lo = range[0];
    this.hi = range[1];
  }

  /** True once {@link fit} (or {@link MinMaxScaler.fromJSON}) has set the statistics. */
  get fitted(): boolean {
    return this.mins !== undefined;
  }

  /** A copy of the per-column minima; undefined before fitting. */
  get min(): Float64Array | undefined {
    return this.mins?.slice();
  }

  /** A copy of the per-column maxima; undefined before fitting. */
  get max(): Float64Array | undefined {
    return this.maxs?.slice();
  }

  /** The target interval [lo, hi]. */
  get range(): [number, number] {
    return [this.lo, this.hi];
  }

  /**
   * Learns the minimum and maximum of every column of `x`.
   *
   * @returns this, for chaining.
   * @throws ShapeError if `x` is malformed or has no rows.
   * @throws NonFiniteError if `x` holds NaN or ±Infinity (naming row and column).
   */
  fit(x: Matrix): this {
    assertMatrix(x, 'MinMaxScaler.fit: x');
    const [rows, cols] = x.shape;
    if (rows === 0) throw new ShapeError('MinMaxScaler.fit: x has no rows to compute statistics from');
    const data = x.data;
    const min = new Float64Array(cols).fill(Infinity);
    const max = new Float64Array(cols).fill(-Infinity);
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[base + j];
        if (!Number.isFinite(v)) {
          throw new NonFiniteError(`MinMaxScaler.fit: x[${i}, ${j}] is ${v}; statistics need finite values`);
        }
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
    }
    this.mins = min;
    this.maxs = max;
    return this;
  }

  /**
   * Returns a new matrix of the same dtype with every column scaled by the fitted minima and
   * maxima (`x` is not changed).
   *
   * @throws ConfigError if the scaler is not fitted.
   * @throws ShapeError if `x` is malformed or its column count differs from the fitted one.
   */
  transform<A extends MatrixData>(x: Matrix<A>): Matrix<A> {
    const { mins, maxs } = this.requireFitted('transform');
    assertMatrix(x, 'MinMaxScaler.transform: x');
    const [rows, cols] = x.shape;
    if (cols !== mins.length) {
      throw new ShapeError(`MinMaxScaler.transform: x has ${cols} columns, the scaler was fitted on ${mins.length}`);
    }
    // Divide by the span first so that the fitted maximum maps to exactly 1 before widening to the
    // range; a constant column divides by Infinity, which sends every finite value to lo.
    const span = new Float64Array(cols);
    for (let j = 0; j < cols; j++) span[j] = maxs[j] === mins[j] ? Infinity : maxs[j] - mins[j];
    const src = x.data;
    const out = allocateLike(src, src.length);
    const lo = this.lo;
    const width = this.hi - this.lo;
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) out[base + j] = lo + ((src[base + j] - mins[j]) / span[j]) * width;
    }
    return { data: out, shape: [rows, cols] };
  }

  /** {@link fit} followed by {@link transform} on the same matrix. */
  fitTransform<A extends MatrixData>(x: Matrix<A>): Matrix<A> {
    return this.fit(x).transform(x);
  }

  /**
   * The fitted statistics and range as plain JSON (so `JSON.stringify(scaler)` saves it).
   *
   * @throws ConfigError if the scaler is not fitted.
   */
  toJSON(): MinMaxScalerState {
    const { mins, maxs } = this.requireFitted('toJSON');
    return { kind: 'min-max-scaler', min: Array.from(mins), max: Array.from(maxs), range: [this.lo, this.hi] };
  }

  /**
   * Restores a scaler saved with {@link toJSON}.
   *
   * @throws FormatError if `state` is not a valid saved scaler (wrong kind, arrays of different
   *   lengths, non-finite numbers, min > max, an invalid range).
   */
  static fromJSON(state: MinMaxScalerState): MinMaxScaler {
    const bad = (why: string): FormatError => new FormatError(`MinMaxScaler.fromJSON: not a valid saved scaler: ${why}`);
    if (state === null || typeof state !== 'object') throw bad('expected an object');
    if (state.kind !== 'min-max-scaler') throw bad(`kind is ${JSON.stringify(state.kind)}, expected "min-max-scaler"`);
    const min = readFiniteNumbers(state.min, 'min', bad);
    const max = readFiniteNumbers(state.max, 'max', bad);
    const range = readFiniteNumbers(state.range, 'range', bad);
    if (min.length !== max.length) throw bad(`min has ${min.length} entries, max has ${max.length}`);
    min.forEach((m, j) => {
      if (m > max[j]) throw bad(`min[${j}] = ${m} is greater than max[${j}] = ${max[j]}`);
    });
    if (range.length !== 2 || !(range[0] < range[1])) throw bad(`range must be [lo, hi] with lo < hi, got ${JSON.stringify(state.range)}`);
    const scaler = new MinMaxScaler({ range: [range[0], range[1]] });
    scaler.mins = min;
    scaler.maxs = max;
    return scaler;
  }

  private requireFitted(method: string): { mins: Float64Array; maxs: Float64Array } {
    if (this.mins === undefined || this.maxs === undefined) {
      throw new ConfigError(`MinMaxScaler.${method}: the scaler is not fitted; call fit(x) first`);
    }
    return { mins: this.mins, maxs: this.maxs };
  }
}
