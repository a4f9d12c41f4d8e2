// TensorFlow.js peers: the pure-JS CPU backend and the WebAssembly backend (XNNPACK), same shapes,
// float32, softmax + cross-entropy, SGD. Options: { backend: 'cpu' | 'wasm', quick?: boolean }.
// Two training loops are probed per case and the faster is timed:
//   'minimize'     — tf.tidy(() => optimizer.minimize(() => softmaxCrossEntropy(y, logits)))
//   'trainOnBatch' — model.compile({ optimizer: sgd, loss: categoricalCrossentropy }); await model.trainOnBatch(x, y)
// Each step gathers its batch from the data tensors with tf.gather over a shuffled index order.
import * as path from 'node:path';
import type * as Core from '@tensorflow/tfjs-core';
import type * as Layers from '@tensorflow/tfjs-layers';
import { CASES, CLASSES, DATA_ROWS, LEARNING_RATE, MODEL_SEED } from '../configs';
import { makeDataset, oneHot } from '../data';
import type { BenchSystem, Trainer } from '../protocol';

type Loop = 'minimize' | 'trainOnBatch';

/** The tfjs API used here: tfjs-core (tensors, ops, optimizers, backends) plus tfjs-layers (models). */
type TF = typeof Core & Pick<typeof Layers, 'sequential' | 'layers' | 'initializers'>;
let tf: TF;
let quick = false;

/**
 * `@tensorflow/tfjs` only re-exports its component packages (core, layers, backend-cpu, converter,
 * data). Loads the union package; if that fails, loads the components it re-exports (the same
 * modules, so the same kernels) and says why.
 */
function loadTfjs(): { tf: TF; note?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { tf: require('@tensorflow/tfjs') as TF };
  } catch (e) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const core = require('@tensorflow/tfjs-core') as typeof Core;
    require('@tensorflow/tfjs-backend-cpu');
    const layers = require('@tensorflow/tfjs-layers') as typeof Layers;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return {
      tf: { ...core, sequential: layers.sequential, layers: layers.layers, initializers: layers.initializers },
      note: `require('@tensorflow/tfjs') failed in this install (${reason}); loaded the packages it re-exports instead: @tensorflow/tfjs-core, -layers, -backend-cpu`,
    };
  }
}

/** Fisher–Yates over a seeded LCG: the per-epoch reshuffle every system pays. */
function shuffled(order: Int32Array, rows: number, state: { seed: number }): Int32Array {
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = rows - 1; i > 0; i--) {
    state.seed = (Math.imul(state.seed, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((state.seed / 4294967296) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function buildModel(sizes: number[], softmaxOutput: boolean): Layers.Sequential {
  const model = tf.sequential();
  for (let l = 1; l < sizes.length; l++) {
    const last = l === sizes.length - 1;
    model.add(tf.layers.dense({
      units: sizes[l]!,
      activation: last ? (softmaxOutput ? 'softmax' : 'linear') : 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: MODEL_SEED + l }),
      ...(l === 1 ? { inputShape: [sizes[0]!] } : {}),
    }));
  }
  return model;
}

export const system: BenchSystem = {
  async setup(options) {
    quick = options.quick === true;
    const loaded = loadTfjs();
    tf = loaded.tf;
    const notes: string[] = loaded.note ? [loaded.note] : [];
    const info: Record<string, unknown> = { version: tf.version_core, dtype: 'float32', notes };
    if (options.backend === 'wasm') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      // The .wasm binaries ship in the package's dist/ next to its Node entry point.
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(dist + path.sep);
      if (!(await tf.setBackend('wasm'))) throw new Error(`tf.setBackend('wasm') failed (wasm files from ${dist})`);
      await tf.ready();
      info.wasmVersion = wasm.version_wasm;
      info.wasmPath = dist;
      info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      info.threads = info.multithread ? wasm.getThreadsCount() : 1;
      notes.push(
        `wasm binary: ${info.simd ? (info.multithread ? 'threaded-simd' : 'simd') : 'plain'}; ` +
          (info.multithread ? '' : 'tfjs turns wasm threads off under Node (WASM_HAS_MULTITHREAD_SUPPORT = false; forcing it on fails in Node 20 with ERR_WORKER_PATH, its pthread workers are blob: URLs), so 1 thread'),
      );
    } else {
      if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
      await tf.ready();
      info.threads = 1;
      notes.push('pure-JavaScript kernels, single-threaded');
    }
    info.backend = tf.getBackend();
    return info;
  },

  async prepare(caseId) {
    const c = CASES.find((k) => k.id === caseId);
    if (!c) return { unsupported: `unknown case ${caseId}` };
    const data = makeDataset(c.sizes[0]!);
    const X = tf.tensor2d(data.X, [DATA_ROWS, data.inputs]);
    const Y = tf.tensor2d(oneHot(data.labels), [DATA_ROWS, CLASSES]);
    const b = c.batchSize;
    const order = new Int32Array(DATA_ROWS);
    const rng = { seed: MODEL_SEED };

    const logitsModel = buildModel(c.sizes, false);
    const optimizer = tf.train.sgd(LEARNING_RATE);
    const softmaxModel = buildModel(c.sizes, true);
    softmaxModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'categoricalCrossentropy' });

    const loops: Record<Loop, (rows: number) => Promise<void> | void> = {
      minimize(rows) {
        shuffled(order, rows, rng);
        for (let s = 0; s < rows; s += b) {
          tf.tidy(() => {
            const idx = tf.tensor1d(order.slice(s, Math.min(rows, s + b)), 'int32');
            const xb = tf.gather(X, idx);
            const yb = tf.gather(Y, idx);
            optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, logitsModel.apply(xb, { training: true }) as Core.Tensor) as Core.Scalar, false);
          });
        }
      },
      async trainOnBatch(rows) {
        shuffled(order, rows, rng);
        for (let s = 0; s < rows; s += b) {
          const [idx, xb, yb] = tf.tidy(() => {
            const i = tf.tensor1d(order.slice(s, Math.min(rows, s + b)), 'int32');
            return [i, tf.gather(X, i), tf.gather(Y, i)] as const;
          });
          await softmaxModel.trainOnBatch(xb, yb);
          tf.dispose([idx, xb, yb]);
        }
      },
    };

    // Probe both loops (a one-step warm-up, then timed epochs growing to at least `probeSeconds`) and keep the faster.
    const probeSeconds = quick ? 0.03 : 0.15;
    const probe: Record<string, number> = {};
    for (const loop of ['minimize', 'trainOnBatch'] as const) {
      let rows = b;
      await loops[loop](rows);
      for (;;) {
        const t0 = performance.now();
        await loops[loop](rows);
        const seconds = (performance.now() - t0) / 1000;
        probe[loop] = rows / seconds;
        if (seconds >= probeSeconds || rows >= DATA_ROWS) break;
        rows = Math.min(DATA_ROWS, rows * 4);
      }
    }
    const chosen: Loop = probe.minimize! >= probe.trainOnBatch! ? 'minimize' : 'trainOnBatch';
    const trainer: Trainer = {
      batchSize: b,
      epoch: (rows) => loops[chosen](rows),
      details: { loop: chosen, probeSamplesPerSecond: probe },
      dispose() {
        tf.dispose([X, Y]);
        logitsModel.dispose();
        softmaxModel.dispose();
        optimizer.dispose();
      },
    };
    return trainer;
  },
};
