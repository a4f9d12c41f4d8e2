// sampleWeight and classWeight against a hand computation: the loss, accuracy and gradient of a
// single softmax (or sigmoid) layer written out here, weighted as documented — the weighted mean
// Σ w_i L_i / Σ w_i with w_i = sampleWeight_i × classWeight[class of row i], each training batch
// normalized by its own Σ w_i. Then fit, trainStep, validation rows and the errors for bad weights.
import { describe, expect, it } from 'vitest';
import { ConfigError, Network, ShapeError, type FitOptions, type WeightOptions } from '../lib';
import { networkState } from '../lib/network';
import { BACKENDS } from './helpers/backends';

/** A copy of everything training changes: parameters, optimizer state and step, RNG states. */
function snapshot(net: Network): unknown {
  const s = networkState(net);
  return [...[s.params, s.optM, s.optV, s.optG, s.dropoutRng, s.shuffleRng].map((a) => Array.from(a)), s.optimizerStep, s.optimizerKey];
}

const X = [[0.5, -1], [1.5, 0.3], [-0.7, 0.8], [0.2, 0.2], [-1.2, -0.4]];
const LABELS = [0, 2, 1, 2, 0];
const W = [[0.4, -0.3], [-0.2, 0.5], [0.1, 0.2]];
const B = [0.05, -0.1, 0.2];
const SAMPLE = [1, 0.5, 2, 0, 1.5];
const CLASS = { 0: 2, 2: 0.25 } as const; // class 1 is not listed: weight 1
const classWeightOf = (label: number): number => (CLASS as Record<number, number>)[label] ?? 1;

function softmaxNet(backend: (typeof BACKENDS)[number]): Network {
  const net = new Network({ inputs: 2, layers: [{ units: 3, activation: 'softmax' }], loss: 'cross-entropy', dtype: 'float64', backend, seed: 3 });
  net.setWeights([{ weight: W.flat(), bias: B }]);
  return net;
}

/** Per row: the softmax output a, the loss −log a_y and whether the argmax is right, by hand. */
function byHand(weights: number[][], bias: number[]): { a: number[][]; loss: number[]; right: boolean[] } {
  const a = X.map((x) => {
    const z = weights.map((w, k) => w[0]! * x[0]! + w[1]! * x[1]! + bias[k]!);
    const e = z.map((v) => Math.exp(v));
    const sum = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / sum);
  });
  return {
    a,
    loss: a.map((p, i) => -Math.log(p[LABELS[i]!]!)),
    right: a.map((p, i) => p.indexOf(Math.max(...p)) === LABELS[i]),
  };
}

/** ∂/∂W and ∂/∂b of Σ w_i L_i / Σ w_i over the given rows: Σ w_i (a_i − y_i) x_iᵀ / Σ w_i. */
function gradientByHand(a: number[][], w: number[], rows: number[]): { dW: number[][]; db: number[] } {
  const total = rows.reduce((s, i) => s + w[i]!, 0);
  const dW = W.map(() => [0, 0]);
  const db = [0, 0, 0];
  for (const i of rows) {
    for (let k = 0; k < 3; k++) {
      const d = (w[i]! * (a[i]![k]! - (LABELS[i] === k ? 1 : 0))) / total;
      dW[k]![0] += d * X[i]![0]!;
      dW[k]![1] += d * X[i]![1]!;
      db[k] += d;
    }
  }
  return { dW, db };
}

const rowWeights = SAMPLE.map((s, i) => s * classWeightOf(LABELS[i]!));
const ALL = [0, 1, 2, 3, 4];
const near = (values: number[]): unknown[] => values.map((v) => expect.closeTo(v, 13));

