// Numerics stay finite for large pre-activations (|z| up to 1e4): log-sum-exp for softmax,
// softplus for binary cross-entropy, overflow-free sigmoid.
import { describe, expect, it } from 'vitest';
import { Network, type ActivationName, type LossName } from '../lib';
import { BACKENDS } from './helpers/backends';

const PAIRS: { activation: ActivationName; loss: LossName; y: number[][] | number[] }[] = [
  { activation: 'softmax', loss: 'cross-entropy', y: [0, 1, 2, 1] },
  { activation: 'sigmoid', loss: 'binary-cross-entropy', y: [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]] },
  { activation: 'sigmoid', loss: 'mse', y: [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]] },
  { activation: 'tanh', loss: 'mse', y: [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]] },
];

describe.each(BACKENDS)('extreme inputs (%s)', (backend) => {
  it.each(PAIRS.flatMap((p) => (['float32', 'float64'] as const).map((dtype) => ({ ...p, dtype }))))(
    '$activation + $loss, $dtype: |z| = 1e4 gives finite loss, gradients and outputs',
    ({ activation, loss, y, dtype }) => {
      const net = new Network({ inputs: 2, layers: [{ units: 3, activation }], loss, dtype, backend, seed: 1 });
      // z = ±1e4 on every unit, with the wrong sign for some targets (the hardest case for the loss).
      net.setWeights([{ weight: [1e4, 0, -1e4, 0, 0, 1e4], bias: [0, 0, 0] }]);
      const x = [[1, 1], [-1, -1], [1, -1], [-1, 1]];
      const { loss: value } = net.evaluate(x, y);
      expect(Number.isFinite(value)).toBe(true);
      if (loss !== 'mse') expect(value).toBeGreaterThan(100); // confidently wrong somewhere: a large but finite loss
      for (const layer of net.gradients(x, y)) {
        for (const v of [...layer.weight, ...layer.bias]) expect(Number.isFinite(v)).toBe(true);
      }
      for (const v of net.predict(x).data) expect(Number.isFinite(v)).toBe(true);
      net.trainStep(x, y, 1e-6);
      for (const layer of net.getWeights()) for (const v of layer.weight) expect(Number.isFinite(v)).toBe(true);
    },
  );

  it('softmax cross-entropy of a confident correct prediction is ~0, of a confident wrong one is ~|Δz|', () => {
    const net = new Network({ inputs: 1, layers: [{ units: 2, activation: 'softmax' }], loss: 'cross-entropy', dtype: 'float64', backend, seed: 1 });
    net.setWeights([{ weight: [1e4, -1e4], bias: [0, 0] }]);
    expect(net.evaluate([[1]], [0]).loss).toBe(0);
    expect(net.evaluate([[1]], [1]).loss).toBeCloseTo(2e4, 6);
  });
});
