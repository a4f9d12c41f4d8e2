// The lecture's worked example: a sigmoid network with the squared loss L = ½ (y − a²)², where
// δ² = (a² − y) ⊙ σ(z²) ⊙ (1 − σ(z²)), ∂L/∂W² = δ² (a¹)ᵀ, ∂L/∂b² = δ², δ¹ = (W²)ᵀ δ² ⊙ σ'(z¹),
// ∂L/∂W¹ = δ¹ xᵀ — every number below is written out by hand from those equations.
import { describe, expect, it } from 'vitest';
import { Network } from '../lib';
import { BACKENDS } from './helpers/backends';

const sigma = (z: number): number => 1 / (1 + Math.exp(-z));

describe.each(BACKENDS)('seed worked example (%s)', (backend) => {
  it('gives the hand-computed deltas and gradients for one example', () => {
    const net = new Network({
      inputs: 2,
      layers: [{ units: 2, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }],
      loss: 'mse',
      dtype: 'float64',
      backend,
      seed: 1,
    });
    // W¹ = [[0.1, 0.2], [0.3, 0.4]], b¹ = [0.5, −0.5], W² = [[0.6, −0.7]], b² = [0.05]; x = [1, 2], y = 1.
    net.setWeights([
      { weight: [0.1, 0.2, 0.3, 0.4], bias: [0.5, -0.5] },
      { weight: [0.6, -0.7], bias: [0.05] },
    ]);
    const x = [[1, 2]];
    const y = [[1]];

    // Forward, by hand.
    const z1 = [0.1 * 1 + 0.2 * 2 + 0.5, 0.3 * 1 + 0.4 * 2 - 0.5]; // [1.0, 0.6]
    const a1 = [sigma(z1[0]!), sigma(z1[1]!)];
    const z2 = 0.6 * a1[0]! - 0.7 * a1[1]! + 0.05;
    const a2 = sigma(z2);
    // Backward, by hand.
    const delta2 = (a2 - 1) * a2 * (1 - a2);
    const delta1 = [0.6 * delta2 * a1[0]! * (1 - a1[0]!), -0.7 * delta2 * a1[1]! * (1 - a1[1]!)];

    expect(net.predict(x).data[0]).toBeCloseTo(a2, 14);
    expect(net.evaluate(x, y).loss).toBeCloseTo(0.5 * (1 - a2) ** 2, 14);
    const [g1, g2] = net.gradients(x, y);
    expect(Array.from(g2!.weight)).toEqual([expect.closeTo(delta2 * a1[0]!, 14), expect.closeTo(delta2 * a1[1]!, 14)]);
    expect(g2!.bias[0]).toBeCloseTo(delta2, 14);
    expect(Array.from(g1!.weight)).toEqual([
      expect.closeTo(delta1[0]! * 1, 14), expect.closeTo(delta1[0]! * 2, 14),
      expect.closeTo(delta1[1]! * 1, 14), expect.closeTo(delta1[1]! * 2, 14),
    ]);
    expect(Array.from(g1!.bias)).toEqual([expect.closeTo(delta1[0]!, 14), expect.closeTo(delta1[1]!, 14)]);

    // One SGD step W ← W − η ∂L/∂W with η = 0.5 moves every weight by exactly −η times its gradient.
    net.trainStep(x, y, 0.5);
    const after = net.getWeights();
    expect(after[1]!.weight[0]).toBeCloseTo(0.6 - 0.5 * delta2 * a1[0]!, 14);
    expect(after[0]!.weight[3]).toBeCloseTo(0.4 - 0.5 * delta1[1]! * 2, 14);
  });

  it('averages gradients over the batch (the gradient of the mean loss)', () => {
    const net = new Network({ inputs: 2, layers: [{ units: 1, activation: 'sigmoid' }], loss: 'mse', dtype: 'float64', backend, seed: 3 });
    net.setWeights([{ weight: [0.3, -0.2], bias: [0.1] }]);
    const rows = [[1, 0], [0, 1], [2, 2]];
    const targets = [[1], [0], [1]];
    const expected = [0, 0, 0];
    rows.forEach((x, i) => {
      const a = sigma(0.3 * x[0]! - 0.2 * x[1]! + 0.1);
      const delta = (a - targets[i]![0]!) * a * (1 - a);
      expected[0] += (delta * x[0]!) / 3;
      expected[1] += (delta * x[1]!) / 3;
      expected[2] += delta / 3;
    });
    const [g] = net.gradients(rows, targets);
    expect(g!.weight[0]).toBeCloseTo(expected[0]!, 14);
    expect(g!.weight[1]).toBeCloseTo(expected[1]!, 14);
    expect(g!.bias[0]).toBeCloseTo(expected[2]!, 14);
  });
});
