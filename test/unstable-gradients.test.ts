// The lecture's unstable-gradient claims, as measured facts about this library, read from the
// per-layer diagnostics that fit records.
import { describe, expect, it } from 'vitest';
import { Network, type ActivationName, type Init, type LayerDiagnostics } from '../lib';
import { lcg, randomRows } from './helpers/reference';

/** Diagnostics of a 10-layer network (9 hidden layers of `width` units, softmax output) at initialization. */
function diagnosticsOf(activation: ActivationName, init: Init, width = 32): LayerDiagnostics[] {
  const rand = lcg(77);
  const x = randomRows(256, width, rand);
  const y = x.map((r) => (r[0]! > 0 ? 1 : 0));
  const layers = Array.from({ length: 9 }, () => ({ units: width, activation, init }));
  const net = new Network({
    inputs: width,
    layers: [...layers, { units: 2, activation: 'softmax', init }],
    loss: 'cross-entropy',
    dtype: 'float64',
    seed: 3,
  });
  // One full-batch step with a tiny learning rate: the diagnostics describe the network as initialized.
  const history = net.fitSync(x, y, { epochs: 1, batchSize: 256, learningRate: 1e-12, diagnostics: true });
  return history.epochs[0]!.diagnostics!;
}

describe('unstable gradients (10-layer networks)', () => {
  it('sigmoid with N(0, 1) weights: the first layer’s bias gradient is orders of magnitude smaller than the last layer’s', () => {
    // The lecture's picture: each layer back multiplies the gradient by about σ'(z)·w with σ' ≤ 1/4.
    // Wider layers compensate with a larger ‖W‖, so the effect is strongest in narrow networks.
    const ratios = [1, 4, 32].map((width) => {
      const d = diagnosticsOf('sigmoid', { type: 'normal', std: 1 }, width);
      expect(d).toHaveLength(10);
      return { width, ratio: d[0]!.biasGradNorm / d[9]!.biasGradNorm, d };
    });
    console.log(ratios.map((r) => `sigmoid N(0,1), width ${r.width}: ‖∂L/∂b¹‖ / ‖∂L/∂b¹⁰‖ = ${r.ratio.toExponential(2)}`).join('\n'));
    expect(ratios[0]!.ratio).toBeLessThan(1e-5); // a chain of single units
    expect(ratios[1]!.ratio).toBeLessThan(1e-3); // width 4
    expect(ratios[2]!.ratio).toBeLessThan(0.2); // width 32: still vanishing, by less
    const narrow = ratios[1]!.d;
    for (let l = 1; l < 9; l++) expect(narrow[l - 1]!.biasGradNorm).toBeLessThan(narrow[l]!.biasGradNorm * 1.5);
  });

  it('ReLU with He init: per-layer weight-gradient norms stay within a small factor of each other', () => {
    const d = diagnosticsOf('relu', 'he');
    const norms = d.slice(0, 9).map((l) => l.weightGradNorm);
    const spread = Math.max(...norms) / Math.min(...norms);
    console.log(`relu He: max/min ‖∂L/∂W^l‖ over the hidden layers = ${spread.toFixed(2)}; per layer ${norms.map((n) => n.toExponential(1)).join(' ')}`);
    expect(spread).toBeLessThan(10);
    for (const l of d.slice(0, 9)) expect(l.deadFraction).not.toBeNull();
    expect(d[9]!.deadFraction).toBeNull(); // softmax layer: not a ReLU layer
  });

  it('weights of scale 100: sigmoid layers saturate and the gradient vanishes; ReLU layers explode', () => {
    const big: Init = { type: 'normal', std: 100 };
    const sigmoid = diagnosticsOf('sigmoid', big);
    // Almost every hidden unit saturates (|z| in the hundreds, σ'(z) ≈ 0): the gradient does not explode
    // through sigmoid layers, it vanishes — by orders of magnitude within a few layers.
    const norms = sigmoid.map((l) => l.weightGradNorm);
    console.log(`sigmoid N(0,100²): ‖∂L/∂W^l‖ per layer ${norms.map((n) => n.toExponential(1)).join(' ')}`);
    expect(norms[0]! / Math.max(...norms)).toBeLessThan(1e-4);
    for (const n of norms) expect(n).toBeLessThan(1e4);
    const relu = diagnosticsOf('relu', big);
    // Activations grow by ~100·√(32/2) per layer: the gradients of the early layers explode.
    console.log(`relu N(0,100²): ‖∂L/∂W^l‖ per layer ${relu.map((l) => l.weightGradNorm.toExponential(1)).join(' ')}; mean a⁹ = ${relu[8]!.activationMean.toExponential(2)}`);
    expect(relu[8]!.activationMean).toBeGreaterThan(1e12);
    expect(relu[0]!.weightGradNorm).toBeGreaterThan(1e6);
    expect(Number.isFinite(relu[0]!.weightGradNorm)).toBe(true);
  });
});