describe.each(BACKENDS)('weights against a hand computation (%s)', (backend) => {
  const hand = byHand(W, B);
  const weighted = { sampleWeight: SAMPLE, classWeight: CLASS };
  const total = rowWeights.reduce((s, v) => s + v, 0);

  it('evaluate: loss Σ w_i L_i / Σ w_i and accuracy Σ w_i [right] / Σ w_i', () => {
    const e = softmaxNet(backend).evaluate(X, LABELS, weighted);
    const loss = rowWeights.reduce((s, w, i) => s + w * hand.loss[i]!, 0) / total;
    const accuracy = rowWeights.reduce((s, w, i) => s + (hand.right[i] ? w : 0), 0) / total;
    expect(e.loss).toBeCloseTo(loss, 13);
    expect(e.accuracy).toBeCloseTo(accuracy, 13);
    // Normalized by Σ w (PyTorch), not by the row count (Keras's default): the two differ here.
    expect(Math.abs(e.loss - (loss * total) / X.length)).toBeGreaterThan(0.01);
    // So scaling every weight leaves it unchanged, and weights of 1 are the plain mean.
    expect(softmaxNet(backend).evaluate(X, LABELS, { sampleWeight: SAMPLE.map((s) => 7 * s), classWeight: CLASS }).loss).toBeCloseTo(loss, 13);
    expect(softmaxNet(backend).evaluate(X, LABELS, { sampleWeight: [1, 1, 1, 1, 1] })).toEqual(softmaxNet(backend).evaluate(X, LABELS));
    // A Float64Array (any typed array) works as sampleWeight.
    expect(softmaxNet(backend).evaluate(X, LABELS, { sampleWeight: Float64Array.from(SAMPLE), classWeight: CLASS }).loss).toBe(e.loss);
  });

  it('classWeight alone, and the class of a one-hot target row is its argmax', () => {
    const loss = LABELS.reduce((s, c, i) => s + classWeightOf(c) * hand.loss[i]!, 0) / LABELS.reduce((s, c) => s + classWeightOf(c), 0);
    expect(softmaxNet(backend).evaluate(X, LABELS, { classWeight: CLASS }).loss).toBeCloseTo(loss, 13);
    const oneHot = LABELS.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    expect(softmaxNet(backend).evaluate(X, oneHot, { classWeight: CLASS }).loss).toBeCloseTo(loss, 13);
  });

  it('gradients: Σ w_i (a_i − y_i) x_iᵀ / Σ w_i', () => {
    const [g] = softmaxNet(backend).gradients(X, LABELS, weighted);
    const { dW, db } = gradientByHand(hand.a, rowWeights, ALL);
    expect(Array.from(g!.weight)).toEqual(near(dW.flat()));
    expect(Array.from(g!.bias)).toEqual(near(db));
  });

  it('fit: each batch is normalized by its own Σ w; the epoch loss is Σ w_i L_i / Σ w_i over the epoch', () => {
    const net = softmaxNet(backend);
    const lr = 0.3;
    const batchLosses: number[] = [];
    const history = net.fitSync(X, LABELS, {
      ...weighted, epochs: 1, batchSize: 2, shuffle: false, learningRate: lr,
      callbacks: { onBatchEnd: (_b, logs) => batchLosses.push(logs.loss) },
    });
    // Three SGD steps by hand over rows {0,1}, {2,3}, {4}.
    let w = W.map((r) => r.slice()), b = B.slice();
    let lossSum = 0;
    const expectedBatchLosses: number[] = [];
    for (const rows of [[0, 1], [2, 3], [4]]) {
      const h = byHand(w, b);
      const batchWeight = rows.reduce((s, i) => s + rowWeights[i]!, 0);
      const batchLoss = rows.reduce((s, i) => s + rowWeights[i]! * h.loss[i]!, 0) / batchWeight;
      expectedBatchLosses.push(batchLoss);
      lossSum += batchLoss * batchWeight;
      const { dW, db } = gradientByHand(h.a, rowWeights, rows);
      w = w.map((r, k) => r.map((v, j) => v - lr * dW[k]![j]!));
      b = b.map((v, k) => v - lr * db[k]!);
    }
    const [layer] = net.getWeights();
    expect(Array.from(layer!.weight)).toEqual(near(w.flat()));
    expect(Array.from(layer!.bias)).toEqual(near(b));
    expect(batchLosses).toEqual(near(expectedBatchLosses));
    expect(history.loss[0]).toBeCloseTo(lossSum / total, 13);
  });

  it('a batch whose weights are all 0 reports loss 0 and leaves plain SGD’s weights unchanged', () => {
    const net = softmaxNet(backend);
    const losses: number[] = [];
    net.fitSync(X.slice(0, 2), LABELS.slice(0, 2), {
      sampleWeight: [0, 1], epochs: 1, batchSize: 1, shuffle: false, learningRate: 0.5,
      callbacks: { onBatchEnd: (b, logs) => { losses.push(logs.loss); if (b === 0) expect(net.getWeights()[0]!.weight).toEqual(Float64Array.from(W.flat())); } },
    });
    expect(losses[0]).toBe(0);
    expect(losses[1]).toBeGreaterThan(0);
  });

  it('sampleWeight of ones trains bit-identically to no weights; a weight of 2 equals the row twice (full batch)', () => {
    const plain = softmaxNet(backend), ones = softmaxNet(backend);
    const options: FitOptions = { epochs: 3, batchSize: 2, learningRate: 0.2, optimizer: 'adam' };
    plain.fitSync(X, LABELS, options);
    ones.fitSync(X, LABELS, { ...options, sampleWeight: new Float32Array(5).fill(1) });
    expect(ones.getWeights()).toEqual(plain.getWeights());

    const twice = softmaxNet(backend), doubled = softmaxNet(backend);
    const full: FitOptions = { epochs: 2, batchSize: 6, shuffle: false, learningRate: 0.2 };
    twice.fitSync(X, LABELS, { ...full, sampleWeight: [2, 1, 1, 1, 1] });
    doubled.fitSync([X[0]!, ...X], [LABELS[0]!, ...LABELS], full);
    expect(Array.from(twice.getWeights()[0]!.weight)).toEqual(near(Array.from(doubled.getWeights()[0]!.weight)));
  });

  it('trainStep takes the same weights and returns the weighted mean loss', () => {
    const net = softmaxNet(backend);
    const loss = net.trainStep(X, LABELS, { learningRate: 0.1, ...weighted });
    expect(loss).toBeCloseTo(rowWeights.reduce((s, w, i) => s + w * hand.loss[i]!, 0) / total, 13);
    const { dW } = gradientByHand(hand.a, rowWeights, ALL);
    expect(Array.from(net.getWeights()[0]!.weight)).toEqual(near(W.flat().map((v, k) => v - 0.1 * dW.flat()[k]!)));
  });

  it('binary cross-entropy: the class of a target is target ≥ 0.5; L = −y log σ − (1 − y) log(1 − σ)', () => {
    const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'sigmoid' }], loss: 'binary-cross-entropy', dtype: 'float64', backend, seed: 3 });
    net.setWeights([{ weight: [0.7, -0.4], bias: [0.1] }]);
    const y = [1, 0, 1, 0, 1];
    const classWeight = { 1: 3 };
    const p = X.map((x) => 1 / (1 + Math.exp(-(0.7 * x[0]! - 0.4 * x[1]! + 0.1))));
    const w = y.map((t, i) => SAMPLE[i]! * (t === 1 ? 3 : 1));
    const L = p.map((q, i) => -(y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q)));
    const sum = w.reduce((s, v) => s + v, 0);
    const e = net.evaluate(X, y, { sampleWeight: SAMPLE, classWeight });
    expect(e.loss).toBeCloseTo(w.reduce((s, v, i) => s + v * L[i]!, 0) / sum, 13);
    expect(e.accuracy).toBeCloseTo(w.reduce((s, v, i) => s + ((p[i]! >= 0.5) === (y[i] === 1) ? v : 0), 0) / sum, 13);
    const [g] = net.gradients(X, y, { sampleWeight: SAMPLE, classWeight });
    expect(g!.bias[0]).toBeCloseTo(w.reduce((s, v, i) => s + v * (p[i]! - y[i]!), 0) / sum, 13);
  });

  it('validation rows are not weighted, and validationSplit weights only the training rows', () => {
    const a = softmaxNet(backend), b = softmaxNet(backend);
    const options: FitOptions = { epochs: 1, batchSize: 5, shuffle: false, learningRate: 0.1, validationSplit: 0.4 };
    // Rows 3 and 4 are held out: their weights (here wildly different) change nothing.
    const ha = a.fitSync(X, LABELS, { ...options, sampleWeight: [1, 0.5, 2, 100, 0] });
    const hb = b.fitSync(X, LABELS, { ...options, sampleWeight: [1, 0.5, 2, 0, 7] });
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(ha.epochs[0]!.valLoss).toBe(hb.epochs[0]!.valLoss);
    expect(ha.epochs[0]!.valLoss).toBeCloseTo(a.evaluate(X.slice(3), LABELS.slice(3)).loss, 13);
  });
});

