// Each optimizer against a reference computed in the test: a linear unit a = w·x + b with
// L = ½ (a − y)², so ∂L/∂w = (a − y) x and ∂L/∂b = a − y, stepped by hand for a few steps.
import { describe, expect, it } from 'vitest';
import { Network, type FitOptions } from '../lib';
import { BACKENDS } from './helpers/backends';

const X = [[0.5, -1.5]];
const Y = [[2]];
const W0 = [0.3, -0.2];
const B0 = 0.1;

interface Param { value: number; m: number; v: number; decay: boolean }

/** Runs `steps` optimizer steps by hand; `update` gets the gradient (after clipping) and the 1-based step. */
function byHand(steps: number, update: (p: Param, g: number, t: number) => void, clipNorm = 0, maxNorm = 0): number[] {
  const ps: Param[] = [
    { value: W0[0]!, m: 0, v: 0, decay: true },
    { value: W0[1]!, m: 0, v: 0, decay: true },
    { value: B0, m: 0, v: 0, decay: false },
  ];
  for (let t = 1; t <= steps; t++) {
    const a = ps[0]!.value * X[0]![0]! + ps[1]!.value * X[0]![1]! + ps[2]!.value;
    const r = a - Y[0]![0]!;
    let g = [r * X[0]![0]!, r * X[0]![1]!, r];
    const norm = Math.hypot(...g);
    if (clipNorm > 0 && norm > clipNorm) g = g.map((v) => (v * clipNorm) / norm);
    ps.forEach((p, k) => update(p, g[k]!, t));
    if (maxNorm > 0) {
      const n = Math.hypot(ps[0]!.value, ps[1]!.value);
      if (n > maxNorm) [0, 1].forEach((k) => (ps[k]!.value *= maxNorm / n));
    }
  }
  return ps.map((p) => p.value);
}

function trained(backend: (typeof BACKENDS)[number], options: FitOptions): number[] {
  const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'identity' }], loss: 'mse', dtype: 'float64', backend, seed: 1 });
  net.setWeights([{ weight: W0, bias: [B0] }]);
  net.fitSync(X, Y, { batchSize: 1, shuffle: false, ...options });
  const [layer] = net.getWeights();
  return [layer!.weight[0]!, layer!.weight[1]!, layer!.bias[0]!];
}

const lr = 0.05;

describe.each(BACKENDS)('optimizers against hand-computed steps (%s)', (backend) => {
  it('plain SGD: p ← p − η g', () => {
    const expected = byHand(3, (p, g) => (p.value -= lr * g));
    expect(trained(backend, { epochs: 3, learningRate: lr })).toEqual(expected.map((v) => expect.closeTo(v, 13)));
  });

  it('SGD with L2 weight decay on weights only', () => {
    const wd = 0.1;
    const expected = byHand(3, (p, g) => (p.value -= lr * (g + (p.decay ? wd * p.value : 0))));
    expect(trained(backend, { epochs: 3, learningRate: lr, weightDecay: wd })).toEqual(expected.map((v) => expect.closeTo(v, 13)));
  });

  it('momentum: v ← μ v + g, p ← p − η v', () => {
    const mu = 0.9;
    const expected = byHand(4, (p, g) => {
      p.m = mu * p.m + g;
      p.value -= lr * p.m;
    });
    expect(trained(backend, { epochs: 4, learningRate: lr, optimizer: { type: 'sgd', momentum: mu } })).toEqual(expected.map((v) => expect.closeTo(v, 13)));
  });

  it('Nesterov: v ← μ v + g, p ← p − η (g + μ v)', () => {
    const mu = 0.8;
    const expected = byHand(4, (p, g) => {
      p.m = mu * p.m + g;
      p.value -= lr * (g + mu * p.m);
    });
    expect(trained(backend, { epochs: 4, learningRate: lr, optimizer: { type: 'sgd', momentum: mu, nesterov: true } })).toEqual(expected.map((v) => expect.closeTo(v, 13)));
  });

  it('Adam with bias correction', () => {
    const [b1, b2, eps] = [0.9, 0.99, 1e-8];
    const expected = byHand(4, (p, g, t) => {
      p.m = b1 * p.m + (1 - b1) * g;
      p.v = b2 * p.v + (1 - b2) * g * g;
      const mHat = p.m / (1 - b1 ** t);
      const vHat = p.v / (1 - b2 ** t);
      p.value -= lr * (mHat / (Math.sqrt(vHat) + eps));
    });
    const got = trained(backend, { epochs: 4, learningRate: lr, optimizer: { type: 'adam', beta1: b1, beta2: b2, epsilon: eps } });
    expect(got).toEqual(expected.map((v) => expect.closeTo(v, 12)));
  });

  it('gradient clipping by global norm', () => {
    const clip = 0.5;
    const expected = byHand(3, (p, g) => (p.value -= lr * g), clip);
    expect(trained(backend, { epochs: 3, learningRate: lr, clipNorm: clip })).toEqual(expected.map((v) => expect.closeTo(v, 13)));
  });

  it('max-norm constraint on each unit’s incoming weights', () => {
    const expected = byHand(3, (p, g) => (p.value -= 0.5 * g), 0, 0.4);
    const got = trained(backend, { epochs: 3, learningRate: 0.5, maxNorm: 0.4 });
    expect(got).toEqual(expected.map((v) => expect.closeTo(v, 13)));
    expect(Math.hypot(got[0]!, got[1]!)).toBeLessThanOrEqual(0.4 + 1e-12);
  });

  it('state persists across fit calls with the same settings and resets when they change', () => {
    const mu = 0.9;
    const expected = byHand(4, (p, g) => {
      p.m = mu * p.m + g;
      p.value -= lr * p.m;
    });
    const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'identity' }], loss: 'mse', dtype: 'float64', backend, seed: 1 });
    net.setWeights([{ weight: W0, bias: [B0] }]);
    const options: FitOptions = { batchSize: 1, shuffle: false, epochs: 2, learningRate: lr, optimizer: { type: 'sgd', momentum: mu } };
    net.fitSync(X, Y, options);
    net.fitSync(X, Y, options); // continues with the velocity of the first call
    const [layer] = net.getWeights();
    expect([layer!.weight[0], layer!.weight[1], layer!.bias[0]]).toEqual(expected.map((v) => expect.closeTo(v, 13)));

    // Switching optimizer settings starts from fresh state: two Adam steps equal Adam from scratch.
    const adam: FitOptions = { batchSize: 1, shuffle: false, epochs: 2, learningRate: lr, optimizer: 'adam' };
    const fresh = new Network({ inputs: 2, layers: [{ units: 1, activation: 'identity' }], loss: 'mse', dtype: 'float64', backend, seed: 1 });
    fresh.setWeights(net.getWeights());
    net.fitSync(X, Y, adam);
    fresh.fitSync(X, Y, adam);
    expect(net.getWeights()).toEqual(fresh.getWeights());
  });
});
