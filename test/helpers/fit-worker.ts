// A worker_thread for test/concurrency.test.ts: fits one network per seed, all at once, on the same
// data as the test (lcg(11) features, labels (i·7) mod 10), and posts back each network's weights.
import { parentPort, workerData } from 'node:worker_threads';
import { Network, type FitOptions } from '../../lib';
import { lcg } from './reference';

const { seeds, rows, fit } = workerData as { seeds: number[]; rows: number; fit: FitOptions };
const INPUTS = 784;
const rand = lcg(11);
const X = Float32Array.from({ length: rows * INPUTS }, () => rand());
const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 10);

async function main(): Promise<void> {
  const nets = seeds.map((seed) => new Network({
    inputs: INPUTS, layers: [{ units: 256 }, { units: 128 }, { units: 10 }], loss: 'cross-entropy', seed, dtype: 'float32', backend: 'native', blas: 'openblas',
  }));
  await Promise.all(nets.map((net) => net.fit({ data: X, shape: [rows, INPUTS] }, labels, fit)));
  parentPort!.postMessage(nets.map((net) => net.getWeights().flatMap((l) => [...l.weight, ...l.bias])));
}

void main();
