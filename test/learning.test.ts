// The network learns: XOR with a 2-4-1 network, and the lecture's symmetry point about zero init.
import { describe, expect, it } from 'vitest';
import { Network } from '../lib';
import { BACKENDS } from './helpers/backends';

const XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]];
const XOR_Y = [[0], [1], [1], [0]];

describe.each(BACKENDS)('learning (%s)', (backend) => {
  it('XOR 2-4-1 (tanh, sigmoid, mse) reaches loss < 0.01 and classifies all four points', () => {
    const net = new Network({
      inputs: 2,
      layers: [{ units: 4, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }],
      loss: 'mse',
      seed: 7,
      backend,
    });
    const history = net.fitSync(XOR_X, XOR_Y, { epochs: 2000, batchSize: 4, learningRate: 2 });
    expect(history.loss).toHaveLength(2000);
    expect(history.loss.at(-1)!).toBeLessThan(0.01);
    expect(history.loss.at(-1)!).toBeLessThan(history.loss[0]!);
    const out = net.predict(XOR_X).data;
    expect(Array.from(out, (v) => (v > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    expect(net.evaluate(XOR_X, XOR_Y).accuracy).toBeUndefined(); // accuracy is reported for classification losses only
  });

  it('XOR with pure SGD (batch size 1) and binary cross-entropy also converges', () => {
    const net = new Network({
      inputs: 2,
      layers: [{ units: 4, activation: 'tanh' }, { units: 1 }],
      loss: 'binary-cross-entropy',
      seed: 11,
      backend,
    });
    net.fitSync(XOR_X, [0, 1, 1, 0], { epochs: 1000, batchSize: 1, learningRate: 0.5 });
    expect(net.evaluate(XOR_X, [0, 1, 1, 0]).loss).toBeLessThan(0.05);
  });

  it('zeros init keeps every hidden unit identical after training (symmetry); random init does not', () => {
    const x = [[0.5, -1, 2], [1, 0.3, -0.7], [-1.2, 0.8, 0.1], [0.2, 0.2, 0.9], [2, -0.4, -1]];
    const y = [0, 1, 2, 1, 0];
    const make = (init: 'zeros' | 'xavier') =>
      new Network({
        inputs: 3,
        layers: [{ units: 5, activation: 'sigmoid', init }, { units: 3, activation: 'softmax', init }],
        loss: 'cross-entropy',
        seed: 5,
        backend,
      });
    const hiddenRows = (net: Network) => {
      const [W1] = net.getWeights();
      return Array.from({ length: 5 }, (_, j) => Array.from(W1!.weight.subarray(j * 3, j * 3 + 3)));
    };
    const zeros = make('zeros');
    zeros.fitSync(x, y, { epochs: 50, batchSize: 2, learningRate: 0.5 });
    const rows = hiddenRows(zeros);
    expect(rows[0]!.some((v) => v !== 0)).toBe(true); // W¹ did move …
    for (const row of rows) expect(row).toEqual(rows[0]); // … but every hidden unit moved the same way
    const outW = zeros.getWeights()[1]!.weight; // W² [3 × 5]: within each output row all 5 columns stay equal
    for (let c = 0; c < 3; c++) {
      const row = Array.from(outW.subarray(c * 5, c * 5 + 5));
      expect(row.every((v) => v === row[0])).toBe(true);
    }
    expect(outW.some((v) => v !== 0)).toBe(true); // but W² did learn

    const random = make('xavier');
    random.fitSync(x, y, { epochs: 50, batchSize: 2, learningRate: 0.5 });
    const distinct = new Set(hiddenRows(random).map((r) => r.join(',')));
    expect(distinct.size).toBe(5);
  });

  it('the last partial batch is used: 5 rows in batches of 2 make 3 steps per epoch', () => {
    const net = new Network({ inputs: 1, layers: [{ units: 1, activation: 'identity' }], loss: 'mse', backend, seed: 2, dtype: 'float64' });
    const steps: number[] = [];
    net.fitSync([[1], [2], [3], [4], [5]], [[1], [2], [3], [4], [5]], {
      epochs: 2, batchSize: 2, learningRate: 0.01,
      callbacks: { onBatchEnd: (batch, logs) => steps.push(logs.size) },
    });
    expect(steps).toEqual([2, 2, 1, 2, 2, 1]);
  });
});
