// fit() trains on the libuv thread pool: the event loop stays free (p99 delay < 50 ms during a
// fit of more than 3 s, and an HTTP request is answered meanwhile), an AbortSignal stops it with a
// consistent model, other calls on the busy network are rejected, and results are reproducible.
import * as http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusyError, ConfigError, Network, physicalCores, setThreads, type FitOptions, type NetworkOptions } from '../lib';
import { networkState } from '../lib/network';
import { lcg } from './helpers/reference';

function dataset(rows: number, cols: number, classes: number, seed: number): { x: { data: Float32Array; shape: [number, number] }; y: Int32Array } {
  const rand = lcg(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rand() * 2 - 1;
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = Math.floor(((data[r * cols]! + 1) / 2) * classes) % classes;
  return { x: { data, shape: [rows, cols] }, y };
}

const BIG: NetworkOptions = {
  inputs: 256,
  layers: [{ units: 512, activation: 'relu' }, { units: 512, activation: 'relu' }, { units: 10, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: 8,
  backend: 'native',
};

function weightBytes(net: Network): Buffer {
  return Buffer.concat(net.getWeights().flatMap((l) => [Buffer.from(l.weight.buffer, l.weight.byteOffset, l.weight.byteLength), Buffer.from(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength)]));
}

describe('asynchronous fit (native)', () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps the event loop free during a > 3 s fit, answers HTTP, and stops on abort with a consistent model', async () => {
    const { x, y } = dataset(20000, 256, 10, 1);
    const net = new Network(BIG);
    const controller = new AbortController();
    let batches = 0;
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    const started = performance.now();
    histogram.enable();
    const fit = net.fit(x, y, {
      epochs: 1000, batchSize: 64, learningRate: 0.01, validationSplit: 0.1, signal: controller.signal,
      callbacks: { onBatchEnd: () => batches++ },
    });
    expect(net.busy).toBe(true);
    // Requests while training: each must be answered, quickly.
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const t0 = performance.now();
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toBe('pong');
      latencies.push(performance.now() - t0);
    }
    controller.abort();
    const history = await fit;
    histogram.disable();
    const seconds = (performance.now() - started) / 1000;

    expect(seconds).toBeGreaterThan(3);
    expect(history.stopReason).toBe('aborted');
    expect(batches).toBeGreaterThan(0);
    const p99 = histogram.percentile(99) / 1e6;
    console.log(`fit ran ${seconds.toFixed(1)} s, ${batches} steps; event-loop delay p99 ${p99.toFixed(1)} ms, max ${(histogram.max / 1e6).toFixed(1)} ms; HTTP latency max ${Math.max(...latencies).toFixed(1)} ms`);
    expect(p99).toBeLessThan(50);
    expect(Math.max(...latencies)).toBeLessThan(200);
    // Consistent: every step reported was applied completely and no other step was.
    expect(networkState(net).optimizerStep).toBe(batches);
    expect(net.busy).toBe(false);
    const evaluation = net.evaluate(x, y);
    expect(Number.isFinite(evaluation.loss)).toBe(true);
    net.fitSync(x, y, { epochs: 1, batchSize: 256, learningRate: 0.01 }); // usable again
  }, 60_000);

  it('rejects other calls on the network while fit runs, and accepts them afterwards', async () => {
    const { x, y } = dataset(4000, 256, 10, 2);
    const net = new Network(BIG);
    const fit = net.fit(x, y, { epochs: 2, batchSize: 32 });
    await expect(net.fit(x, y)).rejects.toThrow(BusyError);
    expect(() => net.fitSync(x, y)).toThrow(BusyError);
    expect(() => net.trainStep(x, y, 0.1)).toThrow(BusyError);
    expect(() => net.setWeights(networkState(net).params as never)).toThrow(BusyError);
    expect(() => net.predict(x)).toThrow(/predict\(\) was called while fit\(\) is running/);
    expect(() => net.getWeights()).toThrow(BusyError);
    const history = await fit;
    expect(history.epochs).toHaveLength(2);
    expect(net.predict(x).shape).toEqual([4000, 10]);
  });

  it('rejects a signal that is already aborted before any work, leaving the network unchanged', async () => {
    const { x, y } = dataset(100, 256, 10, 3);
    const net = new Network(BIG);
    const before = weightBytes(net);
    const controller = new AbortController();
    controller.abort();
    await expect(net.fit(x, y, { signal: controller.signal })).rejects.toThrow(ConfigError);
    expect(weightBytes(net).equals(before)).toBe(true);
    expect(net.busy).toBe(false);
  });

  it('rejects a negative dropout probability at construction', () => {
    expect(() => new Network({ ...BIG, layers: [{ units: 8, dropout: -0.1 }, { units: 10, activation: 'softmax' }] })).toThrow(ConfigError);
  });

  it.each<[string, FitOptions, RegExp]>([
    ['negative weight decay', { weightDecay: -1 }, /weightDecay must be in \[0/],
    ['unknown optimizer', { optimizer: 'adamax' as never }, /unknown optimizer 'adamax'/],
    ['unknown schedule', { schedule: { type: 'linear' } as never }, /unknown schedule 'linear'/],
    ['negative patience', { earlyStopping: { patience: -1 } }, /earlyStopping\.patience must be in \[0/],
    ['momentum ≥ 1', { optimizer: { type: 'sgd', momentum: 1 } }, /optimizer\.momentum must be in \[0, 1\)/],
    ['adam beta2 ≥ 1', { optimizer: { type: 'adam', beta2: 1 } }, /optimizer\.beta2 must be in \[0, 1\)/],
    ['both validation options', { validationSplit: 0.1, validationData: [[[0]], [0]] }, /either validationData or validationSplit/],
    ['valLoss monitor without validation data', { earlyStopping: { patience: 1, monitor: 'valLoss' } }, /needs validationData or validationSplit/],
  ])('fit rejects %s before any work', async (_name, options, message) => {
    const { x, y } = dataset(50, 256, 10, 4);
    const net = new Network(BIG);
    const before = weightBytes(net);
    await expect(net.fit(x, y, options)).rejects.toThrow(message);
    expect(() => net.fitSync(x, y, options)).toThrow(ConfigError);
    expect(weightBytes(net).equals(before)).toBe(true);
  });
});

describe('reproducibility', () => {
  const SMALL: NetworkOptions = {
    inputs: 256,
    layers: [{ units: 64, activation: 'relu', dropout: 0.3 }, { units: 10, activation: 'softmax' }],
    loss: 'cross-entropy',
    seed: 21,
    inputDropout: 0.1,
    backend: 'native',
  };
  const options: FitOptions = { epochs: 3, batchSize: 50, learningRate: 0.05, optimizer: 'adam', validationSplit: 0.2 };

  it('one BLAS thread: same seed, data and options give bit-identical weights run after run, sync or async', async () => {
    const { x, y } = dataset(3000, 256, 10, 5);
    setThreads(1);
    try {
      const a = new Network(SMALL);
      const b = new Network(SMALL);
      const c = new Network(SMALL);
      const ha = a.fitSync(x, y, options);
      const hb = b.fitSync(x, y, options);
      const hc = await c.fit(x, y, options); // different chunking, same steps
      expect(weightBytes(a).equals(weightBytes(b))).toBe(true);
      expect(weightBytes(a).equals(weightBytes(c))).toBe(true);
      expect(ha.loss).toEqual(hb.loss);
      expect(ha.loss).toEqual(hc.loss);
      expect(ha.epochs.map((e) => e.valLoss)).toEqual(hc.epochs.map((e) => e.valLoss));
      // A different seed gives a different result.
      const d = new Network({ ...SMALL, seed: 22 });
      d.fitSync(x, y, options);
      expect(weightBytes(d).equals(weightBytes(a))).toBe(false);
    } finally {
      setThreads(physicalCores());
    }
  });
});
