// Each optimizer against a reference computed in the test: a linear unit a = w·x + b with
// L = ½ (a − y)², so ∂L/∂w = (a − y) x and ∂L/∂b = a − y, stepped by hand for a few steps.
import { describe, expect, it } from 'vitest';
import { ConfigError, Network, type FitOptions, type OptimizerOptions } from '../lib';
import { BACKENDS } from './helpers/backends';

const X = [[0.5, -1.5]];
const Y = [[2]];
const W0 = [0.3, -0.2];
const B0 = 0.1;

interface Param { value: number; m: number; v: number; a: number; decay: boolean }

/** Runs `steps` optimizer steps by hand; `update` gets the gradient (after clipping) and the 1-based step. */
function byHand(steps: number, update: (p: Param, g: number, t: number) => void, clipNorm = 0, maxNorm = 0): number[] {
  const ps: Param[] = [
    { value: W0[0]!, m: 0, v: 0, a: 0, decay: true },
    { value: W0[1]!, m: 0, v: 0, a: 0, decay: true },
    { value: B0, m: 0, v: 0, a: 0, decay: false },
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

// The optimizers added after SGD and Adam, each written here as torch.optim states its update
// (float64, five steps, weight decay on the weights only), to 1e-12.
const FIVE = 5;
const near = (expected: number[]): unknown[] => expected.map((v) => expect.closeTo(v, 12));

/** torch.optim.AdamW: p ← p(1 − ηλ) for weights (and biases too with decayBiases), then the Adam step with √v/√(1 − β2ᵗ) + ε. */
function adamw(lr: number, b1: number, b2: number, eps: number, wd: number, decayBiases = false) {
  return (p: Param, g: number, t: number): void => {
    if (p.decay || decayBiases) p.value *= 1 - lr * wd;
    p.m = b1 * p.m + (1 - b1) * g;
    p.v = b2 * p.v + (1 - b2) * g * g;
    const denom = Math.sqrt(p.v) / Math.sqrt(1 - b2 ** t) + eps;
    p.value -= (lr / (1 - b1 ** t)) * (p.m / denom);
  };
}

/** torch.optim.RMSprop, with weight_decay λ on the weights only. */
function rmsprop(lr: number, alpha: number, eps: number, momentum: number, centered: boolean, wd = 0) {
  return (p: Param, grad: number): void => {
    const g = grad + (p.decay ? wd * p.value : 0);
    p.v = alpha * p.v + (1 - alpha) * g * g; // square_avg
    let avg: number;
    if (centered) {
      p.a = alpha * p.a + (1 - alpha) * g; // grad_avg
      avg = Math.sqrt(p.v - p.a * p.a) + eps;
    } else {
      avg = Math.sqrt(p.v) + eps;
    }
    if (momentum > 0) {
      p.m = momentum * p.m + g / avg; // momentum_buffer
      p.value -= lr * p.m;
    } else {
      p.value -= (lr * g) / avg;
    }
  };
}

/** torch.optim.Adagrad (lr_decay 0), with weight_decay λ on the weights only. */
function adagrad(lr: number, eps: number, initial: number, wd = 0) {
  return (p: Param, grad: number, t: number): void => {
    const g = grad + (p.decay ? wd * p.value : 0);
    if (t === 1) p.v = initial; // state_sum starts at initial_accumulator_value
    p.v += g * g;
    p.value -= (lr * g) / (Math.sqrt(p.v) + eps);
  };
}

describe.each(BACKENDS)('AdamW, RMSprop and Adagrad against torch.optim steps by hand (%s)', (backend) => {
  const fit = (optimizer: OptimizerOptions, extra: FitOptions = {}): number[] => trained(backend, { epochs: FIVE, learningRate: lr, optimizer, ...extra });

  it("AdamW defaults (β 0.9, 0.999, ε 1e-8, weightDecay 0.01) decay the weights, not the bias", () => {
    expect(fit('adamw')).toEqual(near(byHand(FIVE, adamw(lr, 0.9, 0.999, 1e-8, 0.01))));
    // The decay is real: without it the weights end elsewhere, and the bias is never decayed.
    const undecayed = byHand(FIVE, adamw(lr, 0.9, 0.999, 1e-8, 0));
    const got = fit('adamw');
    expect(Math.abs(got[0]! - undecayed[0]!)).toBeGreaterThan(1e-4);
    const allDecayed = byHand(FIVE, adamw(lr, 0.9, 0.999, 1e-8, 0.01, true));
    expect(Math.abs(got[2]! - allDecayed[2]!)).toBeGreaterThan(1e-6);
  });

  it('AdamW with every setting given, and its default learning rate 0.001', () => {
    const o = { type: 'adamw', beta1: 0.8, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.3 } as const;
    expect(fit(o)).toEqual(near(byHand(FIVE, adamw(lr, 0.8, 0.95, 1e-3, 0.3))));
    expect(trained(backend, { epochs: FIVE, optimizer: o })).toEqual(near(byHand(FIVE, adamw(0.001, 0.8, 0.95, 1e-3, 0.3))));
  });

  it('RMSprop defaults (α 0.99, ε 1e-8 outside the root, no momentum), and its default learning rate 0.01', () => {
    expect(fit('rmsprop')).toEqual(near(byHand(FIVE, rmsprop(lr, 0.99, 1e-8, 0, false))));
    expect(trained(backend, { epochs: FIVE, optimizer: 'rmsprop' })).toEqual(near(byHand(FIVE, rmsprop(0.01, 0.99, 1e-8, 0, false))));
  });

  it('RMSprop with a large ε (added outside the square root), momentum, and L2 weight decay on the weights', () => {
    expect(fit({ type: 'rmsprop', alpha: 0.9, epsilon: 0.1 })).toEqual(near(byHand(FIVE, rmsprop(lr, 0.9, 0.1, 0, false))));
    expect(fit({ type: 'rmsprop', momentum: 0.6 })).toEqual(near(byHand(FIVE, rmsprop(lr, 0.99, 1e-8, 0.6, false))));
    expect(fit({ type: 'rmsprop', alpha: 0.8 }, { weightDecay: 0.2 })).toEqual(near(byHand(FIVE, rmsprop(lr, 0.8, 1e-8, 0, false, 0.2))));
  });

  it('centered RMSprop, without and with momentum', () => {
    expect(fit({ type: 'rmsprop', alpha: 0.9, centered: true })).toEqual(near(byHand(FIVE, rmsprop(lr, 0.9, 1e-8, 0, true))));
    expect(fit({ type: 'rmsprop', alpha: 0.9, epsilon: 1e-3, momentum: 0.7, centered: true })).toEqual(near(byHand(FIVE, rmsprop(lr, 0.9, 1e-3, 0.7, true))));
  });

  it('Adagrad defaults (ε 1e-10, accumulator from 0), and its default learning rate 0.01', () => {
    expect(fit('adagrad')).toEqual(near(byHand(FIVE, adagrad(lr, 1e-10, 0))));
    expect(trained(backend, { epochs: FIVE, optimizer: 'adagrad' })).toEqual(near(byHand(FIVE, adagrad(0.01, 1e-10, 0))));
  });

  it('Adagrad with initialAccumulator and ε, with L2 weight decay on the weights', () => {
    expect(fit({ type: 'adagrad', initialAccumulator: 0.5, epsilon: 1e-3 })).toEqual(near(byHand(FIVE, adagrad(lr, 1e-3, 0.5))));
    expect(fit({ type: 'adagrad', initialAccumulator: 0.1 }, { weightDecay: 0.3 })).toEqual(near(byHand(FIVE, adagrad(lr, 1e-10, 0.1, 0.3))));
  });

  it('state carries over between fit calls: the accumulator starts at initialAccumulator only once', () => {
    const optimizer = { type: 'adagrad', initialAccumulator: 0.5 } as const;
    const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'identity' }], loss: 'mse', dtype: 'float64', backend, seed: 1 });
    net.setWeights([{ weight: W0, bias: [B0] }]);
    const options: FitOptions = { batchSize: 1, shuffle: false, epochs: 2, learningRate: lr, optimizer };
    net.fitSync(X, Y, options);
    net.fitSync(X, Y, { ...options, epochs: 3 });
    const [layer] = net.getWeights();
    expect([layer!.weight[0], layer!.weight[1], layer!.bias[0]]).toEqual(near(byHand(FIVE, adagrad(lr, 1e-10, 0.5))));
  });
});

