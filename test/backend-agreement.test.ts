// The backends agree through the public API: same seed, same data, same options ⇒ the same
// weights, to float32 tolerance in float32 and to near machine precision in float64 (1e-12 for the
// WebAssembly engine, which runs the native kernels with another BLAS; 1e-9 for TypeScript).
import { describe, expect, it } from 'vitest';
import { Network, type FitOptions, type NetworkOptions } from '../lib';
import { lcg, randomRows } from './helpers/reference';

function maxRelativeDifference(a: Network, b: Network): number {
  let worst = 0;
  const wa = a.getWeights(), wb = b.getWeights();
  wa.forEach((layer, l) => {
    for (const part of ['weight', 'bias'] as const) {
      const x = layer[part], y = wb[l]![part];
      let scale = 0;
      for (let k = 0; k < x.length; k++) scale = Math.max(scale, Math.abs(x[k]!));
      for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!) / Math.max(scale, 1e-12));
    }
  });
  return worst;
}

const rand = lcg(2024);
const X = randomRows(64, 10, rand);
const LABELS = X.map((r) => (r[0]! + r[1]! > 0 ? (r[2]! > 0 ? 2 : 1) : 0));

const ARCH: NetworkOptions = {
  inputs: 10,
  layers: [{ units: 16, activation: 'relu' }, { units: 12, activation: 'tanh' }, { units: 3, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: 99,
};

describe.each(['wasm', 'js'] as const)('native and %s backends agree', (other) => {
  const digits = other === 'wasm' ? 12 : 9;
  it('same initial weights from the same seed', () => {
    const a = new Network({ ...ARCH, backend: 'native' });
    const b = new Network({ ...ARCH, backend: other });
    expect(a.backend).toBe('native');
    expect(b.backend).toBe(other);
    expect(maxRelativeDifference(a, b)).toBe(0);
  });

  it('float32: weights after 20 SGD steps within 1e-4 relative', () => {
    const a = new Network({ ...ARCH, backend: 'native' });
    const b = new Network({ ...ARCH, backend: other });
    const options: FitOptions = { epochs: 5, batchSize: 16, learningRate: 0.1 }; // 4 steps per epoch × 5 = 20 steps
    const ha = a.fitSync(X, LABELS, options);
    const hb = b.fitSync(X, LABELS, options);
    expect(maxRelativeDifference(a, b)).toBeLessThan(1e-4);
    ha.loss.forEach((l, i) => expect(Math.abs(l - hb.loss[i]!) / l).toBeLessThan(1e-4));
  });

  it.each<[string, FitOptions, Partial<NetworkOptions>]>([
    ['plain SGD, batch 1', { epochs: 1, batchSize: 1, learningRate: 0.05 }, {}],
    ['momentum + weight decay + max-norm', { epochs: 3, batchSize: 7, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 }, weightDecay: 1e-3, maxNorm: 1.5 }, {}],
    ['nesterov + clipping', { epochs: 3, batchSize: 16, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.8, nesterov: true }, clipNorm: 0.1 }, {}],
    ['adam + cosine schedule', { epochs: 4, batchSize: 10, learningRate: 0.01, optimizer: 'adam', schedule: { type: 'cosine' } }, {}],
    ['dropout on input and hidden layers', { epochs: 3, batchSize: 8, learningRate: 0.1 }, {
      inputDropout: 0.2,
      layers: [{ units: 16, activation: 'relu', dropout: 0.5 }, { units: 12, activation: 'leaky-relu', dropout: 0.3 }, { units: 3, activation: 'softmax' }],
    }],
  ])('float64, %s: same weights to 1e-12 (wasm) or 1e-9 (js)', (_name, options, overrides) => {
    const a = new Network({ ...ARCH, ...overrides, dtype: 'float64', backend: 'native' });
    const b = new Network({ ...ARCH, ...overrides, dtype: 'float64', backend: other });
    const ha = a.fitSync(X, LABELS, { ...options, diagnostics: true });
    const hb = b.fitSync(X, LABELS, { ...options, diagnostics: true });
    expect(maxRelativeDifference(a, b)).toBeLessThan(10 ** -digits);
    ha.loss.forEach((l, i) => expect(l).toBeCloseTo(hb.loss[i]!, digits));
    const da = ha.epochs.at(-1)!.diagnostics!, db = hb.epochs.at(-1)!.diagnostics!;
    da.forEach((d, l) => expect(d.weightGradNorm).toBeCloseTo(db[l]!.weightGradNorm, digits));
    const pa = a.predict(X).data, pb = b.predict(X).data;
    pa.forEach((v, k) => expect(v).toBeCloseTo(pb[k]!, digits));
  });
});
