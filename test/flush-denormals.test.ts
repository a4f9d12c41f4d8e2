// Every thread of a native pass flushes subnormals, not only the thread that calls into BLAS. A
// thread keeps the floating-point mode it was created with: OpenBLAS starts its workers when the
// library loads, before any pass sets flush-to-zero, so a threaded product used to compute the
// workers' share of the rows on subnormal inputs (about 100× slower on x86, and a result that
// depended on the thread count). Here the inputs are all subnormal and the weights large, so every
// output is exactly the bias (0) when a thread treats its inputs as zero, and 256 × input × weight
// (2.6e-7 in float32, 2.6e-8 in float64) when not.
import { afterAll, describe, expect, it } from 'vitest';
import { Network, backendInfo, physicalCores, setThreads, type NetworkOptions } from '../lib';

const INPUTS = 256, UNITS = 256, ROWS = 512;  // big enough for OpenBLAS and oneDNN to split over 2 threads

function network(options: Partial<NetworkOptions>, weight: number): Network {
  const net = new Network({ inputs: INPUTS, layers: [{ units: UNITS, activation: 'identity' }], loss: 'mse', backend: 'native', ...options });
  net.setWeights([{ weight: new Float64Array(INPUTS * UNITS).fill(weight), bias: new Float64Array(UNITS) }]);
  return net;
}

/** The largest |output| over ROWS rows of subnormal inputs (0 when every thread flushed them). */
function largestOutput(net: Network, input: number): number {
  const y = net.predict({ data: new Float64Array(ROWS * INPUTS).fill(input), shape: [ROWS, INPUTS] });
  let largest = 0;
  for (const v of y.data) largest = Math.max(largest, Math.abs(v));
  return largest;
}

const onednn = backendInfo().blas?.onednn != null;
type Case = [name: string, options: Partial<NetworkOptions>, subnormal: number, weight: number];
const cases: Case[] = [
  ['OpenBLAS float32', { blas: 'openblas', dtype: 'float32' }, 1e-39, 1e30],
  ['OpenBLAS float64', { dtype: 'float64' }, 1e-310, 1e300],
  ...(onednn ? [['oneDNN float32', { blas: 'onednn', dtype: 'float32' }, 1e-39, 1e30] as Case] : []),
];

describe('subnormal inputs are flushed on every thread of a pass', () => {
  afterAll(() => setThreads(physicalCores()));

  it.each(cases)('%s, on 1 and on 2 threads', (_name, options, subnormal, weight) => {
    const net = network(options, weight);
    for (const threads of [2, 1, 2]) {
      setThreads(threads);
      expect(largestOutput(net, subnormal), `${threads} thread(s)`).toBe(0);
      // The same network on normal inputs still computes: the check above is not a dead network.
      expect(largestOutput(net, 1 / weight)).toBeCloseTo(INPUTS, 3);
    }
    net.dispose();
  });
});
