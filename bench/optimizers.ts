// What the optimizers and row weights cost: training throughput of one network shape per
// optimizer, and with sampleWeight / classWeight against the same optimizer without, measured
// side by side (the variants interleaved in every repetition). Run: npx tsx bench/optimizers.ts [--quick]
import * as fs from 'node:fs';
import { Network, type FitOptions } from '../lib/index';
import { DATA_ROWS, LEARNING_RATE, MODEL_SEED, SHAPES, shapeLabel } from './configs';
import { makeDataset } from './data';
import { machineInfo } from './machine';
import { summarize } from './stats';

const quick = process.argv.includes('--quick');
const REPETITIONS = quick ? 3 : 7;
const sizes = SHAPES.mlp!;
const data = makeDataset(sizes[0]!);
const x = { data: data.X, shape: [DATA_ROWS, sizes[0]!] as [number, number] };
const sampleWeight = Float32Array.from({ length: DATA_ROWS }, (_, r) => 0.5 + (r % 7) / 4);

const VARIANTS: Record<string, FitOptions> = {
  'sgd': {},
  'sgd momentum 0.9': { optimizer: { type: 'sgd', momentum: 0.9 } },
  'adam': { optimizer: 'adam' },
  'adamw': { optimizer: 'adamw' },
  'rmsprop': { optimizer: 'rmsprop' },
  'rmsprop centered, momentum 0.9': { optimizer: { type: 'rmsprop', centered: true, momentum: 0.9 } },
  'adagrad': { optimizer: 'adagrad' },
  'sgd + sampleWeight': { sampleWeight },
  'adam + sampleWeight × classWeight': { optimizer: 'adam', sampleWeight, classWeight: { 0: 3, 7: 0.5 } },
};
/** Each weighted variant is compared with its unweighted partner; the rest with plain SGD. */
const BASELINE: Record<string, string> = { 'sgd + sampleWeight': 'sgd', 'adam + sampleWeight × classWeight': 'adam' };

const info = machineInfo();
const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1]?.trim().split(/\s+/) ?? [];
const isa = ['avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'].filter((f) => flags.includes(f));
console.log(`${info.cpuModel}; ${info.logicalCores} logical cores; ISA ${isa.join(' ')}; load ${info.loadAverageAtStart.join(' ')}; node ${info.versions.node}`);

for (const batchSize of [32, 128]) {
  const nets = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, new Network({
    inputs: sizes[0]!, layers: [...sizes.slice(1, -1).map((units) => ({ units, activation: 'relu' as const })), { units: sizes.at(-1)!, activation: 'softmax' as const }],
    loss: 'cross-entropy', seed: MODEL_SEED, backend: 'native',
  })]));
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
  for (let rep = -1; rep < REPETITIONS; rep++) { // rep −1 warms up (workspace, caches)
    for (const [name, options] of Object.entries(VARIANTS)) {
      const started = performance.now();
      nets[name]!.fitSync(x, data.labels, { epochs: 1, batchSize, learningRate: LEARNING_RATE / 10, ...options });
      if (rep >= 0) rates[name]!.push(DATA_ROWS / ((performance.now() - started) / 1000));
    }
  }
  console.log(`\n${shapeLabel(sizes)}, float32, native, batch ${batchSize}, ${DATA_ROWS} rows per epoch, median of ${REPETITIONS} (min–max)`);
  for (const name of Object.keys(VARIANTS)) {
    const s = summarize(rates[name]!);
    const base = BASELINE[name] ?? 'sgd';
    const ratio = s.median / summarize(rates[base]!).median;
    console.log(`  ${name.padEnd(36)} ${Math.round(s.median).toString().padStart(7)} samples/s (${Math.round(s.min)}–${Math.round(s.max)})  ×${ratio.toFixed(3)} vs ${base}`);
  }
}