describe.each(BACKENDS)('bad weights are refused with an error naming the problem, the network unchanged (%s)', (backend) => {
  const cases: Array<[string, WeightOptions, typeof ConfigError | typeof ShapeError, RegExp]> = [
    ['a negative sample weight', { sampleWeight: [1, 1, -0.5, 1, 1] }, ConfigError, /sampleWeight\[2\] is -0\.5; weights must be finite numbers ≥ 0/],
    ['a NaN sample weight', { sampleWeight: [1, NaN, 1, 1, 1] }, ConfigError, /sampleWeight\[1\] is NaN; weights must be finite numbers ≥ 0/],
    ['an infinite sample weight', { sampleWeight: new Float64Array([1, 1, 1, Infinity, 1]) }, ConfigError, /sampleWeight\[3\] is Infinity/],
    ['a string sample weight', { sampleWeight: [1, 1, '2', 1, 1] as unknown as number[] }, ConfigError, /sampleWeight\[2\] is '2'/],
    ['too few sample weights', { sampleWeight: [1, 1, 1] }, ShapeError, /sampleWeight has 3 weights but x has 5 rows/],
    ['a sampleWeight that is not an array', { sampleWeight: 1 as unknown as number[] }, ConfigError, /sampleWeight must be an array or typed array of numbers, one per row, got 1/],
    ['every weight 0', { sampleWeight: [0, 0, 0, 0, 0] }, ConfigError, /every row of .* the weight 0/],
    ['a class label out of range', { classWeight: { 3: 2 } }, ConfigError, /classWeight has the unknown class label '3'; labels are the integers 0 to 2/],
    ['a negative class label', { classWeight: { '-1': 2 } as unknown as Record<number, number> }, ConfigError, /unknown class label '-1'/],
    ['a class label that is not an integer', { classWeight: { '1.5': 2, cat: 1 } as unknown as Record<number, number> }, ConfigError, /unknown class label '1\.5'/],
    ['a negative class weight', { classWeight: { 1: -2 } }, ConfigError, /classWeight\[1\] is -2; weights must be finite numbers ≥ 0/],
    ['a classWeight that is an array', { classWeight: [1, 2, 3] as unknown as Record<number, number> }, ConfigError, /classWeight must be an object \{ \[label\]: weight \}, got an array of length 3/],
  ];
  for (const [name, weights, type, message] of cases) {
    it(name, () => {
      const net = softmaxNet(backend);
      net.fitSync(X, LABELS, { epochs: 1, learningRate: 0.1, optimizer: 'adam' }); // some optimizer state to keep
      const before = snapshot(net);
      expect(() => net.fitSync(X, LABELS, { epochs: 1, optimizer: 'adam', ...weights })).toThrow(type);
      expect(() => net.fitSync(X, LABELS, { epochs: 1, optimizer: 'adam', ...weights })).toThrow(message);
      expect(() => net.trainStep(X, LABELS, { learningRate: 0.1, optimizer: 'adam', ...weights })).toThrow(message);
      expect(() => net.evaluate(X, LABELS, weights)).toThrow(message);
      expect(() => net.gradients(X, LABELS, weights)).toThrow(message);
      expect(snapshot(net)).toEqual(before);
    });
  }

  it('classWeight needs a classification loss, and a single output with binary cross-entropy', () => {
    const mse = new Network({ inputs: 2, layers: [{ units: 1 }], loss: 'mse', backend, seed: 1 });
    expect(() => mse.fitSync(X, [[1], [0], [1], [0], [1]], { classWeight: { 0: 2 } })).toThrow(new ConfigError("classWeight needs loss 'cross-entropy' or 'binary-cross-entropy', not 'mse'"));
    const multi = new Network({ inputs: 2, layers: [{ units: 2, activation: 'sigmoid' }], loss: 'binary-cross-entropy', backend, seed: 1 });
    expect(() => multi.evaluate(X, X.map(() => [1, 0]), { classWeight: { 0: 2 } })).toThrow(/classWeight with binary-cross-entropy needs a single output \(classes 0 and 1\); this network has 2 outputs/);
    // sampleWeight works with every loss.
    expect(mse.evaluate(X, [[1], [0], [1], [0], [1]], { sampleWeight: SAMPLE }).loss).toBeGreaterThan(0);
  });

  it('evaluate and gradients name unknown weight options', () => {
    const net = softmaxNet(backend);
    expect(() => net.evaluate(X, LABELS, { sampleWeights: SAMPLE } as unknown as WeightOptions)).toThrow(/evaluate: unknown option 'sampleWeights'; known options: sampleWeight, classWeight/);
    expect(() => net.gradients(X, LABELS, 5 as unknown as WeightOptions)).toThrow(/gradients: weights must be an object \{ sampleWeight\?, classWeight\? \}, got 5/);
  });
});

