// blasprop itself: `new Network(...)` + `fitSync` for one shuffled epoch, so each repetition
// includes the TypeScript loop, shuffling and the backend's batch gathering. Options:
// { backend: 'native' | 'wasm' | 'js', dtype: 'float32' | 'float64', threads?: number, adaptive?: boolean,
//   blas?: 'auto' | 'openblas' | 'onednn', mixedPrecision?: 'none' | 'bfloat16', momentum?: number }
// (threads and adaptive: native only; adaptive is setThreads' option, default false; momentum > 0
// trains with SGD + momentum, the unfused update path, instead of plain SGD).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Network, backendInfo, setThreads, type BlasChoice, type DType, type MixedPrecision } from '../../lib/index';
import { CASES, LEARNING_RATE, MODEL_SEED } from '../configs';
import { makeDataset, type Dataset } from '../data';
import type { BenchSystem, Trainer } from '../protocol';

let backend: 'native' | 'wasm' | 'js' = 'native';
let dtype: DType = 'float32';
let blas: BlasChoice = 'auto';
let mixedPrecision: MixedPrecision = 'none';
let momentum = 0;
const datasets = new Map<number, { data: Dataset; X: Float32Array | Float64Array }>();

/** The data in the network's dtype, converted once so fitSync takes it without copying. */
function dataFor(inputs: number): { data: Dataset; X: Float32Array | Float64Array } {
  let entry = datasets.get(inputs);
  if (!entry) {
    const data = makeDataset(inputs);
    entry = { data, X: dtype === 'float64' ? Float64Array.from(data.X) : data.X };
    datasets.set(inputs, entry);
  }
  return entry;
}

/** Which OpenBLAS shared library this process mapped (to compare with the roofline program's). */
function loadedOpenblas(): string | undefined {
  try {
    const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => /openblas/.test(l) && l.includes('/'));
    return line ? line.slice(line.indexOf('/')) : undefined;
  } catch {
    return undefined;
  }
}

export const system: BenchSystem = {
  async setup(options) {
    backend = options.backend === 'js' || options.backend === 'wasm' ? options.backend : 'native';
    dtype = options.dtype === 'float64' ? 'float64' : 'float32';
    blas = (options.blas as BlasChoice | undefined) ?? 'auto';
    mixedPrecision = (options.mixedPrecision as MixedPrecision | undefined) ?? 'none';
    momentum = Number(options.momentum ?? 0);
    const info: Record<string, unknown> = { backend, dtype, blas, mixedPrecision, optimizer: momentum > 0 ? `sgd, momentum ${momentum}` : 'sgd' };
    const root = path.resolve(__dirname, '..', '..');
    info.version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
    if (backend === 'native') {
      const threads = Number(options.threads ?? 1);
      setThreads(threads, { adaptive: options.adaptive === true });
      const backendFacts = backendInfo();
      if (backendFacts.backend !== 'native') throw new Error(`native backend unavailable: ${backendFacts.loadError ?? 'unknown reason'}`);
      info.blas = backendFacts.blas;
      info.autoProducts = backendFacts.products;
      info.addonPath = backendFacts.addonPath;
      // Other work may rebuild the addon between systems; the build time shows which one was measured.
      if (backendFacts.addonPath) info.addonBuilt = fs.statSync(backendFacts.addonPath).mtime.toISOString();
      info.openblasLibrary = loadedOpenblas();
      info.threads = backendFacts.blas?.threads;
      info.adaptiveThreads = backendFacts.blas?.adaptiveThreads;
    } else {
      info.threads = 1;
      info.notes = [backend === 'wasm' ? 'the C++ kernels compiled to WebAssembly SIMD128 (dist/blasprop.wasm), single-threaded' : 'pure TypeScript backend, single-threaded'];
    }
    return info;
  },

  async prepare(caseId) {
    const c = CASES.find((k) => k.id === caseId);
    if (!c) return { unsupported: `unknown case ${caseId}` };
    const { data, X } = dataFor(c.sizes[0]!);
    const hidden = c.sizes.slice(1, -1).map((units) => ({ units, activation: 'relu' as const }));
    const net = new Network({
      inputs: c.sizes[0]!,
      layers: [...hidden, { units: c.sizes[c.sizes.length - 1]!, activation: 'softmax' }],
      loss: 'cross-entropy',
      dtype,
      seed: MODEL_SEED,
      backend,
      blas,
      mixedPrecision,
    });
    const trainer: Trainer = {
      batchSize: c.batchSize,
      epoch(rows) {
        const history = net.fitSync({ data: X.subarray(0, rows * data.inputs), shape: [rows, data.inputs] }, data.labels.subarray(0, rows), {
          epochs: 1,
          batchSize: c.batchSize,
          learningRate: LEARNING_RATE,
          shuffle: true,
          ...(momentum > 0 ? { optimizer: { type: 'sgd' as const, momentum } } : {}),
        });
        // fit's own timing of the epoch's training steps, without fitSync's data checks.
        return { epochLoopSamplesPerSecond: history.epochs[0]!.samplesPerSecond };
      },
    };
    return trainer;
  },
};
