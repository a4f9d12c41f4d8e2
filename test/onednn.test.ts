// The oneDNN product engine against the OpenBLAS one: the same training in float32 agrees within
// 1e-5 relative after 20 steps (SGD, momentum, Adam, AdamW, RMSprop, Adagrad, row weights, dropout,
// weight decay, a partial last batch), its float32 gradients pass a check against float64 finite
// differences, and the choice of engine (blas option, BLASPROP_BLAS, the 'auto' rule, bad choices)
// behaves as documented.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError, ConfigError, Network, backendInfo, physicalCores, setThreads, type FitOptions, type NetworkOptions } from '../lib';
import { lcg, randomRows } from './helpers/reference';

const BASE: NetworkOptions = {
  inputs: 12,
  layers: [{ units: 24, activation: 'tanh' }, { units: 16, activation: 'relu' }, { units: 4 }],
  loss: 'cross-entropy',
  seed: 7,
};

function data(rows: number, seed = 3): { x: number[][]; y: number[] } {
  const rand = lcg(seed);
  const x = randomRows(rows, 12, rand);
  return { x, y: x.map((r) => (r[0]! + r[1]! > 0 ? 1 : 0) + (r[2]! > 0 ? 2 : 0)) };
}

/** max |a − b| over all parameters ÷ max |b|. */
function relativeDifference(a: Network, b: Network): number {
  let diff = 0, scale = 0;
  a.getWeights().forEach((layer, l) => {
    for (const part of ['weight', 'bias'] as const) {
      const u = layer[part], v = b.getWeights()[l]![part];
      for (let k = 0; k < u.length; k++) {
        diff = Math.max(diff, Math.abs(u[k]! - v[k]!));
        scale = Math.max(scale, Math.abs(v[k]!));
      }
    }
  });
  return diff / scale;
}

const TRAININGS: [string, Partial<NetworkOptions>, FitOptions][] = [
  ['SGD (update fused into the product)', {}, { learningRate: 0.1 }],
  ['SGD with weight decay', {}, { learningRate: 0.1, weightDecay: 1e-3 }],
  ['momentum', {}, { learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 } }],
  ['Nesterov momentum with clipping', {}, { learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9, nesterov: true }, clipNorm: 1 }],
  ['Adam', {}, { learningRate: 0.01, optimizer: 'adam' }],
  ['AdamW', {}, { learningRate: 0.01, optimizer: { type: 'adamw', weightDecay: 0.05 } }],
  ['centered RMSprop with momentum and weight decay', {}, { learningRate: 0.002, optimizer: { type: 'rmsprop', centered: true, momentum: 0.5 }, weightDecay: 1e-3 }],
  ['Adagrad', {}, { learningRate: 0.05, optimizer: { type: 'adagrad', initialAccumulator: 0.1 } }],
  ['Adam with sampleWeight and classWeight', {}, { learningRate: 0.01, optimizer: 'adam', sampleWeight: Array.from({ length: 100 }, (_, r) => (r % 5) / 2), classWeight: { 1: 3 } }],
  ['dropout with SGD', { inputDropout: 0.1, layers: [{ units: 24, activation: 'tanh', dropout: 0.3 }, { units: 16, activation: 'relu', dropout: 0.2 }, { units: 4 }] }, { learningRate: 0.1 }],
];

