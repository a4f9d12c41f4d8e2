// dispose() and [Symbol.dispose] on every backend: memory freed at once, every later call throws
// DisposedError, a second dispose does nothing, `using` disposes at the end of the scope, and
// dispose during an asynchronous fit throws BusyError and leaves the fit running.
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlaspropError, BusyError, DisposedError, Network, type NetworkOptions } from '../lib';
import { jsEngine } from '../lib/backends/js';
import { loadNative, nativeEngine } from '../lib/backends/native';
import { loadWasm, wasmEngine } from '../lib/backends/wasm';
import type { Engine, EngineSpec } from '../lib/engine';
import { BACKENDS, type BackendName } from './helpers/backends';

const X = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [0.2, 0.1, 0.0]];
const Y = [0, 1, 1, 0];

function options(backend: BackendName): NetworkOptions {
  return { inputs: 3, layers: [{ units: 4 }, { units: 2 }], loss: 'cross-entropy', seed: 3, backend };
}

function engine(backend: BackendName): Engine {
  if (backend === 'js') return jsEngine;
  if (backend === 'wasm') {
    const wasm = loadWasm();
    if (!('staging' in wasm)) throw wasm.error;
    return wasmEngine(wasm.staging);
  }
  const native = loadNative();
  if (!('binding' in native)) throw native.error;
  return nativeEngine(native.binding);
}

for (const backend of BACKENDS) {
  describe(`dispose (${backend})`, () => {
    it('every call after dispose() throws DisposedError naming the call; a second dispose() does nothing', async () => {
      const net = new Network(options(backend));
      net.fitSync(X, Y, { epochs: 2, batchSize: 2 });
      net.dispose();
      const calls: [string, () => unknown][] = [
        ['predict', () => net.predict(X)],
        ['evaluate', () => net.evaluate(X, Y)],
        ['gradients', () => net.gradients(X, Y)],
        ['fitSync', () => net.fitSync(X, Y)],
        ['trainStep', () => net.trainStep(X, Y, 0.1)],
        ['getWeights', () => net.getWeights()],
        ['setWeights', () => net.setWeights([])],
        ['toONNX', () => net.toONNX()],
        ['toBuffer', () => net.toBuffer()],
        ['saveSync', () => net.saveSync(path.join(os.tmpdir(), 'never-written.blasprop'))],
      ];
      for (const [name, call] of calls) {
        expect(call, name).toThrow(DisposedError);
        expect(call, name).toThrow(new RegExp(`${name}\\(\\) was called on a disposed network`));
      }
      await expect(net.fit(X, Y)).rejects.toThrow(DisposedError);
      await expect(net.save(path.join(os.tmpdir(), 'never-written.blasprop'))).rejects.toThrow(DisposedError);
      expect(() => net.dispose()).not.toThrow();
      expect(new DisposedError('x')).toBeInstanceOf(BlaspropError);
    });

    it('`using` disposes the network at the end of its scope', () => {
      let kept: Network;
      {
        using net = new Network(options(backend));
        kept = net;
        expect(net.predict(X).shape).toEqual([4, 2]);
      }
      expect(() => kept.predict(X)).toThrow(DisposedError);
      expect(() => kept[Symbol.dispose]()).not.toThrow();
    });

    it('dispose() during an asynchronous fit throws BusyError; the fit completes and dispose works afterwards', async () => {
      const net = new Network(options(backend));
      const fit = net.fit(X, Y, { epochs: 50, batchSize: 1 });
      expect(() => net.dispose()).toThrow(BusyError);
      const history = await fit;
      expect(history.stopReason).toBe('completed');
      expect(net.predict(X).shape).toEqual([4, 2]);
      net.dispose();
      expect(() => net.predict(X)).toThrow(DisposedError);
    });

    it('the engine network itself refuses calls after dispose, and detaches the buffers it was given', () => {
      const n = 3 * 2 + 2;
      const spec: EngineSpec = {
        dtype: 'float64', sizes: [3, 2], activations: [0, 0], slopes: [0, 0], dropout: [0], loss: 0,
        params: new Float64Array(n), grads: new Float64Array(n), optM: new Float64Array(n), optV: new Float64Array(n), optG: new Float64Array(n), rng: new Uint32Array([1, 2, 3, 4]),
      };
      const handle = engine(backend).create(spec);
      const out = new Float64Array(2);
      handle.predict({ X: new Float64Array(3), rows: 1, out });
      handle.dispose();
      expect(spec.params.length).toBe(0);
      expect(spec.optV.length).toBe(0);
      expect(() => handle.predict({ X: new Float64Array(3), rows: 1, out })).toThrow(DisposedError);
      expect(() => handle.evaluate({ X: new Float64Array(3), rows: 1, Y: new Float64Array(2), labels: null, gradients: false })).toThrow(DisposedError);
      expect(() => handle.dispose()).not.toThrow();
    });
  });
}

it('native: dispose() frees the parameter buffers and the workspace at once, without a garbage collection', () => {
  const net = new Network({ inputs: 784, layers: [{ units: 512 }, { units: 10 }], loss: 'cross-entropy', seed: 1, backend: 'native' });
  const rows = Array.from({ length: 256 }, (_, r) => Array.from({ length: 784 }, (_, c) => ((r + c) % 13) / 13));
  net.fitSync(rows, rows.map((_, r) => r % 10), { epochs: 1, batchSize: 256 });
  const owned = 4 * net.parameterCount * 4 + 256 * (784 + 512 + 10) * 4;  // four parameter buffers, the workspace's largest arrays
  const before = process.memoryUsage().arrayBuffers;
  net.dispose();
  const freed = before - process.memoryUsage().arrayBuffers;
  expect(freed).toBeGreaterThanOrEqual(owned);
});

it('wasm: dispose() frees the network in the module, so a new network of the same size reuses its memory', () => {
  const wasm = loadWasm();
  if (!('staging' in wasm)) throw wasm.error;
  const memory = wasm.staging.memory.exports.memory;
  const make = (): Network => new Network({ inputs: 784, layers: [{ units: 512 }, { units: 10 }], loss: 'cross-entropy', seed: 1, backend: 'wasm' });
  const rows = Array.from({ length: 64 }, (_, r) => Array.from({ length: 784 }, (_, c) => ((r + c) % 13) / 13));
  const labels = rows.map((_, r) => r % 10);
  make().dispose();  // the module's memory has grown to hold one such network and its workspace
  const grown = memory.buffer.byteLength;
  for (let k = 0; k < 20; k++) {  // 20 networks of 1.6 MB copies each would grow it by > 60 MB if not freed
    const net = make();
    net.fitSync(rows, labels, { epochs: 1, batchSize: 64 });
    net.dispose();
  }
  expect(memory.buffer.byteLength - grown).toBeLessThan(8 * 2 ** 20);
});