describe.each(BACKENDS)('streamed batches carry their weights as w (%s)', (backend) => {
  const batches = (rows: number[][]) => rows.map((r) => ({ x: r.map((i) => X[i]!), y: r.map((i) => LABELS[i]!), w: r.map((i) => SAMPLE[i]!) }));

  it('a stream of the matrix fit’s batches with w gives bit-identical weights and the same weighted epoch loss', () => {
    const expected = softmaxNet(backend);
    const h = expected.fitSync(X, LABELS, { sampleWeight: SAMPLE, classWeight: CLASS, epochs: 2, batchSize: 2, shuffle: false, learningRate: 0.3, optimizer: 'adam' });
    for (const [source, batchSize] of [[() => batches([[0, 1], [2, 3], [4]]), undefined], [() => batches([[0, 1, 2], [3, 4]]), 2]] as const) {
      const net = softmaxNet(backend);
      const hs = net.fitSync(source, { classWeight: CLASS, epochs: 2, learningRate: 0.3, optimizer: 'adam', ...(batchSize ? { batchSize } : {}) });
      expect(net.getWeights()).toEqual(expected.getWeights());
      hs.loss.forEach((loss, e) => expect(loss).toBeCloseTo(h.loss[e]!, 12));
    }
    // classWeight alone: each streamed batch is weighted by its rows' classes.
    const byClass = softmaxNet(backend);
    byClass.fitSync(X, LABELS, { classWeight: CLASS, epochs: 1, batchSize: 2, shuffle: false, learningRate: 0.3 });
    const streamed = softmaxNet(backend);
    streamed.fitSync(() => batches([[0, 1], [2, 3], [4]]).map(({ x, y }) => ({ x, y })), { classWeight: CLASS, epochs: 1, learningRate: 0.3 });
    expect(streamed.getWeights()).toEqual(byClass.getWeights());
  });

  it('bad w, w on some batches only, sampleWeight for a stream and an epoch of weight 0 are refused', () => {
    const fit = (source: () => Iterable<{ x: number[][]; y: number[]; w?: number[] }>, options = {}) => softmaxNet(backend).fitSync(source, { epochs: 1, ...options });
    expect(() => fit(() => [{ x: X.slice(0, 2), y: LABELS.slice(0, 2), w: [1, 1] }, { x: X.slice(2), y: LABELS.slice(2), w: [-1, 1, 1] }])).toThrow(/batch\[1\]\.w\[0\] is -1; weights must be finite numbers ≥ 0/);
    expect(() => fit(() => [{ x: X.slice(0, 2), y: LABELS.slice(0, 2), w: [1] }])).toThrow(ShapeError);
    expect(() => fit(() => [{ x: X.slice(0, 2), y: LABELS.slice(0, 2), w: [1] }])).toThrow(/batch\[0\]\.w has 1 weights but x has 2 rows/);
    expect(() => fit(() => [{ x: X.slice(0, 2), y: LABELS.slice(0, 2) }, { x: X.slice(2), y: LABELS.slice(2), w: [1, 1, 1] }])).toThrow(/batch\[1\] has weights w, but the batches before had none/);
    expect(() => fit(() => batches([[0, 1]]), { sampleWeight: [1, 1] })).toThrow(/sampleWeight does not apply to a streamed fit; give each batch its weights as a field w/);
    expect(() => fit(() => [{ x: X.slice(0, 2), y: LABELS.slice(0, 2), w: [0, 0] }])).toThrow(/epoch 0: every row has the weight 0/);
  });
});