describe('oneDNN float32 engine agrees with OpenBLAS', () => {
  it.each(TRAININGS)('%s: 20 steps (batch 16, the last of each epoch partial) within 1e-5 relative', (_name, extra, fit) => {
    const { x, y } = data(100);
    const nets = (['openblas', 'onednn'] as const).map((blas) => new Network({ ...BASE, ...extra, blas }));
    expect(nets.map((n) => n.blas)).toEqual(['openblas', 'onednn']);
    // 100 rows in batches of 16: 7 steps per epoch (the 7th has 4 rows); 3 epochs = 21 steps, minus the first
    // epoch's last batch makes no difference to the count that matters: at least 20 steps.
    const histories = nets.map((n) => n.fitSync(x, y, { ...fit, epochs: 3, batchSize: 16 }));
    expect(relativeDifference(nets[1]!, nets[0]!)).toBeLessThan(1e-5);
    expect(relativeDifference(nets[1]!, nets[0]!)).toBeGreaterThanOrEqual(0);
    const losses = histories.map((h) => h.epochs.map((e) => e.loss));
    losses[1]!.forEach((loss, e) => expect(Math.abs(loss - losses[0]![e]!)).toBeLessThan(1e-5 * Math.abs(losses[0]![e]!)));
    // The networks did train (the comparison is not between two untouched copies).
    expect(relativeDifference(nets[0]!, new Network({ ...BASE, ...extra, blas: 'openblas' }))).toBeGreaterThan(1e-3);
  });

  it('predict and evaluate agree, including the partial last inference chunk (1100 rows = 512 + 512 + 76)', () => {
    const { x, y } = data(1100, 5);
    const nets = (['openblas', 'onednn'] as const).map((blas) => new Network({ ...BASE, blas }));
    const [p0, p1] = nets.map((n) => n.predict(x).data);
    let worst = 0;
    for (let k = 0; k < p0!.length; k++) worst = Math.max(worst, Math.abs(p0![k]! - p1![k]!));
    expect(worst).toBeLessThan(1e-6);
    const [e0, e1] = nets.map((n) => n.evaluate(x, y));
    expect(Math.abs(e1!.loss - e0!.loss)).toBeLessThan(1e-6 * e0!.loss);
    expect(e1!.accuracy).toBe(e0!.accuracy);
  });

  it('fit on a libuv worker (async) and fitSync give the same weights on oneDNN, f32 and bf16, with an OpenBLAS fit in between', async () => {
    const { x, y } = data(200);
    const fit: FitOptions = { epochs: 2, batchSize: 32, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 } };
    for (const extra of [{ blas: 'onednn' as const }, ...(backendInfo().blas!.onednn!.bf16 ? [{ mixedPrecision: 'bfloat16' as const }] : [])]) {
      const sync = new Network({ ...BASE, ...extra });
      const async = new Network({ ...BASE, ...extra });
      sync.fitSync(x, y, fit);
      await new Network({ ...BASE, blas: 'openblas' }).fit(x, y, fit);  // the OpenBLAS pool runs, then must yield to oneDNN's
      await async.fit(x, y, fit);
      expect(async.getWeights()).toEqual(sync.getWeights());
    }
  });

  it('two identical fits of a network large enough to split every product over the threads end bit-identical, on 1 and on 2 threads', () => {
    const rows = 1024, inputs = 784;
    const X = new Float32Array(rows * inputs).map((_, i) => ((i * 7919) % 1000) / 1000);
    const labels = new Int32Array(rows).map((_, i) => (i * 31) % 10);
    const options: NetworkOptions = { inputs, layers: [{ units: 256, activation: 'relu' }, { units: 10 }], loss: 'cross-entropy', seed: 3, blas: 'onednn' };
    const fit = (): Network => {
      const net = new Network(options);
      net.fitSync({ data: X, shape: [rows, inputs] }, labels, { epochs: 2, batchSize: 128, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 } });
      return net;
    };
    try {
      for (const threads of [1, 2]) {
        setThreads(threads);
        const [a, b] = [fit(), fit()];
        expect(a.getWeights(), `${threads} thread(s)`).toEqual(b.getWeights());
        expect(relativeDifference(a, new Network(options))).toBeGreaterThan(1e-3);  // it trained
      }
    } finally {
      setThreads(physicalCores());
    }
  });

  it('oneDNN fits (f32, bf16) at once with OpenBLAS fits go through the pass scheduler and each give the weights they get alone', async () => {
    const { x, y } = data(400);
    const fit: FitOptions = { epochs: 3, batchSize: 16, learningRate: 0.05 };
    const kinds: Partial<NetworkOptions>[] = [{ blas: 'onednn' }, { blas: 'openblas' }, { blas: 'onednn', seed: 8 }, { blas: 'openblas', seed: 8 }];
    if (backendInfo().blas!.onednn!.bf16) kinds.push({ mixedPrecision: 'bfloat16' });
    const alone = kinds.map((extra) => {
      const net = new Network({ ...BASE, ...extra });
      net.fitSync(x, y, fit);
      return net.getWeights();
    });
    const nets = kinds.map((extra) => new Network({ ...BASE, ...extra }));
    const histories = await Promise.all(nets.map((net) => net.fit(x, y, fit)));
    for (const [k, net] of nets.entries()) {
      expect(histories[k]!.stopReason).toBe('completed');
      expect(net.getWeights(), JSON.stringify(kinds[k])).toEqual(alone[k]);
    }
  });

  it('a single row (batch 1) trains the same on both engines', () => {
    const { x, y } = data(20);
    const nets = (['openblas', 'onednn'] as const).map((blas) => new Network({ ...BASE, blas }));
    nets.forEach((n) => n.fitSync(x, y, { epochs: 1, batchSize: 1, learningRate: 0.05, shuffle: false }));
    expect(relativeDifference(nets[1]!, nets[0]!)).toBeLessThan(1e-5);
  });
});

