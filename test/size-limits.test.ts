// Sizes are validated before anything is allocated (lib/limits.ts): parameter count, workspace
// (rows × widest layer) and data sizes over the limit give a ConfigError naming the size and the
// limit, and a native allocation that fails anyway gives an AllocationError (a BlaspropError); the
// process survives every one of them.
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { AllocationError, BlaspropError, ConfigError, MAX_ELEMENTS, Network } from '../lib';
import { loadNative } from '../lib/backends/native';
import { BACKENDS } from './helpers/backends';

for (const backend of BACKENDS) {
  describe(`size limits (${backend})`, () => {
    it('100000 inputs × 100000 units: ConfigError naming the parameter count and the limit', () => {
      const make = (): Network => new Network({ inputs: 100000, layers: [{ units: 100000 }], loss: 'mse', backend });
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(`the network has 10000100000 parameters; the limit is ${MAX_ELEMENTS}`);
    });

    it("parameters that fit the count limit but not the machine's memory: ConfigError naming both sizes", () => {
      // 10^9 float64 parameters in four buffers: 32 GB.
      const make = (): Network => new Network({ inputs: 100000, layers: [{ units: 10000 }], loss: 'mse', dtype: 'float64', backend });
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(`need 32000320000 bytes in four buffers; the limit is this machine's memory, ${os.totalmem()} bytes`);
    });

    it('a layer too wide for the 512-row inference workspace: ConfigError', () => {
      const make = (): Network => new Network({ inputs: 1, layers: [{ units: 2 ** 22 }, { units: 1 }], loss: 'mse', backend });
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(`predict and evaluate (512 rows at a time): 512 rows × 4194304 units (the widest layer) = 2147483648 workspace values; the limit is ${MAX_ELEMENTS}`);
    });

    it('a batch whose workspace exceeds the limit: ConfigError from fit and trainStep, network unchanged', () => {
      const net = new Network({ inputs: 1, layers: [{ units: 2 ** 20 }, { units: 1 }], loss: 'mse', seed: 1, backend });
      const bytes = (): Buffer => Buffer.concat(net.getWeights().flatMap((l) => [l.weight, l.bias]).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
      const before = bytes();
      const rows = 2049;
      const x = { data: new Float32Array(rows).fill(1), shape: [rows, 1] as [number, number] };
      const y = { data: new Float32Array(rows).fill(1), shape: [rows, 1] as [number, number] };
      expect(() => net.fitSync(x, y, { batchSize: rows })).toThrow(`fit: batchSize: 2049 rows × 1048576 units (the widest layer) = 2148532224 workspace values; the limit is ${MAX_ELEMENTS}`);
      expect(() => net.trainStep(x, y, 0.1)).toThrow(ConfigError);
      expect(bytes().equals(before)).toBe(true);
      net.fitSync({ data: x.data.subarray(0, 4), shape: [4, 1] }, { data: y.data.subarray(0, 4), shape: [4, 1] }, { batchSize: 4 });  // the same network trains with a small batch
      expect(bytes().equals(before)).toBe(false);
    });

    it('a data set of more values than the limit: ConfigError before any conversion', () => {
      const net = new Network({ inputs: 784, layers: [{ units: 10 }], loss: 'mse', backend });
      const rows = Math.ceil(MAX_ELEMENTS / 784) + 1;
      const x = new Array<number[]>(rows);  // holes: nothing is allocated per row
      expect(() => net.predict(x)).toThrow(ConfigError);
      expect(() => net.predict(x)).toThrow(`x has ${rows} rows × 784 columns = ${rows * 784} values; the limit is ${MAX_ELEMENTS}`);
    });
  });
}

it('native: a workspace allocation that fails is an AllocationError from the binding, and the network still works', () => {
  const native = loadNative();
  if (!('binding' in native)) throw native.error;
  // 1 → 2^22 → 1 with a batch of 2^23 rows: three arrays of 2^45 floats, 2^48.6 bytes of workspace,
  // beyond the 2^47-byte address space of x86-64 user processes, so the allocation fails whatever the
  // overcommit setting. The façade would refuse this batch (ConfigError); the binding must fail cleanly too.
  const n = 2 * 2 ** 22 + 2 ** 22 + 1;
  const spec = {
    dtype: 'float32' as const, sizes: [1, 2 ** 22, 1], activations: [0, 1, 0], slopes: [0, 0, 0], dropout: [0, 0], loss: 0,
    params: new Float32Array(n), grads: new Float32Array(n), optM: new Float32Array(n), optV: new Float32Array(n), optG: new Float32Array(n), rng: new Uint32Array([1, 2, 3, 4]),
  };
  const handle = new native.binding.NativeNetwork(spec);
  const rows = 2 ** 23;
  const call = {
    X: new Float32Array(rows), Y: new Float32Array(rows), labels: null, rows, order: new Int32Array(rows), count: rows, batchSize: rows,
    firstStep: 1, optimizer: { type: 0, learningRate: 0.1 }, stepLosses: null, diagnostics: null,
  };
  expect(() => handle.trainBatches(call)).toThrow(AllocationError);
  expect(() => handle.trainBatches(call)).toThrow(/cannot allocate the workspace of 8388608 rows/);
  expect(new AllocationError('x')).toBeInstanceOf(BlaspropError);
  const out = new Float32Array(1);
  handle.predict({ X: new Float32Array(1), rows: 1, out });
  expect(Number.isFinite(out[0]!)).toBe(true);
});
