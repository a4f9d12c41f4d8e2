import { describe, expect, expectTypeOf, it } from 'vitest';

import { MinMaxScaler, Standardizer, oneHot, trainTestSplit } from '../lib/data';
import type { Matrix, MinMaxScalerState, StandardizerState } from '../lib/data';
import { ConfigError, DTypeError, FormatError, LabelError, NonFiniteError, ShapeError } from '../lib/errors';
import { Rng } from '../lib/rng';

/** A matrix from rows of numbers. */
function f64(rows: number[][]): Matrix<Float64Array> {
  return { data: Float64Array.from(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] };
}

/** The rows of a matrix as arrays of numbers. */
function rowsOf(m: Matrix): number[][] {
  const [r, c] = m.shape;
  return Array.from({ length: r }, (_, i) => Array.from(m.data.subarray(i * c, i * c + c)));
}

describe('oneHot', () => {
  it('encodes labels as rows with a single 1, inferring the class count', () => {
    const m = oneHot(new Int32Array([2, 0, 1, 2]));
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(m.shape).toEqual([4, 3]);
    expect(rowsOf(m)).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('honours an explicit class count and dtype', () => {
    const m = oneHot([1, 3], 5, { dtype: 'float64' });
    expect(m.data).toBeInstanceOf(Float64Array);
    expect(m.shape).toEqual([2, 5]);
    expect(Array.from(m.data)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(oneHot([], 4).shape).toEqual([0, 4]);
    // Checked by tsc: the result type follows the dtype option.
    expectTypeOf(m.data).toEqualTypeOf<Float64Array>();
    expectTypeOf(oneHot([0]).data).toEqualTypeOf<Float32Array>();
  });

  it('rejects labels that are not class indices, and bad class counts', () => {
    expect(() => oneHot([0, 3, 1], 3)).toThrow(LabelError);
    expect(() => oneHot([0, 3, 1], 3)).toThrow('oneHot: labels[1] = 3 is not a class index in [0, 3)');
    expect(() => oneHot([0, -1])).toThrow('oneHot: labels[1] = -1 is not a non-negative integer class index');
    expect(() => oneHot(new Float64Array([0, 1.5]))).toThrow(LabelError);
    expect(() => oneHot([0], 0)).toThrow(ConfigError);
    expect(() => oneHot([0], 2.5)).toThrow('oneHot: classes must be a positive integer, got 2.5');
    expect(() => oneHot([])).toThrow('cannot infer the number of classes from empty labels');
  });
});

describe('Standardizer', () => {
  // Column 0: 1 3 5 7 → mean 4, population variance (9+1+1+9)/4 = 5.
  // Column 1: 2 2 4 8 → mean 4, population variance (4+4+0+16)/4 = 6.
  // Column 2: 0.1 four times → constant: maps to exactly 0 (mean 0.1, divisor 1).
  const x = f64([
    [1, 2, 0.1],
    [3, 2, 0.1],
    [5, 4, 0.1],
    [7, 8, 0.1],
  ]);
  const s5 = Math.sqrt(5);
  const s6 = Math.sqrt(6);
  const expected = [
    [-3 / s5, -2 / s6, 0],
    [-1 / s5, -2 / s6, 0],
    [1 / s5, 0, 0],
    [3 / s5, 4 / s6, 0],
  ];

  it('scales columns to mean 0 and population std 1; constant columns map to 0', () => {
    const st = new Standardizer();
    expect(st.fitted).toBe(false);
    const out = st.fitTransform(x);
    expect(out.data).toBeInstanceOf(Float64Array);
    expect(out.shape).toEqual([4, 3]);
    expect(rowsOf(out)).toEqual(expected);
    expect(Array.from(st.mean ?? [])).toEqual([4, 4, 0.1]);
    expect(Array.from(st.std ?? [])).toEqual([s5, s6, 1]);
    // The input is left alone.
    expect(Array.from(x.data.subarray(0, 3))).toEqual([1, 2, 0.1]);
  });

  it('keeps float32 input float32', () => {
    const x32: Matrix<Float32Array> = { data: Float32Array.from(x.data), shape: [4, 3] };
    const out = new Standardizer().fitTransform(x32);
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(out.data[0]).toBe(Math.fround(-3 / s5));
    expect(out.data[2]).toBe(0);
  });

  it('transforms new data with the fitted statistics', () => {
    const st = new Standardizer().fit(x);
    expect(rowsOf(st.transform(f64([[9, 10, 5]])))).toEqual([[5 / s5, 6 / s6, 5 - 0.1]]);
  });

  it('round-trips through JSON', () => {
    const st = new Standardizer().fit(x);
    const state = JSON.parse(JSON.stringify(st)) as StandardizerState;
    expect(state).toEqual({ kind: 'standardizer', mean: [4, 4, 0.1], std: [s5, s6, 1] });
    const restored = Standardizer.fromJSON(state);
    expect(rowsOf(restored.transform(x))).toEqual(expected);
  });

  it('rejects bad input and bad saved state', () => {
    const st = new Standardizer();
    expect(() => st.transform(x)).toThrow(ConfigError);
    expect(() => st.toJSON()).toThrow('Standardizer.toJSON: the standardizer is not fitted; call fit(x) first');
    expect(() => st.fit(f64([[1, Number.NaN]]))).toThrow(NonFiniteError);
    expect(() => st.fit(f64([[1, 2], [3, Infinity]]))).toThrow('Standardizer.fit: x[1, 1] is Infinity');
    expect(() => st.fit({ data: new Float64Array(0), shape: [0, 3] })).toThrow(ShapeError);
    expect(() => st.fit({ data: new Float64Array(5), shape: [2, 3] })).toThrow(
      'Standardizer.fit: x has shape [2, 3] (6 elements) but its data has 5 elements',
    );
    st.fit(x);
    expect(() => st.transform(f64([[1, 2]]))).toThrow('Standardizer.transform: x has 2 columns, the standardizer was fitted on 3');
    expect(() => Standardizer.fromJSON({ kind: 'standardizer', mean: [1, 2], std: [1] })).toThrow(FormatError);
    expect(() => Standardizer.fromJSON({ kind: 'standardizer', mean: [1], std: [0] })).toThrow('std[0] = 0 is not positive');
    expect(() => Standardizer.fromJSON({ kind: 'min-max-scaler' } as unknown as StandardizerState)).toThrow(
      'kind is "min-max-scaler", expected "standardizer"',
    );
  });
});

describe('MinMaxScaler', () => {
  // Column 0: min 2, max 10 → (v − 2) / 8. Column 1 is constant → maps to the lower bound.
  const x = f64([
    [2, 3],
    [4, 3],
    [6, 3],
    [10, 3],
  ]);

  it('maps each column onto [0, 1]; constant columns map to 0', () => {
    const scaler = new MinMaxScaler();
    const out = scaler.fitTransform(x);
    expect(rowsOf(out)).toEqual([
      [0, 0],
      [0.25, 0],
      [0.5, 0],
      [1, 0],
    ]);
    expect(Array.from(scaler.min ?? [])).toEqual([2, 3]);
    expect(Array.from(scaler.max ?? [])).toEqual([10, 3]);
    // New data is not clipped; a constant column maps anything to the lower bound.
    expect(rowsOf(scaler.transform(f64([[18, 7], [0, -1]])))).toEqual([
      [2, 0],
      [-0.25, 0],
    ]);
  });

  it('maps the fitted maximum to exactly 1 even when 1/span is inexact', () => {
    const out = new MinMaxScaler().fitTransform(f64([[0], [49]]));
    expect(Array.from(out.data)).toEqual([0, 1]);
  });

  it('supports another target range and round-trips through JSON', () => {
    const scaler = new MinMaxScaler({ range: [-1, 1] }).fit(x);
    expect(rowsOf(scaler.transform(x))).toEqual([
      [-1, -1],
      [-0.5, -1],
      [0, -1],
      [1, -1],
    ]);
    const state = JSON.parse(JSON.stringify(scaler)) as MinMaxScalerState;
    expect(state).toEqual({ kind: 'min-max-scaler', min: [2, 3], max: [10, 3], range: [-1, 1] });
    const restored = MinMaxScaler.fromJSON(state);
    expect(restored.range).toEqual([-1, 1]);
    expect(rowsOf(restored.transform(f64([[8, 3]])))).toEqual([[0.5, -1]]);
  });

  it('keeps float32 input float32', () => {
    const out = new MinMaxScaler().fitTransform({ data: new Float32Array([1, 2, 4]), shape: [3, 1] });
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out.data)).toEqual([0, Math.fround(1 / 3), 1]);
  });

  it('rejects bad options, input and saved state', () => {
    expect(() => new MinMaxScaler({ range: [1, 1] })).toThrow(ConfigError);
    expect(() => new MinMaxScaler({ range: [0, Infinity] })).toThrow('range must be two finite numbers [lo, hi] with lo < hi');
    expect(() => new MinMaxScaler().transform(x)).toThrow('MinMaxScaler.transform: the scaler is not fitted');
    expect(() => new MinMaxScaler().fit(f64([[Number.NaN]]))).toThrow('MinMaxScaler.fit: x[0, 0] is NaN');
    expect(() => new MinMaxScaler().fit(x).transform(f64([[1]]))).toThrow(ShapeError);
    expect(() => MinMaxScaler.fromJSON({ kind: 'min-max-scaler', min: [5], max: [4], range: [0, 1] })).toThrow(
      'min[0] = 5 is greater than max[0] = 4',
    );
    expect(() => MinMaxScaler.fromJSON({ kind: 'min-max-scaler', min: [1], max: [4], range: [1, 0] })).toThrow(FormatError);
  });
});

describe('trainTestSplit', () => {
  const n = 10;
  // Row i of x is [i, 100 + i]; y[i] = 10·i, so every part can be checked for alignment.
  const x: Matrix<Float32Array> = { data: new Float32Array(2 * n), shape: [n, 2] };
  for (let i = 0; i < n; i++) {
    x.data[2 * i] = i;
    x.data[2 * i + 1] = 100 + i;
  }
  const y = Int32Array.from({ length: n }, (_, i) => 10 * i);

  const ids = (m: Matrix): number[] => rowsOf(m).map((row) => row[0]);

  it('shuffles with Rng(seed).shuffle and takes the last part of the order as the test set', () => {
    const split = trainTestSplit(x, y, { testFraction: 0.3, seed: 42 });
    const order = Int32Array.from({ length: n }, (_, i) => i);
    new Rng(42).shuffle(order);
    expect(ids(split.xTrain)).toEqual(Array.from(order.subarray(0, 7)));
    expect(ids(split.xTest)).toEqual(Array.from(order.subarray(7)));
    expect(split.xTrain.data).toBeInstanceOf(Float32Array);
    expect(split.xTrain.shape).toEqual([7, 2]);
    expect(split.xTest.shape).toEqual([3, 2]);
    for (const [xs, ys] of [
      [split.xTrain, split.yTrain],
      [split.xTest, split.yTest],
    ] as const) {
      expect(ys).toBeInstanceOf(Int32Array);
      expect(rowsOf(xs).map(([i, j]) => [j - i, 10 * i])).toEqual(Array.from(ys, (v) => [100, v]));
    }
  });

  it('is reproducible, disjoint and complete; another seed gives another split', () => {
    const a = trainTestSplit(x, y, { testSize: 4, seed: 5 });
    const b = trainTestSplit(x, y, { testSize: 4, seed: 5 });
    expect(a).toEqual(b);
    const all = [...ids(a.xTrain), ...ids(a.xTest)].sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(a.xTest.shape[0]).toBe(4);
    const c = trainTestSplit(x, y, { testSize: 4, seed: 6 });
    expect(ids(c.xTrain)).not.toEqual(ids(a.xTrain));
  });

  it('without shuffling keeps the order: training rows first, test rows last', () => {
    const split = trainTestSplit(x, y, { testFraction: 0.2, shuffle: false });
    expect(ids(split.xTrain)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(split.yTest)).toEqual([80, 90]);
  });

  it('splits float targets and target matrices alongside, keeping their types', () => {
    const targets = Float64Array.from({ length: n }, (_, i) => i / 4);
    const s1 = trainTestSplit(x, targets, { seed: 1 });
    expect(s1.yTrain).toBeInstanceOf(Float64Array);
    // testFraction defaults to 0.25: round(2.5) = 3 test rows.
    expect(s1.yTest.length).toBe(3);
    expect(Array.from(s1.yTest)).toEqual(ids(s1.xTest).map((i) => i / 4));

    const yMatrix: Matrix<Float64Array> = { data: Float64Array.from({ length: 2 * n }, (_, k) => k), shape: [n, 2] };
    const s2 = trainTestSplit(x, yMatrix, { testSize: 2, seed: 9 });
    expect(s2.yTest.shape).toEqual([2, 2]);
    expect(s2.yTest.data).toBeInstanceOf(Float64Array);
    expect(rowsOf(s2.yTest)).toEqual(ids(s2.xTest).map((i) => [2 * i, 2 * i + 1]));

    expectTypeOf(s2.yTest).toEqualTypeOf<Matrix<Float64Array>>();
    expectTypeOf(s1.xTrain).toEqualTypeOf<Matrix<Float32Array>>();
    const f32 = new Float32Array(n).fill(0.5);
    expect(trainTestSplit(x, f32, { testSize: 1 }).yTest).toBeInstanceOf(Float32Array);
  });

  it('rejects mismatched shapes and invalid options', () => {
    expect(() => trainTestSplit(x, y.subarray(1))).toThrow(ShapeError);
    expect(() => trainTestSplit(x, y.subarray(1))).toThrow('trainTestSplit: x has 10 rows but y has 9');
    expect(() => trainTestSplit(x, [1, 2] as unknown as Int32Array)).toThrow(DTypeError);
    expect(() => trainTestSplit(x, y, { testFraction: 0.2, testSize: 2 })).toThrow('give testFraction or testSize, not both');
    expect(() => trainTestSplit(x, y, { testFraction: 1 })).toThrow('testFraction must be a number in (0, 1), got 1');
    expect(() => trainTestSplit(x, y, { testFraction: 0.01 })).toThrow(
      'testFraction 0.01 of 10 rows gives 0 test rows, leaving the test set empty',
    );
    expect(() => trainTestSplit(x, y, { testSize: 10 })).toThrow('testSize must be an integer in [1, 9] for 10 rows, got 10');
    expect(() => trainTestSplit(x, y, { seed: -1 })).toThrow(ConfigError);
    expect(() => trainTestSplit(x, y, { testFrac: 0.2 } as never)).toThrow("unknown option 'testFrac'");
    const one: Matrix = { data: new Float32Array(2), shape: [1, 2] };
    expect(() => trainTestSplit(one, new Int32Array(1))).toThrow('cannot split 1 row into non-empty training and test sets');
  });
});