describe('oneDNN float32 gradients against float64 finite differences', () => {
  const CASES: [string, NetworkOptions][] = [
    ['tanh, relu, softmax + cross-entropy', BASE],
    ['sigmoid, identity + mse', { inputs: 12, layers: [{ units: 10, activation: 'sigmoid' }, { units: 3, activation: 'identity' }], loss: 'mse', seed: 11 }],
    ['leaky-relu, sigmoid + binary cross-entropy', { inputs: 12, layers: [{ units: 9, activation: 'leaky-relu' }, { units: 2, activation: 'sigmoid' }], loss: 'binary-cross-entropy', seed: 5 }],
  ];
  it.each(CASES)('%s, batches of 3 and 16', (_name, options) => {
    for (const rows of [3, 16]) {
      const rand = lcg(rows);
      const x = randomRows(rows, 12, rand);
      const outputs = options.layers[options.layers.length - 1]!.units;
      const y = options.loss === 'cross-entropy' ? x.map((r) => (r[0]! > 0 ? 1 : 0)) : randomRows(rows, outputs, rand).map((r) => r.map((v) => (options.loss === 'mse' ? v : v > 0 ? 1 : 0)));
      const net = new Network({ ...options, blas: 'onednn' });
      const analytic = net.gradients(x, y);
      // The loss as a float64 function of the same weights: finite differences need float64's resolution.
      const reference = new Network({ ...options, dtype: 'float64', blas: 'openblas' });
      const weights = net.getWeights().map((l) => ({ weight: Float64Array.from(l.weight), bias: Float64Array.from(l.bias) }));
      const h = 1e-5;
      let diff2 = 0, norm2 = 0;
      weights.forEach((layer, l) => {
        for (const part of ['weight', 'bias'] as const) {
          for (let k = 0; k < layer[part].length; k++) {
            const original = layer[part][k]!;
            const at = (d: number): number => {
              layer[part][k] = original + d;
              reference.setWeights(weights);
              return reference.evaluate(x, y).loss;
            };
            const numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
            layer[part][k] = original;
            const a = analytic[l]![part][k]!;
            diff2 += (a - numeric) ** 2;
            norm2 += Math.max(a * a, numeric * numeric);
          }
        }
      });
      expect(norm2).toBeGreaterThan(0);
      // float32 products: relative error a few float32 epsilons (1.2e-7) times the depth and fan-in.
      expect(Math.sqrt(diff2 / norm2)).toBeLessThan(1e-4);
    }
  });
});

