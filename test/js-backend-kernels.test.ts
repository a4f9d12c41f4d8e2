// The TypeScript backend against references: its dense kernels against naive triple loops written
// here, and the whole backend against the native addon on identical weights, data and batch order
// (parameters, optimizer state, RNG state, losses, accuracy counts, diagnostics, evaluate, predict).
import { describe, expect, it } from 'vitest';
import { ACTIVATION_CODES, DIAGNOSTICS_PER_LAYER, LOSS_CODES, OPTIMIZER_CODES } from '../lib/codes';
import type { EngineNetwork, EngineSpec, FloatArray, LossStats, OptimizerCall, TrainCall } from '../lib/engine';
import { jsEngine } from '../lib/backends/js';
import { loadNative } from '../lib/backends/native';
import { denseBackwardInput, denseBackwardParams, denseForward } from '../lib/backends/js/dense';
import { Rng, seedState } from '../lib/rng';

// ---------------------------------------------------------------------------------------------
// Helpers

type Dtype = 'float32' | 'float64';

interface Binding {
  NativeNetwork: new (spec: EngineSpec) => EngineNetwork;
}

function loadBinding(): Binding {
  const native = loadNative();
  if ('error' in native) throw native.error;
  return native.binding;
}

function floatArray(dtype: Dtype, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

function randomArray(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let k = 0; k < n; k++) a[k] = lo + (hi - lo) * rng.uniform();
  return a;
}

/**
 * Asserts a and b agree elementwise within `tol` relative to the larger of the two elements and the
 * array's largest magnitude (so parameters that are near zero are judged on the array's scale).
 */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let scale = 0;
  for (let k = 0; k < a.length; k++) scale = Math.max(scale, Math.abs(a[k]), Math.abs(b[k]));
  let worst = 0, at = -1;
  for (let k = 0; k < a.length; k++) {
    if (Number.isNaN(a[k]) && Number.isNaN(b[k])) continue;
    const ref = Math.max(Math.abs(a[k]), Math.abs(b[k]), scale, 1e-300);
    const e = Math.abs(a[k] - b[k]) / ref;
    if (!(e <= worst)) { worst = e; at = k; }
  }
  if (!(worst <= tol)) {
    throw new Error(`${what}: relative difference ${worst} at [${at}] (${a[at]} vs ${b[at]}) exceeds ${tol}`);
  }
}

function expectNumberClose(a: number, b: number, tol: number, what: string): void {
  expectClose([a], [b], tol, what);
}

// ---------------------------------------------------------------------------------------------
// Dense kernels against naive triple loops

/** Z[i,k] = Σ_j A[i,j] W[k,j] */
function naiveForward(A: ArrayLike<number>, W: ArrayLike<number>, B: number, inp: number, out: number): Float64Array {
  const Z = new Float64Array(B * out);
  for (let i = 0; i < B; i++) for (let k = 0; k < out; k++) {
    let s = 0;
    for (let j = 0; j < inp; j++) s += A[i * inp + j] * W[k * inp + j];
    Z[i * out + k] = s;
  }
  return Z;
}

/** dW[k,j] += alpha Σ_i δ[i,k] A[i,j]; db[k] += alpha Σ_i δ[i,k] */
function naiveBackwardParams(delta: ArrayLike<number>, A: ArrayLike<number>, dW: Float64Array, db: Float64Array,
  B: number, inp: number, out: number, alpha: number): void {
  for (let k = 0; k < out; k++) {
    for (let j = 0; j < inp; j++) {
      let s = 0;
      for (let i = 0; i < B; i++) s += delta[i * out + k] * A[i * inp + j];
      dW[k * inp + j] += alpha * s;
    }
    let s = 0;
    for (let i = 0; i < B; i++) s += delta[i * out + k];
    db[k] += alpha * s;
  }
}

