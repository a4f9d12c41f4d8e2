// One fit of bench/engines-alone.ts, in its own process: 784-256-128-10 float32 on one engine, one
// epoch of warm-up, then the median samples/s of five epochs. argv: JSON { blas, batch, momentum }.
import * as fs from 'node:fs';
import { Network } from '../lib/index';

const { blas, batch, momentum } = JSON.parse(process.argv[2]!) as { blas: 'openblas' | 'onednn'; batch: number; momentum: boolean };
const rows = 8192;
const x = { data: new Float32Array(rows * 784).map((_, i) => ((i * 7919) % 1000) / 1000), shape: [rows, 784] as [number, number] };
const y = Int32Array.from({ length: rows }, (_, i) => i % 10);
const net = new Network({
  inputs: 784, layers: [{ units: 256, activation: 'relu' }, { units: 128, activation: 'relu' }, { units: 10, activation: 'softmax' }],
  loss: 'cross-entropy', dtype: 'float32', blas, seed: 1,
});
const options = { epochs: 1, batchSize: batch, learningRate: 0.01, optimizer: momentum ? { type: 'sgd' as const, momentum: 0.9 } : { type: 'sgd' as const } };
net.fitSync(x, y, options);
const rates: number[] = [];
for (let k = 0; k < 5; k++) {
  const started = performance.now();
  net.fitSync(x, y, options);
  rates.push(rows / ((performance.now() - started) / 1000));
}
rates.sort((a, b) => a - b);
fs.writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify({ samplesPerSecond: rates[2], cpuSeconds: process.cpuUsage().user / 1e6 }));
