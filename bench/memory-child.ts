// Memory probe, run in its own process by bench/memory.ts: RSS while blasprop (native, float32)
// trains the mlp for many epochs. Argument: '{"rows":10000,"epochs":50,"fromEpoch":5}'.
// Writes the MemoryResult JSON to BENCH_RESULT_FILE.
import * as fs from 'node:fs';
import { Network, backendInfo } from '../lib/index';
import { LEARNING_RATE, MODEL_SEED, SHAPES } from './configs';
import { makeDataset } from './data';

const { rows, epochs, fromEpoch } = JSON.parse(process.argv[2] ?? '{}') as { rows: number; epochs: number; fromEpoch: number };
const sizes = SHAPES.mlp!;
const data = makeDataset(sizes[0]!, rows);
const net = new Network({
  inputs: sizes[0]!,
  layers: [...sizes.slice(1, -1).map((units) => ({ units, activation: 'relu' as const })), { units: sizes[sizes.length - 1]!, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: MODEL_SEED,
  backend: 'native',
});
const mb = (bytes: number): number => bytes / 2 ** 20;
const before = process.memoryUsage();
const perEpoch: { epoch: number; rssMB: number; heapUsedMB: number; externalMB: number }[] = [];
let peakRss = before.rss;
const started = performance.now();
net.fitSync({ data: data.X, shape: [rows, sizes[0]!] }, data.labels, {
  epochs,
  batchSize: 128,
  learningRate: LEARNING_RATE,
  callbacks: {
    onBatchEnd() {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    },
    onEpochEnd(epoch) {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      perEpoch.push({ epoch: epoch + 1, rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external) });
    },
  },
});
const seconds = (performance.now() - started) / 1000;
const at = (epoch: number) => perEpoch.find((e) => e.epoch === epoch)!;
const first = at(fromEpoch);
const last = at(epochs);
const cpu = process.cpuUsage();
fs.writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify({
  rows, epochs, batchSize: 128, fromEpoch, threads: backendInfo().blas?.threads,
  rssBeforeFitMB: mb(before.rss),
  peakRssDuringFitMB: mb(peakRss),
  processMaxRssMB: process.resourceUsage().maxRSS / 1024,
  rssFromMB: first.rssMB,
  rssToMB: last.rssMB,
  growthPercent: ((last.rssMB - first.rssMB) / first.rssMB) * 100,
  heapUsedFromMB: first.heapUsedMB,
  heapUsedToMB: last.heapUsedMB,
  fitSeconds: seconds,
  perEpoch,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
}));
process.exit(0);