describe('bad optimizer settings are a ConfigError naming the setting, and the network is unchanged', () => {
  const cases: Array<[string, FitOptions, RegExp]> = [
    ['AdamW weightDecay < 0', { optimizer: { type: 'adamw', weightDecay: -0.1 } }, /optimizer\.weightDecay must be in \[0, ∞\)/],
    ['AdamW weightDecay NaN', { optimizer: { type: 'adamw', weightDecay: NaN } }, /optimizer\.weightDecay must be a finite number, got NaN/],
    ['AdamW beta1 = 1', { optimizer: { type: 'adamw', beta1: 1 } }, /optimizer\.beta1 must be in \[0, 1\)/],
    ['AdamW epsilon 0', { optimizer: { type: 'adamw', epsilon: 0 } }, /optimizer\.epsilon must be > 0/],
    ['AdamW with the L2 weightDecay', { optimizer: 'adamw', weightDecay: 0.01 }, /does not combine with optimizer 'adamw'; give AdamW's decoupled decay as optimizer\.weightDecay/],
    ['RMSprop alpha > 1', { optimizer: { type: 'rmsprop', alpha: 1.5 } }, /optimizer\.alpha must be in \[0, 1\)/],
    ['RMSprop alpha a string', { optimizer: { type: 'rmsprop', alpha: '0.9' as unknown as number } }, /optimizer\.alpha must be a finite number, got '0\.9'/],
    ['RMSprop momentum < 0', { optimizer: { type: 'rmsprop', momentum: -0.1 } }, /optimizer\.momentum must be in \[0, 1\)/],
    ['RMSprop centered not a boolean', { optimizer: { type: 'rmsprop', centered: 1 as unknown as boolean } }, /optimizer\.centered must be a boolean, got 1/],
    ['RMSprop epsilon Infinity', { optimizer: { type: 'rmsprop', epsilon: Infinity } }, /optimizer\.epsilon must be a finite number, got Infinity/],
    ['RMSprop an unknown key', { optimizer: { type: 'rmsprop', rho: 0.9 } as unknown as OptimizerOptions }, /optimizer: unknown option 'rho'; known options: type, alpha, epsilon, momentum, centered/],
    ['Adagrad initialAccumulator < 0', { optimizer: { type: 'adagrad', initialAccumulator: -1 } }, /optimizer\.initialAccumulator must be in \[0, ∞\)/],
    ['Adagrad epsilon < 0', { optimizer: { type: 'adagrad', epsilon: -1e-10 } }, /optimizer\.epsilon must be in \[0, ∞\)/],
    ['Adagrad a key of another optimizer', { optimizer: { type: 'adagrad', momentum: 0.9 } as unknown as OptimizerOptions }, /optimizer: unknown option 'momentum'/],
    ['an unknown optimizer name', { optimizer: 'adamax' as OptimizerOptions }, /unknown optimizer 'adamax'; expected one of 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'/],
  ];
  it.each(BACKENDS)('%s', (backend) => {
    const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'identity' }], loss: 'mse', dtype: 'float64', backend, seed: 1 });
    const before = net.getWeights();
    for (const [name, options, message] of cases) {
      expect(() => net.fitSync(X, Y, options), name).toThrow(ConfigError);
      expect(() => net.fitSync(X, Y, options), name).toThrow(message);
      expect(() => net.trainStep(X, Y, { learningRate: 0.1, ...(options as object) }), name).toThrow(message);
    }
    expect(net.getWeights()).toEqual(before);
  });
});
