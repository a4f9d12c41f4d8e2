// The training loop's options: schedules, validation, callbacks, early stopping, dropout.
import { describe, expect, it } from 'vitest';
import { Network, type EpochLogs, type NetworkOptions } from '../lib';
import { BACKENDS } from './helpers/backends';
import { lcg, randomRows } from './helpers/reference';

const rand = lcg(4);
const X = randomRows(120, 4, rand);
const Y = X.map((r) => (r[0]! + r[1]! > 0 ? 1 : 0) + (r[2]! > 0.3 ? 1 : 0));
const OPTIONS: NetworkOptions = {
  inputs: 4,
  layers: [{ units: 12, activation: 'tanh' }, { units: 3, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: 12,
};

describe.each(BACKENDS)('training loop (%s)', (backend) => {
  it.each<[string, object, (base: number, epoch: number) => number]>([
    ['constant', { schedule: 'constant' }, (b) => b],
    ['step', { schedule: { type: 'step', stepSize: 2, gamma: 0.5 } }, (b, e) => b * 0.5 ** Math.floor(e / 2)],
    ['exponential', { schedule: { type: 'exponential', gamma: 0.9 } }, (b, e) => b * 0.9 ** e],
    ['cosine', { schedule: { type: 'cosine', minLearningRate: 0.01 } }, (b, e) => 0.01 + ((b - 0.01) * (1 + Math.cos((Math.PI * e) / 6))) / 2],
  ])('%s schedule sets each epoch’s learning rate', (_name, options, expected) => {
    const net = new Network({ ...OPTIONS, backend });
    const history = net.fitSync(X, Y, { epochs: 6, learningRate: 0.2, ...options });
    history.epochs.forEach((e, i) => expect(e.learningRate).toBeCloseTo(expected(0.2, i), 15));
  });

  it('a schedule changes the updates: epoch 2 of a step schedule equals a fresh fit at the decayed rate', () => {
    const a = new Network({ ...OPTIONS, backend, dtype: 'float64' });
    const b = new Network({ ...OPTIONS, backend, dtype: 'float64' });
    a.fitSync(X, Y, { epochs: 2, learningRate: 0.2, schedule: { type: 'step', stepSize: 1, gamma: 0.25 }, shuffle: false });
    b.fitSync(X, Y, { epochs: 1, learningRate: 0.2, shuffle: false });
    b.fitSync(X, Y, { epochs: 1, learningRate: 0.05, shuffle: false });
    expect(a.getWeights()).toEqual(b.getWeights());
  });

  it('validationSplit holds out the last rows: valLoss equals evaluate on them, and they are never trained on', () => {
    const net = new Network({ ...OPTIONS, backend, dtype: 'float64' });
    const logs: EpochLogs[] = [];
    const history = net.fitSync(X, Y, { epochs: 3, learningRate: 0.1, validationSplit: 0.25, callbacks: { onEpochEnd: (_e, l) => logs.push(l) } });
    const held = net.evaluate(X.slice(90), Y.slice(90));
    expect(history.epochs[2]!.valLoss).toBeCloseTo(held.loss, 12);
    expect(history.epochs[2]!.valAccuracy).toBe(held.accuracy);
    expect(logs).toHaveLength(3);
    expect(logs[2]).toEqual({ loss: history.loss[2], accuracy: history.epochs[2]!.accuracy, valLoss: history.epochs[2]!.valLoss, valAccuracy: history.epochs[2]!.valAccuracy });
    // Training only on the first 90 rows gives the same weights.
    const twin = new Network({ ...OPTIONS, backend, dtype: 'float64' });
    twin.fitSync(X.slice(0, 90), Y.slice(0, 90), { epochs: 3, learningRate: 0.1 });
    expect(twin.getWeights()).toEqual(net.getWeights());
  });

  it('validationData is evaluated after every epoch', () => {
    const net = new Network({ ...OPTIONS, backend });
    const vx = randomRows(30, 4, rand);
    const vy = vx.map((r) => (r[0]! > 0 ? 1 : 0));
    const history = net.fitSync(X, Y, { epochs: 2, learningRate: 0.1, validationData: [vx, vy] });
    expect(history.epochs[1]!.valLoss).toBeCloseTo(net.evaluate(vx, vy).loss, 5);
  });

  it('early stopping: stops after `patience` epochs without improvement and restores the best weights', () => {
    const net = new Network({ ...OPTIONS, backend, dtype: 'float64' });
    // A validation set whose labels contradict the training labels: valLoss rises as training fits.
    const vy = Y.slice(0, 40).map((c) => (c + 1) % 3);
    let bestWeights: ReturnType<Network['getWeights']> | null = null;
    let best = Infinity;
    const history = net.fitSync(X, Y, {
      epochs: 50, learningRate: 0.3, validationData: [X.slice(0, 40), vy],
      earlyStopping: { patience: 2 },
      callbacks: { onEpochEnd: (_e, logs) => { if (logs.valLoss! < best) { best = logs.valLoss!; bestWeights = net.getWeights(); } } },
    });
    expect(history.stopReason).toBe('early-stopping');
    const n = history.epochs.length;
    expect(n).toBeLessThan(50);
    expect(history.bestEpoch).toBe(n - 3); // the best epoch, then `patience` epochs without improvement
    expect(net.getWeights()).toEqual(bestWeights);
    expect(net.evaluate(X.slice(0, 40), vy).loss).toBeCloseTo(best, 12);
  });

  it('onBatchEnd reports every batch with its mean loss; their weighted mean is the epoch loss', () => {
    const net = new Network({ ...OPTIONS, backend, dtype: 'float64' });
    const batches: { batch: number; loss: number; size: number }[] = [];
    const history = net.fitSync(X, Y, { epochs: 2, batchSize: 50, learningRate: 0.1, callbacks: { onBatchEnd: (batch, l) => batches.push({ batch, ...l }) } });
    expect(batches.map((b) => b.batch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batches.map((b) => b.size)).toEqual([50, 50, 20, 50, 50, 20]);
    const epoch0 = batches.slice(0, 3).reduce((s, b) => s + b.loss * b.size, 0) / 120;
    expect(history.loss[0]).toBeCloseTo(epoch0, 12);
  });

  it('inverted dropout: dropped inputs get no gradient, kept ones are scaled by 1/(1 − p), predict is unaffected', () => {
    const inputs = 400;
    const net = new Network({ inputs, layers: [{ units: 1, activation: 'identity', init: 'zeros' }], loss: 'mse', dtype: 'float64', inputDropout: 0.25, backend, seed: 5 });
    const x = [Array.from({ length: inputs }, () => 1)];
    // One SGD step on L = ½ (w·x̃ + b − y)² from w = 0: Δw_k = −η (0 − y) x̃_k, with x̃_k = 0 or 1/(1 − p).
    net.trainStep(x, [[1]], 0.1);
    const w = Array.from(net.getWeights()[0]!.weight);
    const dropped = w.filter((v) => v === 0).length;
    expect(w.every((v) => v === 0 || Math.abs(v - 0.1 / 0.75) < 1e-15)).toBe(true);
    expect(dropped / inputs).toBeGreaterThan(0.18); // ≈ p = 0.25 (binomial, 400 draws: σ ≈ 0.022)
    expect(dropped / inputs).toBeLessThan(0.32);
    // predict and evaluate use the full network: the output is exactly w · x + b.
    const b = net.getWeights()[0]!.bias[0]!;
    expect(net.predict(x).data[0]).toBeCloseTo(w.reduce((s, v) => s + v, 0) + b, 12);
  });
});