/** dA[i,j] = Σ_k δ[i,k] W[k,j] */
function naiveBackwardInput(delta: ArrayLike<number>, W: ArrayLike<number>, B: number, inp: number, out: number): Float64Array {
  const dA = new Float64Array(B * inp);
  for (let i = 0; i < B; i++) for (let j = 0; j < inp; j++) {
    let s = 0;
    for (let k = 0; k < out; k++) s += delta[i * out + k] * W[k * inp + j];
    dA[i * inp + j] = s;
  }
  return dA;
}

/** Copies src into a new array of dtype with `pad` garbage elements before it (to exercise offsets). */
function padded(dtype: Dtype, src: ArrayLike<number>, pad: number): FloatArray {
  const a = floatArray(dtype, pad + src.length + 3);
  a.fill(12345);
  for (let k = 0; k < src.length; k++) a[pad + k] = src[k];
  return a;
}

function unpad(a: FloatArray, pad: number, n: number): Float64Array {
  return Float64Array.from(a.subarray(pad, pad + n));
}

describe('dense kernels match naive triple loops', () => {
  // in = 600 gives W tiles of 24 rows, so out = 50 spans three tiles, the last one ragged.
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1], [1, 7, 3], [3, 5, 4], [4, 8, 8], [5, 3, 9], [16, 33, 10], [7, 600, 50], [9, 1000, 37], [17, 2, 130], [2, 5000, 6],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    const tol = dtype === 'float64' ? 1e-12 : 2e-5;
    for (const [B, inp, out] of shapes) {
      it(`${dtype} B=${B} in=${inp} out=${out}`, () => {
        const rng = new Rng(B * 1000 + inp * 10 + out);
        const round = (x: Float64Array): Float64Array => (dtype === 'float32' ? Float64Array.from(new Float32Array(x)) : x);
        const A = round(randomArray(rng, B * inp));
        const W = round(randomArray(rng, out * inp));
        const delta = round(randomArray(rng, B * out));
        const W0 = round(randomArray(rng, out * inp));
        const b0 = round(randomArray(rng, out));

        // Z = A Wᵀ, with every array at a nonzero offset.
        const Z = floatArray(dtype, 2 + B * out);
        denseForward(padded(dtype, A, 3), 3, padded(dtype, W, 5), 5, Z, 2, B, inp, out);
        expectClose(unpad(Z, 2, B * out), naiveForward(A, W, B, inp, out), tol, 'Z');

        // dW += α δᵀA, db += α colsum(δ) on top of existing values (the fused SGD form) and with α = 1.
        for (const alpha of [1, -0.37]) {
          const dW = padded(dtype, W0, 4), db = padded(dtype, b0, 1);
          denseBackwardParams(padded(dtype, delta, 2), 2, padded(dtype, A, 6), 6, dW, 4, db, 1, B, inp, out, alpha);
          const refW = Float64Array.from(W0), refB = Float64Array.from(b0);
          naiveBackwardParams(delta, A, refW, refB, B, inp, out, alpha);
          expectClose(unpad(dW, 4, out * inp), refW, tol, `dW alpha=${alpha}`);
          expectClose(unpad(db, 1, out), refB, tol, `db alpha=${alpha}`);
          expect(dW[3]).toBe(12345); // nothing written before the offset …
          expect(dW[4 + out * inp]).toBe(12345); // … or after the end
        }

        // dA = δ W, overwriting whatever dA held.
        const dA = padded(dtype, randomArray(rng, B * inp), 7);
        denseBackwardInput(padded(dtype, delta, 1), 1, padded(dtype, W, 2), 2, dA, 7, B, inp, out);
        expectClose(unpad(dA, 7, B * inp), naiveBackwardInput(delta, W, B, inp, out), tol, 'dA');
        expect(dA[6]).toBe(12345);
        expect(dA[7 + B * inp]).toBe(12345);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The whole backend against the native addon

const A = ACTIVATION_CODES;
const LOSS = LOSS_CODES;

interface Arch {
  name: string;
  sizes: number[];
  /** Activation per layer l = 1..L. */
  activations: number[];
  slopes?: number[];
  dropout: number[];
  loss: number;
  /** Targets: class labels, one-hot rows, soft rows (not summing to 1), 0/1 rows or real rows. */
  targets: 'labels' | 'one-hot' | 'soft' | 'binary' | 'real';
}

const ARCHS: Arch[] = [
  { name: 'relu→softmax CE labels, input dropout', sizes: [5, 7, 3], activations: [A.relu, A.softmax], dropout: [0.3, 0], loss: LOSS['cross-entropy'], targets: 'labels' },
  { name: 'relu,relu→softmax CE one-hot, dropout everywhere', sizes: [6, 10, 8, 4], activations: [A.relu, A.relu, A.softmax], dropout: [0.1, 0.25, 0.5], loss: LOSS['cross-entropy'], targets: 'one-hot' },
  { name: 'tanh→softmax CE soft targets', sizes: [4, 9, 5], activations: [A.tanh, A.softmax], dropout: [0, 0.2], loss: LOSS['cross-entropy'], targets: 'soft' },
  { name: 'tanh,leaky-relu→sigmoid BCE', sizes: [4, 6, 5, 2], activations: [A.tanh, A['leaky-relu'], A.sigmoid], slopes: [0, 0, 0.1, 0], dropout: [0.2, 0, 0.4], loss: LOSS['binary-cross-entropy'], targets: 'binary' },
  { name: 'sigmoid→identity MSE, one output', sizes: [3, 8, 1], activations: [A.sigmoid, A.identity], dropout: [0, 0], loss: LOSS.mse, targets: 'real' },
  { name: 'identity,leaky-relu→tanh MSE', sizes: [5, 7, 6, 3], activations: [A.identity, A['leaky-relu'], A.tanh], slopes: [0, 0, 0.05, 0], dropout: [0, 0.3, 0], loss: LOSS.mse, targets: 'real' },
  { name: 'relu→relu MSE', sizes: [4, 12, 3], activations: [A.relu, A.relu], dropout: [0, 0.2], loss: LOSS.mse, targets: 'real' },
  { name: 'sigmoid→leaky-relu MSE', sizes: [4, 6, 2], activations: [A.sigmoid, A['leaky-relu']], slopes: [0, 0, 0.2], dropout: [0, 0], loss: LOSS.mse, targets: 'binary' },
  { name: 'tanh→sigmoid MSE', sizes: [3, 5, 2], activations: [A.tanh, A.sigmoid], dropout: [0.15, 0], loss: LOSS.mse, targets: 'binary' },
  { name: 'single-layer sigmoid BCE, one output', sizes: [6, 1], activations: [A.sigmoid], dropout: [0.1], loss: LOSS['binary-cross-entropy'], targets: 'binary' },
];

const OPTIMIZERS: Record<string, OptimizerCall> = {
  'sgd': { type: OPTIMIZER_CODES.sgd, learningRate: 0.1 },
  'sgd+decay+max-norm': { type: OPTIMIZER_CODES.sgd, learningRate: 0.1, weightDecay: 0.01, maxNorm: 0.9 },
  'sgd+clip': { type: OPTIMIZER_CODES.sgd, learningRate: 0.2, clipNorm: 0.3 },
  'momentum+decay': { type: OPTIMIZER_CODES.sgd, learningRate: 0.05, momentum: 0.9, weightDecay: 0.002 },
  'nesterov+clip': { type: OPTIMIZER_CODES.sgd, learningRate: 0.05, momentum: 0.8, nesterov: true, clipNorm: 0.5 },
  'adam+decay': { type: OPTIMIZER_CODES.adam, learningRate: 0.01, weightDecay: 0.001 },
  'adam custom+clip+max-norm': { type: OPTIMIZER_CODES.adam, learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, clipNorm: 0.4, maxNorm: 1.1 },
  'adamw': { type: OPTIMIZER_CODES.adamw, learningRate: 0.01, epsilon: 1e-8, weightDecay: 0.05 },
  'rmsprop': { type: OPTIMIZER_CODES.rmsprop, learningRate: 0.01, alpha: 0.99, epsilon: 1e-8 },
  'rmsprop centered+momentum+decay': { type: OPTIMIZER_CODES.rmsprop, learningRate: 0.005, alpha: 0.9, epsilon: 1e-6, momentum: 0.7, centered: true, weightDecay: 0.01 },
  'adagrad+clip': { type: OPTIMIZER_CODES.adagrad, learningRate: 0.05, epsilon: 1e-10, initialAccumulator: 0.1, clipNorm: 0.6 },
};

const BATCH_SIZES = [1, 3, 16];

/** Both networks over copies of the same buffers. */
interface Pair {
  specs: [EngineSpec, EngineSpec];
  nets: [EngineNetwork, EngineNetwork];
}

function makePair(binding: Binding, dtype: Dtype, arch: Arch, seed: number): Pair {
  const L = arch.sizes.length - 1;
  let n = 0;
  for (let l = 1; l <= L; l++) n += arch.sizes[l] * (arch.sizes[l - 1] + 1);
  const rng = new Rng(seed);
  const params = randomArray(rng, n, -0.8, 0.8);
  const make = (): EngineSpec => {
    const spec: EngineSpec = {
      dtype,
      sizes: arch.sizes.slice(),
      activations: [0, ...arch.activations],
      slopes: arch.slopes ? arch.slopes.slice() : new Array<number>(L + 1).fill(0),
      dropout: arch.dropout.slice(),
      loss: arch.loss,
      params: floatArray(dtype, n),
      grads: floatArray(dtype, n),
      optM: floatArray(dtype, n),
      optV: floatArray(dtype, n),
      optG: floatArray(dtype, n),
      rng: seedState(seed + 1),
    };
    spec.params.set(params);
    return spec;
  };
  const native = make(), js = make();
  return { specs: [native, js], nets: [new binding.NativeNetwork(native), jsEngine.create(js)] };
}

interface Data {
  X: FloatArray;
  Y: FloatArray | null;
  labels: Int32Array | null;
  weights?: FloatArray | null;
  rows: number;
}

/** The data with row weights in [0, 2), rows 0–2 and every fifth row weighing 0. */
function withWeights(dtype: Dtype, data: Data, seed: number): Data {
  const rng = new Rng(seed);
  const weights = floatArray(dtype, data.rows);
  for (let r = 0; r < data.rows; r++) weights[r] = r < 3 || r % 5 === 0 ? 0 : 2 * rng.uniform();
  return { ...data, weights };
}

function makeData(dtype: Dtype, arch: Arch, rows: number, seed: number): Data {
  const rng = new Rng(seed);
  const inputs = arch.sizes[0], out = arch.sizes[arch.sizes.length - 1];
  const X = floatArray(dtype, rows * inputs);
  X.set(randomArray(rng, rows * inputs, -2, 2));
  if (arch.targets === 'labels') {
    const labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) labels[r] = rng.below(out);
    return { X, Y: null, labels, rows };
  }
  const Y = floatArray(dtype, rows * out);
  for (let r = 0; r < rows; r++) {
    const hot = rng.below(out);
    for (let j = 0; j < out; j++) {
      const u = rng.uniform();
      let v: number;
      switch (arch.targets) {
        case 'one-hot': v = j === hot ? 1 : 0; break;
        case 'soft': v = 0.1 + u; break; // rows sum to about out/2 + 0.1·out, not 1
        case 'binary': v = u < 0.5 ? 0 : 1; break;
        default: v = 2 * u - 1;
      }
      Y[r * out + j] = v;
    }
  }
  return { X, Y, labels: null, rows };
}

/** Runs the same sequence of trainBatches calls on both networks and compares everything after each. */
function trainAndCompare(pair: Pair, arch: Arch, data: Data, optimizer: OptimizerCall, batchSize: number,
  calls: number, tol: number, orderSeed: number): void {
  const L = arch.sizes.length - 1;
  const orderRng = new Rng(orderSeed);
  let step = 1;
  for (let call = 0; call < calls; call++) {
    // An epoch-like call over a shuffled order, sometimes over a subset with repeats.
    const count = call === 2 ? Math.max(1, data.rows - 5) : data.rows;
    const order = new Int32Array(count);
    for (let k = 0; k < count; k++) order[k] = call === 2 ? orderRng.below(data.rows) : k;
    if (call !== 2) orderRng.shuffle(order);
    const steps = Math.ceil(count / batchSize);
    const wantDiagnostics = call >= 1; // the last batch of these calls takes the explicit-gradient path
    const results: LossStats[] = [];
    const stepLosses: Float64Array[] = [];
    const stepWeights: Float64Array[] = [];
    const diagnostics: Array<Float64Array | null> = [];
    for (const net of pair.nets) {
      const losses = new Float64Array(steps), weights = new Float64Array(steps).fill(-1);
      const diag = wantDiagnostics ? new Float64Array(L * DIAGNOSTICS_PER_LAYER).fill(-7) : null;
      const trainCall: TrainCall = {
        X: data.X, Y: data.Y, labels: data.labels, weights: data.weights, rows: data.rows,
        order, count, batchSize, firstStep: step, optimizer, stepLosses: losses, stepWeights: weights, diagnostics: diag,
      };
      results.push(net.trainBatches(trainCall));
      stepLosses.push(losses);
      stepWeights.push(weights);
      diagnostics.push(diag);
    }
    step += steps;
    const what = `call ${call}`;
    const [native, js] = pair.specs;
    expect(Array.from(js.rng), `${what}: rng state`).toEqual(Array.from(native.rng));
    expectClose(js.params, native.params, tol, `${what}: params`);
    expectClose(js.optM, native.optM, tol, `${what}: optM`);
    expectClose(js.optV, native.optV, tol, `${what}: optV`);
    expectClose(js.optG, native.optG, tol, `${what}: optG`);
    if (wantDiagnostics || !isFused(optimizer)) expectClose(js.grads, native.grads, tol, `${what}: grads`);
    expectNumberClose(results[1].lossSum, results[0].lossSum, tol, `${what}: lossSum`);
    expectNumberClose(results[1].correct, results[0].correct, tol, `${what}: correct`);
    expectNumberClose(results[1].weightSum, results[0].weightSum, tol, `${what}: weightSum`);
    expectClose(stepLosses[1], stepLosses[0], tol, `${what}: stepLosses`);
    expectClose(stepWeights[1], stepWeights[0], tol, `${what}: stepWeights`);
    if (!data.weights) expect(Array.from(stepWeights[0]), `${what}: stepWeights without weights`).toEqual(Array.from({ length: steps }, (_, k) => Math.min(batchSize, count - k * batchSize)));
    if (wantDiagnostics) {
      const [dn, dj] = diagnostics as [Float64Array, Float64Array];
      for (let k = 0; k < dn.length; k++) {
        expect(Number.isNaN(dj[k]), `${what}: diagnostics[${k}] NaN`).toBe(Number.isNaN(dn[k]));
        if (!Number.isNaN(dn[k])) expectNumberClose(dj[k], dn[k], k % DIAGNOSTICS_PER_LAYER === 3 ? Math.sqrt(tol) : tol, `${what}: diagnostics[${k}]`);
      }
    }
  }
}

function isFused(c: OptimizerCall): boolean {
  return c.type === OPTIMIZER_CODES.sgd && !c.momentum && !c.clipNorm;
}

/** evaluate (with and without gradients, over more than one 512-row chunk; weighted too) and predict on both networks. */
function compareInference(pair: Pair, arch: Arch, dtype: Dtype, tol: number, weighted = false): void {
  const plain = makeData(dtype, arch, 700, 4242);
  const data = weighted ? withWeights(dtype, plain, 4243) : plain;
  const out = arch.sizes[arch.sizes.length - 1];
  const stats: LossStats[] = [];
  for (const gradients of [false, true]) {
    for (const net of pair.nets) stats.push(net.evaluate({ X: data.X, Y: data.Y, labels: data.labels, weights: data.weights, rows: data.rows, gradients }));
  }
  expectNumberClose(stats[1].lossSum, stats[0].lossSum, tol, 'evaluate lossSum');
  expectNumberClose(stats[1].correct, stats[0].correct, tol, 'evaluate correct');
  expectNumberClose(stats[1].weightSum, stats[0].weightSum, tol, 'evaluate weightSum');
  expect(stats[3]).toEqual(stats[1]); // gradients: true changes nothing else
  expectClose(pair.specs[1].grads, pair.specs[0].grads, tol, 'evaluate gradients');
  const outs = pair.nets.map((net) => {
    const o = floatArray(dtype, data.rows * out);
    net.predict({ X: data.X, rows: data.rows, out: o });
    return o;
  });
  expectClose(outs[1], outs[0], tol, 'predict');
}

describe('TypeScript backend matches the native addon (float64, 1e-9 relative)', () => {
  const binding = loadBinding();
  ARCHS.forEach((arch, a) => {
    describe(arch.name, () => {
      for (const [optName, optimizer] of Object.entries(OPTIMIZERS)) {
        for (const batchSize of BATCH_SIZES) {
          it(`${optName}, batch ${batchSize}`, () => {
            const seed = 100 * a + batchSize;
            const pair = makePair(binding, 'float64', arch, seed);
            const data = makeData('float64', arch, 20, seed + 7);
            trainAndCompare(pair, arch, data, optimizer, batchSize, 3, 1e-9, seed + 11);
            compareInference(pair, arch, 'float64', 1e-9);
          });
        }
      }
    });
  });

  describe('with row weights (some 0)', () => {
    ARCHS.forEach((arch, a) => {
      for (const optName of ['sgd', 'momentum+decay', 'adamw', 'rmsprop centered+momentum+decay']) {
        it(`${arch.name}, ${optName}, batch 3`, () => {
          const seed = 500 + 10 * a;
          const pair = makePair(binding, 'float64', arch, seed);
          const data = withWeights('float64', makeData('float64', arch, 20, seed + 7), seed + 8);
          trainAndCompare(pair, arch, data, OPTIMIZERS[optName], 3, 3, 1e-9, seed + 11);
          compareInference(pair, arch, 'float64', 1e-9, true);
        });
      }
    });
  });

  it('async variants settle with the same results', async () => {
    const arch = ARCHS[1];
    const pair = makePair(binding, 'float64', arch, 5);
    const data = makeData('float64', arch, 30, 6);
    const order = Int32Array.from({ length: 30 }, (_, k) => (k * 7) % 30);
    const call: TrainCall = {
      ...data, order, count: 30, batchSize: 4, firstStep: 1, optimizer: OPTIMIZERS['adam+decay'], stepLosses: null, diagnostics: null,
    };
    const trained = await Promise.all(pair.nets.map((net) => net.trainBatchesAsync(call)));
    expectNumberClose(trained[1].lossSum, trained[0].lossSum, 1e-9, 'lossSum');
    expect(trained[1].correct).toBe(trained[0].correct);
    expectClose(pair.specs[1].params, pair.specs[0].params, 1e-9, 'params');
    expect(Array.from(pair.specs[1].rng)).toEqual(Array.from(pair.specs[0].rng));
    const evaluated: LossStats[] = [];
    for (const net of pair.nets) evaluated.push(await net.evaluateAsync({ ...data, gradients: true }));
    expectNumberClose(evaluated[1].lossSum, evaluated[0].lossSum, 1e-9, 'evaluate lossSum');
    expectClose(pair.specs[1].grads, pair.specs[0].grads, 1e-9, 'evaluate gradients');
  });
});

describe('TypeScript backend matches the native addon (float32, 1e-4 relative after 20 steps)', () => {
  const binding = loadBinding();
  const cases: Array<[number, string, number]> = [
    [0, 'sgd', 1], [1, 'momentum+decay', 3], [1, 'adam+decay', 16], [3, 'nesterov+clip', 3], [3, 'sgd+decay+max-norm', 16],
    [4, 'adam custom+clip+max-norm', 1], [5, 'sgd+clip', 3], [2, 'adam+decay', 3], [6, 'sgd', 16],
    [1, 'adamw', 3], [2, 'rmsprop centered+momentum+decay', 16], [3, 'adagrad+clip', 1], [0, 'rmsprop', 3],
  ];
  for (const [a, optName, batchSize] of cases) {
    const arch = ARCHS[a];
    it(`${arch.name}, ${optName}, batch ${batchSize}`, () => {
      const pair = makePair(binding, 'float32', arch, 77 + a);
      // 20 steps in total: two calls of 10 batches each (the second one with diagnostics).
      const data = makeData('float32', arch, 10 * batchSize, 78 + a);
      trainAndCompare(pair, arch, data, OPTIMIZERS[optName], batchSize, 2, 1e-4, 79 + a);
      compareInference(pair, arch, 'float32', 1e-4);
    });
  }
});

describe('argument checks', () => {
  const arch = ARCHS[0];
  const spec = (): EngineSpec => makePair(loadBinding(), 'float64', arch, 1).specs[1];

  it('rejects buffers that are too short or of the wrong type', () => {
    expect(() => jsEngine.create({ ...spec(), params: new Float64Array(3) })).toThrow(/params/);
    expect(() => jsEngine.create({ ...spec(), optV: new Float32Array(100) })).toThrow(/optV/);
    expect(() => jsEngine.create({ ...spec(), rng: new Uint32Array(2) })).toThrow(/rng/);
  });

  it('rejects calls whose arrays are too short, leaving the network unchanged', () => {
    const s = spec();
    const net = jsEngine.create(s);
    const before = Float64Array.from(s.params);
    const data = makeData('float64', arch, 10, 3);
    const base: TrainCall = {
      ...data, order: Int32Array.from({ length: 10 }, (_, k) => k), count: 10, batchSize: 3, firstStep: 1,
      optimizer: OPTIMIZERS.sgd, stepLosses: null, diagnostics: null,
    };
    expect(() => net.trainBatches({ ...base, X: new Float64Array(5) })).toThrow(/'X'/);
    expect(() => net.trainBatches({ ...base, order: new Int32Array(4) })).toThrow(/'order'/);
    expect(() => net.trainBatches({ ...base, order: Int32Array.from({ length: 10 }, () => 10) })).toThrow(/row index/);
    expect(() => net.trainBatches({ ...base, labels: new Int32Array(10).fill(3) })).toThrow(/label/);
    expect(() => net.trainBatches({ ...base, stepLosses: new Float64Array(3) })).toThrow(/stepLosses/);
    expect(() => net.trainBatches({ ...base, diagnostics: new Float64Array(9) })).toThrow(/diagnostics/);
    const native = makePair(loadBinding(), 'float64', arch, 1).nets[0];
    for (const engine of [net, native]) {
      expect(() => engine.trainBatches({ ...base, weights: new Float64Array(9) })).toThrow(/'weights'/);
      expect(() => engine.evaluate({ ...data, weights: new Float32Array(10), gradients: false })).toThrow(/'weights' must be a Float64Array/);
      expect(() => engine.trainBatches({ ...base, optimizer: { type: 5, learningRate: 0.1 } })).toThrow(/unknown optimizer type/);
    }
    expect(() => net.evaluate({ ...data, labels: null, gradients: false })).toThrow(/exactly one/);
    expect(() => net.predict({ X: data.X, rows: 10, out: new Float64Array(29) })).toThrow(/'out'/);
    expect(Array.from(s.params)).toEqual(Array.from(before));
    expect(() => net.trainBatches(base)).not.toThrow();
  });
});
