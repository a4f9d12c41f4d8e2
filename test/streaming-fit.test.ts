// Training from a stream of batches (net.fit(source, options)): a stream with a matrix's batches
// and order gives bit-identical weights, re-batching and the shuffle buffer, validation, early
// stopping, callbacks and abort, and bad streams ending the fit with the network as it was after
// the last completed step.
import { describe, expect, it } from 'vitest';
import { ConfigError, DTypeError, Network, NonFiniteError, ShapeError, type Batch, type NetworkOptions } from '../lib';
import { Rng } from '../lib/rng';
import { StreamBatcher } from '../lib/stream-batcher';
import { BACKENDS } from './helpers/backends';
import { lcg, randomRows } from './helpers/reference';

const rand = lcg(21);
const ROWS = 150;
const X = randomRows(ROWS, 5, rand);
const LABELS = X.map((r) => (r[0]! + r[1]! > 0 ? 1 : 0) + (r[2]! > 0.3 ? 1 : 0));
const OPTIONS: NetworkOptions = {
  inputs: 5,
  layers: [{ units: 9, activation: 'tanh', dropout: 0.2 }, { units: 3, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: 5,
};

/** The rows [start, end) as a batch. */
const slice = (start: number, end: number): Batch => ({ x: X.slice(start, end), y: LABELS.slice(start, end) });

/** Batches of the given sizes, in order, cycling over the rows. */
function batchesOf(sizes: number[]): Batch[] {
  const out: Batch[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(slice(at, at + n));
    at += n;
  }
  return out;
}

/** Consecutive batches of `size` over all rows (the last smaller), as a matrix fit with shuffle: false makes them. */
const matrixBatches = (size: number): Batch[] => batchesOf(Array.from({ length: Math.ceil(ROWS / size) }, (_, i) => Math.min(size, ROWS - i * size)));

async function* asyncly(batches: Batch[]): AsyncGenerator<Batch> {
  for (const b of batches) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield b;
  }
}

describe.each(BACKENDS)('streamed fit (%s)', (backend) => {
  describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
    const make = (): Network => new Network({ ...OPTIONS, backend, dtype });
    const fitOptions = { epochs: 3, learningRate: 0.1, optimizer: { type: 'sgd' as const, momentum: 0.9 } };

    it('a stream of the matrix fit’s batches in its order gives bit-identical weights, synchronously and asynchronously', async () => {
      const reference = make();
      const history = reference.fitSync(X, LABELS, { ...fitOptions, batchSize: 16, shuffle: false });
      const sync = make();
      const syncHistory = sync.fitSync(() => matrixBatches(16), fitOptions);
      const async = make();
      const asyncHistory = await async.fit(() => asyncly(matrixBatches(16)), fitOptions);
      expect(sync.getWeights()).toEqual(reference.getWeights());
      expect(async.getWeights()).toEqual(reference.getWeights());
      expect(syncHistory.loss).toEqual(history.loss);
      expect(asyncHistory.loss).toEqual(history.loss);
      expect(asyncHistory.epochs.map((e) => e.accuracy)).toEqual(history.epochs.map((e) => e.accuracy));
    });

    it('batchSize re-batches source batches of any size, rows carrying over', async () => {
      const reference = make();
      reference.fitSync(X, LABELS, { ...fitOptions, batchSize: 8, shuffle: false });
      const ragged = [7, 13, 1, 30, 3, 8, 8, 50, 30];
      expect(ragged.reduce((a, b) => a + b)).toBe(ROWS);
      const streamed = make();
      await streamed.fit(() => asyncly(batchesOf(ragged)), { ...fitOptions, batchSize: 8 });
      expect(streamed.getWeights()).toEqual(reference.getWeights());
    });

    it('without batchSize each source batch is one step, whatever its size', () => {
      const sizes = [10, 10, 25, 25, 25, 5, 50];
      const streamed = make();
      streamed.fitSync(() => batchesOf(sizes), { ...fitOptions, epochs: 1 });
      const stepped = make();
      // The same steps one by one through trainStep with the optimizer state carried over.
      let at = 0;
      for (const n of sizes) {
        stepped.trainStep(X.slice(at, at + n), LABELS.slice(at, at + n), { learningRate: 0.1, optimizer: fitOptions.optimizer });
        at += n;
      }
      expect(streamed.getWeights()).toEqual(stepped.getWeights());
    });
  });

  it('shuffleBuffer: seeded (same seed, same weights), different from the stream order, and every row trained once per epoch', () => {
    const make = (seed: number): Network => new Network({ ...OPTIONS, backend, dtype: 'float64', seed });
    const fitOnce = (net: Network, shuffleBuffer?: number): number[] => {
      const sizes: number[] = [];
      net.fitSync(() => matrixBatches(20), { epochs: 2, batchSize: 10, learningRate: 0.1, ...(shuffleBuffer ? { shuffleBuffer } : {}), callbacks: { onBatchEnd: (_b, logs) => sizes.push(logs.size) } });
      return sizes;
    };
    const a = make(1), b = make(1), plain = make(1);
    const sizes = fitOnce(a, 40);
    fitOnce(b, 40);
    fitOnce(plain);
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(a.getWeights()).not.toEqual(plain.getWeights());
    expect(sizes.reduce((s, n) => s + n)).toBe(2 * ROWS);
  });

  it('validation data, early stopping and onEpochEnd work as with matrices', async () => {
    const net = new Network({ ...OPTIONS, backend });
    const epochs: number[] = [];
    const history = await net.fit(() => asyncly(matrixBatches(30)), {
      epochs: 40, learningRate: 1e-6, validationData: [X.slice(0, 40), LABELS.slice(0, 40)],
      earlyStopping: { patience: 2, minDelta: 1 }, callbacks: { onEpochEnd: (e) => epochs.push(e) },
    });
    expect(history.stopReason).toBe('early-stopping');
    expect(history.epochs).toHaveLength(3);
    expect(epochs).toEqual([0, 1, 2]);
    expect(history.epochs[0]!.valLoss).toBeCloseTo(new Network({ ...OPTIONS, backend }).evaluate(X.slice(0, 40), LABELS.slice(0, 40)).loss, 4);
  });

  it('an AbortSignal stops between chunks, and the optimizer step count matches the steps taken', async () => {
    const net = new Network({ ...OPTIONS, backend });
    const controller = new AbortController();
    let batches = 0;
    const history = await net.fit(() => asyncly(matrixBatches(10)), {
      epochs: 50, learningRate: 0.1, signal: controller.signal,
      callbacks: { onBatchEnd: () => { if (++batches === 25) controller.abort(); } },
    });
    expect(history.stopReason).toBe('aborted');
    expect(batches).toBeGreaterThanOrEqual(25);
    expect(batches).toBeLessThan(50 * 15);
  });

  describe('bad streams end the fit with the network as after the last completed step', () => {
    /** A twin trained on the good prefix only. */
    const prefixTwin = (batches: Batch[]): Network => {
      const twin = new Network({ ...OPTIONS, backend, dtype: 'float64' });
      twin.fitSync(() => batches, { learningRate: 0.1 });
      return twin;
    };
    const cases: [string, (good: Batch[]) => Iterable<unknown>, new (...args: never[]) => Error, RegExp][] = [
      ['a batch of the wrong shape', (good) => [...good, { x: [[1, 2, 3]], y: [0] }], ShapeError, /batch\[3\]\.x/],
      ['a batch with NaN', (good) => [...good, { x: [[1, 2, NaN, 4, 5]], y: [0] }], NonFiniteError, /batch\[3\]\.x/],
      ['a batch that is not { x, y }', (good) => [...good, 42], DTypeError, /batch\[3\] of epoch 0 must be an object \{ x, y \}/],
      ['labels out of range', (good) => [...good, { x: [X[0]], y: [7] }], Error, /batch\[3\]\.y/],
      ['a stream that throws midway', (good) => (function* () { yield* good; throw new RangeError('the database went away'); })(), RangeError, /the database went away/],
    ];
    it.each(cases)('%s (sync and async)', async (_name, stream, errorClass, message) => {
      const good = matrixBatches(10).slice(0, 3);
      const twin = prefixTwin(good);
      const sync = new Network({ ...OPTIONS, backend, dtype: 'float64' });
      expect(() => sync.fitSync(() => stream(good) as Iterable<Batch>, { learningRate: 0.1 })).toThrow(errorClass);
      expect(() => new Network({ ...OPTIONS, backend, dtype: 'float64' }).fitSync(() => stream(good) as Iterable<Batch>, { learningRate: 0.1 })).toThrow(message);
      expect(sync.getWeights()).toEqual(twin.getWeights());
      const async = new Network({ ...OPTIONS, backend, dtype: 'float64' });
      await expect(async.fit(() => stream(good) as Iterable<Batch>, { learningRate: 0.1 })).rejects.toThrow(errorClass);
      expect(async.getWeights()).toEqual(twin.getWeights());
      expect(async.busy).toBe(false);
    });

    it('with batchSize, the whole steps before a bad batch are trained and a partial step is dropped', async () => {
      const good = batchesOf([7, 13, 9]); // 29 rows: 7 whole steps of 4, one row left over
      const twin = new Network({ ...OPTIONS, backend, dtype: 'float64' });
      twin.fitSync(() => [slice(0, 28)], { learningRate: 0.1, batchSize: 4 });
      const net = new Network({ ...OPTIONS, backend, dtype: 'float64' });
      await expect(net.fit(() => asyncly([...good, { x: [[1]], y: [0] }]), { learningRate: 0.1, batchSize: 4 })).rejects.toThrow(ShapeError);
      expect(net.getWeights()).toEqual(twin.getWeights());
    });

    it('an empty epoch is a ConfigError', async () => {
      const net = new Network({ ...OPTIONS, backend });
      expect(() => net.fitSync(() => [], {})).toThrow(/epoch 0: the source yielded no rows/);
      let epoch = 0;
      await expect(net.fit(() => (epoch++ === 0 ? matrixBatches(50) : []), { epochs: 2 })).rejects.toThrow(ConfigError);
    });
  });

  it('options that do not apply to streams are refused before anything changes', () => {
    const net = new Network({ ...OPTIONS, backend });
    const before = net.getWeights();
    const source = (): Batch[] => matrixBatches(10);
    expect(() => net.fitSync(source, { validationSplit: 0.1 } as never)).toThrow(/validationSplit does not apply to a streamed fit/);
    expect(() => net.fitSync(source, { shuffle: true } as never)).toThrow(/shuffle does not apply to a streamed fit; give shuffleBuffer/);
    expect(() => net.fitSync(source, { shuffleBuffer: 10 })).toThrow(/shuffleBuffer needs batchSize/);
    expect(() => net.fitSync(source, { shuffleBuffer: 0, batchSize: 4 })).toThrow(ConfigError);
    expect(() => net.fitSync(source, { bachSize: 4 } as never)).toThrow(/unknown option 'bachSize'/);
    expect(() => net.fitSync((() => asyncly(matrixBatches(10))) as never, {})).toThrow(/an async iterable needs fit\(\)/);
    expect(() => net.fitSync((() => 5) as never, {})).toThrow(ConfigError);
    expect(net.getWeights()).toEqual(before);
  });
});