describe('choosing the product engine', () => {
  const saved = process.env.BLASPROP_BLAS;
  afterEach(() => {
    if (saved === undefined) delete process.env.BLASPROP_BLAS;
    else process.env.BLASPROP_BLAS = saved;
  });

  it("backendInfo reports oneDNN's version and the ISA it dispatches to, and the engine 'auto' picks", () => {
    const info = backendInfo();
    expect(info.backend).toBe('native');
    const onednn = info.blas!.onednn!;
    expect(onednn.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(onednn.isa).toMatch(/^(sse41|avx|avx2|avx2_vnni|avx512_core|avx512_core_vnni|avx512_core_bf16|avx512_core_amx)$/);
    expect(info.products).toBe(onednn.avx512 ? 'onednn' : 'openblas');
  });

  it("'auto': large float32 networks on the engine backendInfo names, small ones and float64 on OpenBLAS; BLASPROP_BLAS overrides 'auto' only", () => {
    delete process.env.BLASPROP_BLAS;
    // 784 × 51 = 39,984 weights, then 10 × 51 more: 40,494, just over AUTO_ONEDNN_MIN_WEIGHTS.
    const large: NetworkOptions = { inputs: 784, layers: [{ units: 51, activation: 'relu' }, { units: 10 }], loss: 'cross-entropy', seed: 1 };
    const small: NetworkOptions = { ...large, layers: [{ units: 50, activation: 'relu' }, { units: 10 }] };  // 39,700
    expect(new Network(large).blas).toBe(backendInfo().products);
    expect(new Network(small).blas).toBe('openblas');
    expect(new Network(BASE).blas).toBe('openblas');
    expect(new Network({ ...large, dtype: 'float64' }).blas).toBe('openblas');
    process.env.BLASPROP_BLAS = 'openblas';
    expect(new Network(large).blas).toBe('openblas');
    expect(new Network({ ...BASE, blas: 'onednn' }).blas).toBe('onednn');
    process.env.BLASPROP_BLAS = 'onednn';
    expect(new Network({ ...BASE, blas: 'auto' }).blas).toBe('onednn');
    expect(new Network({ ...large, blas: 'openblas' }).blas).toBe('openblas');
    process.env.BLASPROP_BLAS = 'mkl';
    expect(() => new Network(BASE)).toThrow(/BLASPROP_BLAS must be one of 'auto', 'openblas', 'onednn', got 'mkl'/);
  });

  it("'auto' for large float32 networks: oneDNN wherever it dispatches to AVX-512, whatever OpenBLAS's kernels (ONEDNN_MAX_CPU_ISA, OPENBLAS_CORETYPE)", () => {
    const script =
      "const { Network, backendInfo } = require('./lib'); const n = new Network({ inputs: 784, layers: [{ units: 64 }, { units: 10 }], loss: 'cross-entropy', seed: 1 });" +
      "const b = backendInfo().blas; process.stdout.write([n.blas, b.onednn.isa, b.coreType].join(' '));";
    const run = (isa: string, core: string): string =>
      execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: path.resolve(__dirname, '..'), env: { ...process.env, ONEDNN_MAX_CPU_ISA: isa, OPENBLAS_CORETYPE: core, BLASPROP_BLAS: '' }, encoding: 'utf8',
      });
    expect(run('AVX512_CORE', 'Haswell')).toBe('onednn avx512_core Haswell');
    expect(run('AVX512_CORE_AMX', 'SkylakeX')).toBe('onednn avx512_core_amx SkylakeX');
    expect(run('AVX2', 'Haswell')).toBe('openblas avx2 Haswell');
  });

  it('bad choices are ConfigErrors that name the problem; oneDNN on the TypeScript backend is a BackendError', () => {
    expect(() => new Network({ ...BASE, blas: 'mkl' as never })).toThrow(ConfigError);
    expect(() => new Network({ ...BASE, blas: 'mkl' as never })).toThrow(/unknown blas 'mkl'; expected one of 'auto', 'openblas', 'onednn'/);
    expect(() => new Network({ ...BASE, dtype: 'float64', blas: 'onednn' })).toThrow(/blas 'onednn' runs float32 networks only/);
    expect(() => new Network({ ...BASE, backend: 'js', blas: 'onednn' })).toThrow(BackendError);
    expect(new Network({ ...BASE, backend: 'js' }).blas).toBe('openblas');
  });
});
