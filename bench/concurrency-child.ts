// Concurrency probe, run in its own process by bench/concurrency.ts. For each N in `counts`: N fits of
// the mlp (784-256-128-10) one after another, then the same N fits (same seeds) at once with
// Promise.all; the total times, each concurrent fit's finish time, and whether the concurrent weights
// equal the sequential ones. With `predictDuring`, single-row predict latency on the main thread while
// that many fits run. Argument: '{"dtype":"float32","policy":"scheduled","counts":[1,2],"epochs":2,
// "rows":6000,"predictDuring":6}'. Writes a ConcurrencyRun JSON to BENCH_RESULT_FILE.
import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Network, backendInfo } from '../lib/index';
import { loadNative } from '../lib/backends/native';
import { LEARNING_RATE, MODEL_SEED, SHAPES } from './configs';
import { makeDataset } from './data';
import type { ConcurrencyCount, ConcurrencyRun, ConcurrencySpec, LatencySummary } from './concurrency';

const spec = JSON.parse(process.argv[2] ?? '{}') as ConcurrencySpec;
const sizes = SHAPES.mlp!;
const BATCH = 64;
const data = makeDataset(sizes[0]!, spec.rows);
const x = { data: data.X, shape: [spec.rows, sizes[0]!] as [number, number] };
const native = loadNative();
if (!('binding' in native)) throw native.error;
const binding = native.binding;

function network(seed: number): Network {
  return new Network({
    inputs: sizes[0]!,
    layers: [...sizes.slice(1, -1).map((units) => ({ units, activation: 'relu' as const })), { units: sizes[sizes.length - 1]!, activation: 'softmax' }],
    loss: 'cross-entropy',
    dtype: spec.dtype,
    seed,
    backend: 'native',
    blas: 'openblas', // the scheduler's bit-identity claim is OpenBLAS's (onednn.test.ts checks oneDNN under it)
  });
}

const fitOptions = { epochs: spec.epochs, batchSize: BATCH, learningRate: LEARNING_RATE };

/** The weights of a network as one flat array, for comparing runs. */
function flatWeights(net: Network): Float64Array {
  return Float64Array.from(net.getWeights().flatMap((l) => [...l.weight, ...l.bias]));
}

function maxAbsDifference(a: Float64Array, b: Float64Array): number {
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k]! - b[k]!));
  return max;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function latency(samples: number[], loopDelayP99Ms: number): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted[sorted.length - 1]!, loopDelayP99Ms };
}

/** Single-row predicts on the main thread, one every millisecond, until `done` settles. */
async function predictLatency(done: Promise<unknown>): Promise<LatencySummary> {
  const probe = network(MODEL_SEED + 1000);
  const row = { data: data.X.subarray(0, sizes[0]!), shape: [1, sizes[0]!] as [number, number] };
  const samples: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const started = performance.now();
    probe.predict(row);
    samples.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  loop.disable();
  return latency(samples, loop.percentile(99) / 1e6);
}

async function measureCount(n: number): Promise<ConcurrencyCount> {
  const seeds = Array.from({ length: n }, (_, i) => MODEL_SEED + i);
  // Only the fits are timed, as in the concurrent run (building networks and reading weights are not).
  let sequentialSeconds = 0;
  const sequentialWeights: Float64Array[] = [];
  for (const seed of seeds) {
    const net = network(seed);
    const fitStarted = performance.now();
    await net.fit(x, data.labels, fitOptions);
    sequentialSeconds += (performance.now() - fitStarted) / 1000;
    sequentialWeights.push(flatWeights(net));
  }
  const nets = seeds.map(network);
  const started = performance.now();
  const finish: number[] = [];
  await Promise.all(nets.map(async (net) => {
    await net.fit(x, data.labels, fitOptions);
    finish.push((performance.now() - started) / 1000);
  }));
  const concurrentSeconds = (performance.now() - started) / 1000;
  const differences = nets.map((net, i) => maxAbsDifference(flatWeights(net), sequentialWeights[i]!));
  finish.sort((a, b) => a - b);
  return {
    n, sequentialSeconds, concurrentSeconds, ratio: concurrentSeconds / sequentialSeconds,
    firstFinishSeconds: finish[0]!, lastFinishSeconds: finish[finish.length - 1]!,
    identicalWeights: differences.every((d) => d === 0), maxWeightDifference: Math.max(...differences),
  };
}

async function main(): Promise<void> {
  binding.setSchedulePolicy(spec.policy);
  await network(MODEL_SEED).fit(x, data.labels, { ...fitOptions, epochs: 1 });  // warm-up: OpenBLAS threads, JIT
  const counts: ConcurrencyCount[] = [];
  for (const n of spec.counts) {
    counts.push(await measureCount(n));
    const c = counts[counts.length - 1]!;
    process.stderr.write(`  ${spec.dtype} ${spec.policy} N=${n}: sequential ${c.sequentialSeconds.toFixed(2)} s, concurrent ${c.concurrentSeconds.toFixed(2)} s (${c.ratio.toFixed(2)}×), weights ${c.identicalWeights ? 'identical' : `differ by ${c.maxWeightDifference.toExponential(2)}`}\n`);
  }
  const result: ConcurrencyRun = { dtype: spec.dtype, policy: spec.policy, threads: backendInfo().blas?.threads ?? 0, counts };
  if (spec.predictDuring) {
    result.predictIdle = await predictLatency(new Promise((resolve) => setTimeout(resolve, 1000)));
    result.predictDuringOne = await predictLatency(network(MODEL_SEED).fit(x, data.labels, fitOptions));
    const nets = Array.from({ length: spec.predictDuring }, (_, i) => network(MODEL_SEED + i));
    result.predictDuringMany = await predictLatency(Promise.all(nets.map((net) => net.fit(x, data.labels, fitOptions))));
    result.predictDuringCount = spec.predictDuring;
    process.stderr.write(`  predict p99: idle ${result.predictIdle.p99Ms.toFixed(2)} ms, 1 fit ${result.predictDuringOne.p99Ms.toFixed(2)} ms, ${spec.predictDuring} fits ${result.predictDuringMany.p99Ms.toFixed(2)} ms\n`);
  }
  const cpu = process.cpuUsage();
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  fs.writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
