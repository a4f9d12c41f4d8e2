// Data-parallel training on MPI, measured and modelled (`npm run bench:distributed`; needs Open MPI,
// root for the TCP part: two network namespaces, test/distributed/netns.ts).
//   1. samples/s of float32 training for 1 (plain fit), 2 and 4 ranks (mpirun, oversubscribed on
//      small machines), with and without overlapping the gradient averages with backward, and the
//      share of each step the training thread spends in them; rounds interleaved, medians.
//   2. MPI allreduce times by message size, over shared memory and over TCP between two network
//      namespaces; the ring-allreduce model T = 2(N−1)·α + 2(N−1)/N · bytes / B fitted to each.
//   3. The model's scaling efficiency for the README's networks at 8, 32, 128 ranks on 10 and
//      100 Gb/s links, from the measured one-rank step time and the TCP latency α.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { twoHosts } from '../test/distributed/netns';
import { SHAPES, shapeLabel } from './configs';
import { machineInfo } from './machine';
import { summarize } from './stats';

const ROOT = path.resolve(__dirname, '..');
const RANK = path.join(__dirname, 'distributed-rank.ts');
const ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;

function launch(prefix: string[], job: object): Record<string, unknown> {
  const [command, ...args] = [...prefix, process.execPath];
  const r = spawnSync(command!, [...args, '--import', 'tsx', RANK, JSON.stringify(job)], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${prefix.join(' ')} failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, unknown>;
}
const local = (ranks: number): string[] => (ranks === 1 ? [] : ['mpirun', '-np', String(ranks)]);

// ---- 1. Training throughput ----
interface Setting { ranks: number; overlap: boolean }
const SETTINGS: Setting[] = [{ ranks: 1, overlap: false }, { ranks: 2, overlap: false }, { ranks: 2, overlap: true }, { ranks: 4, overlap: false }, { ranks: 4, overlap: true }];
const NETS = [
  { name: 'mlp', sizes: SHAPES.mlp!, batchSize: 128 },
  { name: 'wide', sizes: SHAPES.wide!, batchSize: 128 },
  { name: 'deep-narrow', sizes: SHAPES['deep-narrow']!, batchSize: 32 },
];

function trainJob(net: (typeof NETS)[number], s: Setting) {
  const steps = net.name === 'wide' ? 12 : 40;
  return { mode: 'train', sizes: net.sizes, batchSize: net.batchSize, steps, epochs: quick ? 3 : 4, overlap: s.overlap, distributed: s.ranks > 1 };
}

function parameters(sizes: readonly number[]): number[] {
  return sizes.slice(1).map((out, l) => out * (sizes[l]! + 1));
}

// ---- 2. The cost model ----
interface Point { ranks: number; bytes: number; seconds: number }
interface Fit { alpha: number; bandwidth: number; maxRelativeError: number }

/** Least squares of T = α · 2(N−1) + β · 2(N−1)/N · bytes over the points (β = 1/B), on relative errors. */
function fitModel(points: Point[]): Fit {
  let s11 = 0, s12 = 0, s22 = 0, t1 = 0, t2 = 0;
  for (const p of points) {
    const w = 1 / p.seconds; // relative error: small messages count as much as large ones
    const f1 = 2 * (p.ranks - 1) * w, f2 = ((2 * (p.ranks - 1)) / p.ranks) * p.bytes * w, y = p.seconds * w;
    s11 += f1 * f1; s12 += f1 * f2; s22 += f2 * f2; t1 += f1 * y; t2 += f2 * y;
  }
  const det = s11 * s22 - s12 * s12;
  const alpha = (t1 * s22 - t2 * s12) / det, beta = (s11 * t2 - s12 * t1) / det;
  const model = (p: Point): number => ringSeconds(p.ranks, p.bytes, alpha, 1 / beta);
  const maxRelativeError = Math.max(...points.map((p) => Math.abs(model(p) - p.seconds) / p.seconds));
  return { alpha, bandwidth: 1 / beta, maxRelativeError };
}

function ringSeconds(ranks: number, bytes: number, alpha: number, bandwidth: number): number {
  return 2 * (ranks - 1) * alpha + ((2 * (ranks - 1)) / ranks) * (bytes / bandwidth);
}

function allreducePoints(prefix: (ranks: number) => string[]): Point[] {
  const counts = [1, 128, 1024, 16384, 131072, 1048576];
  return [2, 4].flatMap((ranks) => {
    const out = launch(prefix(ranks), { mode: 'allreduce', counts, reps: quick ? 5 : 15 }).allreduce as { bytes: number; seconds: number }[];
    return out.map((o) => ({ ranks, ...o }));
  });
}

function isaFlags(): string {
  const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1]?.split(' ') ?? [];
  return ['avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'].filter((f) => flags.includes(f)).join(', ');
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const us = (s: number): string => `${(s * 1e6).toFixed(1)} µs`;

function main(): void {
  const m = machineInfo();
  const mpi = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  console.log(`# bench:distributed — ${m.date}`);
  console.log(`CPU ${m.cpuModel} (${isaFlags()}), ${m.physicalCores} physical / ${m.logicalCores} logical cores, load average at start ${m.loadAverageAtStart.join(' ')}; ${mpi}; node ${m.versions.node}`);
  console.log('Ranks on one machine share its cores (BLAS threads per rank: cores / local ranks, at least 1); 4 ranks are oversubscribed on 2 cores.\n');

  // 1. Training, rounds interleaved.
  const results = new Map<string, { samples: number[]; share: number[]; step: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const net of NETS) {
      for (const s of SETTINGS) {
        const key = `${net.name}|${s.ranks}|${s.overlap}`;
        const r = launch(local(s.ranks), trainJob(net, s)) as { samplesPerSecond: number; reducerShare: number; stepSeconds: number };
        const entry = results.get(key) ?? { samples: [], share: [], step: [] };
        entry.samples.push(r.samplesPerSecond);
        entry.share.push(r.reducerShare);
        entry.step.push(r.stepSeconds);
        results.set(key, entry);
      }
    }
  }
  console.log('## Training (float32, SGD with momentum, per-rank batch as shown; medians of', ROUNDS, 'interleaved rounds)\n');
  console.log('| network | per-rank batch | ranks | overlap | samples/s (all ranks) | vs 1 rank | step (ms) | share of step in the gradient average |');
  console.log('|---|---|---|---|---|---|---|---|');
  const stepOf = new Map<string, number>();
  for (const net of NETS) {
    const base = summarize(results.get(`${net.name}|1|false`)!.samples).median;
    for (const s of SETTINGS) {
      const e = results.get(`${net.name}|${s.ranks}|${s.overlap}`)!;
      const samples = summarize(e.samples).median, step = summarize(e.step).median;
      if (s.ranks === 1) stepOf.set(net.name, step);
      console.log(`| ${shapeLabel(net.sizes)} | ${net.batchSize} | ${s.ranks} | ${s.ranks === 1 ? '—' : s.overlap ? 'yes' : 'no'} | ${samples.toFixed(0)} | ${(samples / base).toFixed(2)}× | ${(step * 1e3).toFixed(1)} | ${s.ranks === 1 ? '—' : pct(summarize(e.share).median)} |`);
    }
  }

  // 2. Allreduce times and the model.
  const transports: { name: string; points: Point[] }[] = [{ name: 'shared memory (one host)', points: allreducePoints(local) }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-bench-mpi-'));
  try {
    const hosts = twoHosts(dir, 9);
    try {
      transports.push({ name: 'TCP over a veth pair between two network namespaces', points: allreducePoints((ranks) => hosts.mpirun(ranks)) });
    } finally {
      hosts.remove();
    }
  } catch (error) {
    console.log(`\n(TCP measurement skipped: ${(error as Error).message.split('\n')[0]})`);
  }
  console.log('\n## MPI_Allreduce (float64 sum), the slowest rank\'s median, and the ring model T = 2(N−1)·α + 2(N−1)/N · bytes / B fitted per transport and rank count\n');
  const fits: { name: string; alpha: number }[] = [];
  for (const t of transports) {
    for (const ranks of [2, 4]) {
      const points = t.points.filter((p) => p.ranks === ranks);
      const fit = fitModel(points);
      if (ranks === 2) fits.push({ name: t.name.startsWith('TCP') ? 'TCP (veth, this machine)' : 'shared memory', alpha: fit.alpha });
      console.log(`### ${t.name}, ${ranks} ranks${ranks > os.availableParallelism() ? ' (oversubscribed)' : ''}: α = ${us(fit.alpha)} per message, B = ${(fit.bandwidth / 1e9).toFixed(2)} GB/s; largest relative error of the fit ${pct(fit.maxRelativeError)}\n`);
      console.log('| bytes | measured | model |');
      console.log('|---|---|---|');
      for (const p of points) console.log(`| ${p.bytes} | ${us(p.seconds)} | ${us(ringSeconds(p.ranks, p.bytes, fit.alpha, fit.bandwidth))} |`);
      console.log('');
    }
  }

  // 3. Predictions.
  console.log('## Predicted scaling efficiency at N ranks: T_c / (T_c + exposed allreduce of the float32 gradient)');
  console.log('T_c: one rank\'s measured step time in this run. α: fitted above (2 ranks); B: the link rate. "no overlap": the whole ring allreduce is exposed. ' +
    '"overlap": the averages of layers L…2 hide behind the backward pass of the layers below (⅔ of T_c by FLOPs) but the first layer\'s cannot: exposed = max(T(W¹ b¹), T_allreduce − ⅔ T_c). ' +
    '"T_c for 80 %": the step time at which the model gives 80 % at 32 ranks without overlap (4 · T_allreduce).\n');
  console.log('| network | per-rank batch | gradient | T_c (ms) | α | link | 8 | 32 | 128 | 8, overlap | 32, overlap | 128, overlap | T_c for 80 % at 32 |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const net of NETS) {
    const layers = parameters(net.sizes);
    const bytes = 4 * layers.reduce((x, y) => x + y, 0);
    const tc = stepOf.get(net.name)!;
    for (const { name, alpha } of fits) {
      for (const gbps of [10, 100]) {
        const B = (gbps * 1e9) / 8;
        const eff = (ranks: number, overlap: boolean): string => {
          const whole = ringSeconds(ranks, bytes, alpha, B);
          const exposed = overlap ? Math.max(ringSeconds(ranks, 4 * layers[0]!, alpha, B), whole - (2 / 3) * tc) : whole;
          return pct(tc / (tc + exposed));
        };
        const row = [shapeLabel(net.sizes), net.batchSize, `${(bytes / 1e6).toFixed(2)} MB`, (tc * 1e3).toFixed(1), `${us(alpha)} (${name})`, `${gbps} Gb/s`,
          ...[8, 32, 128].map((n) => eff(n, false)), ...[8, 32, 128].map((n) => eff(n, true)), `${(4 * ringSeconds(32, bytes, alpha, B) * 1e3).toFixed(1)} ms`];
        console.log(`| ${row.join(' | ')} |`);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
