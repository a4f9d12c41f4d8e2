// TensorFlow.js peers: the pure-JS CPU backend and the WebAssembly backend (XNNPACK), same shapes,
// float32, softmax + cross-entropy, SGD. Options: { backend: 'cpu' | 'wasm', quick?: boolean }.
// Two training loops are probed per case and the faster is timed:
//   'minimize'     — tf.tidy(() => optimizer.minimize(() => softmaxCrossEntropy(y, logits)))
//   'trainOnBatch' — model.compile({ optimizer: sgd, loss: categoricalCrossentropy }); await model.trainOnBatch(x, y)
// Each step gathers its batch from the data tensors with tf.gather over a shuffled index order.
import * as path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { CASES, CLASSES, DATA_ROWS, LEARNING_RATE, MODEL_SEED } from '../configs';
import { makeDataset, oneHot } from '../data';
import type { BenchSystem, Trainer } from '../protocol';

type Loop = 'minimize' | 'trainOnBatch';

let tf: typeof TF;
let quick = false;

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

function buildModel(sizes: number[], softmaxOutput: boolean): TF.Sequential {
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tf = require('@tensorflow/tfjs') as typeof TF;
    const info: Record<string, unknown> = { version: tf.version.tfjs, dtype: 'float32' };
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
      info.notes = [
        `wasm binary: ${info.simd ? (info.multithread ? 'threaded-simd' : 'simd') : 'plain'}; ` +
          (info.multithread ? '' : 'tfjs turns wasm threads off under Node (WASM_HAS_MULTITHREAD_SUPPORT = false), so 1 thread'),
      ];
    } else {
      if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
      await tf.ready();
      info.threads = 1;
      info.notes = ['pure-JavaScript kernels, single-threaded'];
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
            optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, logitsModel.apply(xb, { training: true }) as TF.Tensor) as TF.Scalar, false);
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

    // Probe both loops (a warm-up epoch, then a timed one of at least `probeSeconds`) and keep the faster.
    const probeSeconds = quick ? 0.03 : 0.15;
    const probe: Record<string, number> = {};
    for (const loop of ['minimize', 'trainOnBatch'] as const) {
      let rows = Math.min(DATA_ROWS, 2 * b);
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