describe('the stream batcher', () => {
  /** Feeds rows numbered 0..n-1 (feature = row number) in source batches and collects the emitted row numbers. */
  function emitted(sizes: number[], batchSize: number, shuffleBuffer: number, seed: number, steps = 3): number[] {
    const batcher = new StreamBatcher({ inputs: 1, outputs: 1, bytesPerValue: 8, batchSize, shuffleBuffer, rng: new Rng(seed) });
    const out: number[] = [];
    let next = 0;
    const collect = (chunk: ReturnType<StreamBatcher['take']>): void => {
      if (chunk) out.push(...Array.from(chunk.data.X.subarray(0, chunk.count)));
    };
    for (const n of sizes) {
      const X = Float64Array.from({ length: n }, () => next++);
      batcher.add({ X, rows: n, targets: { Y: new Float64Array(n), labels: null } });
      for (let chunk; (chunk = batcher.take(steps)) !== null; ) collect(chunk);
    }
    for (let chunk; (chunk = batcher.take(steps, 'epoch-end')) !== null; ) collect(chunk);
    return out;
  }

  it('without shuffling: every row once, in order, whatever the batch sizes', () => {
    expect(emitted([3, 1, 7, 2, 9], 4, 0, 1)).toEqual(Array.from({ length: 22 }, (_, i) => i));
  });

  it('with a shuffle buffer of n: every row once, order changed, and no row leaves more than n places early', () => {
    const n = 16;
    const out = emitted([10, 30, 5, 55, 20], 8, n, 3);
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(out).not.toEqual(Array.from({ length: 120 }, (_, i) => i));
    // A row can only be emitted once it has entered the buffer: row r enters when r ≥ n rows came before it.
    out.forEach((row, position) => expect(row).toBeLessThanOrEqual(position + n));
    expect(emitted([10, 30, 5, 55, 20], 8, n, 3)).toEqual(out);
    expect(emitted([10, 30, 5, 55, 20], 8, n, 4)).not.toEqual(out);
  });
});
