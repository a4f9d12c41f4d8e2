// The roofline: compiles bench/roofline/step.cpp once (into bench/.build/) and runs it as a small
// server that times the BLAS calls of one training step alone. bench/worker.ts alternates its
// repetitions with blasprop's (same case, dtype and thread count), so both see the same machine load.
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchCase } from './configs';
import { summarize, type Summary } from './stats';

/** What the program reports once it is warmed up. */
export interface RooflineHeader {
  dtype: 'f32' | 'f64';
  /** The product engine timed (native/products/): openblas, onednn or bf16. */
  engine: RooflineEngine;
  /** oneDNN's version and dispatched ISA, when the program was built with it. */
  onednn?: string;
  isa?: string;
  threads: number;
  blasThreads: number;
  config: string;
  coreType: string;
  library: string;
  batchSize: number;
  nominalFlopPerStep: number;
  blasFlopPerStep: number;
}

/** The product engines the roofline program can time. */
export type RooflineEngine = 'openblas' | 'onednn' | 'bf16';

/** The BLAS calls alone at one thread count. */
export interface ThreadRoofline {
  threads: number;
  /** Per repetition: batch / mean step time. */
  samplesPerSecond: Summary;
  stepSeconds: Summary;
  /** 6 Σ in·out × batch / median step time. */
  nominalGflops: number;
  /** The FLOP the calls do (layer 1 has no input gradient) / median step time. */
  blasGflops: number;
}

/** One case's BLAS-only timing, and blasprop's throughput as a share of it. */
export interface CaseRoofline {
  /** One entry per thread count timed (1 and the configured count, when that is more). */
  byThreads: ThreadRoofline[];
  /** The thread count with the higher median throughput: the roofline. */
  best: ThreadRoofline;
  /**
   * Per repetition: blasprop samples/s ÷ the faster BLAS-only samples/s of the roofline repetitions
   * that ran right after it, × 100.
   */
  pairedPercent: Summary;
  /** The same for fit's own timing of the epoch loop (no fitSync input checks), when reported. */
  pairedPercentEpochLoop?: Summary;
  reps: number;
  coreType: string;
  library: string;
  engine: RooflineEngine;
  isa?: string;
}

/**
 * Summarizes the step times of servers (one per thread count) paired with blasprop's repetitions:
 * samples/s from the wall time of each repetition and, optionally, from fit's own epoch timing.
 */
export function summarizeRoofline(servers: RooflineServer[], stepSeconds: number[][], blaspropSamplesPerSecond: number[], epochLoopSamplesPerSecond?: number[]): CaseRoofline {
  const byThreads = servers.map((server, k): ThreadRoofline => {
    const h = server.header;
    const steps = summarize(stepSeconds[k]!);
    return {
      threads: h.threads,
      samplesPerSecond: summarize(stepSeconds[k]!.map((t) => h.batchSize / t)),
      stepSeconds: steps,
      nominalGflops: h.nominalFlopPerStep / steps.median / 1e9,
      blasGflops: h.blasFlopPerStep / steps.median / 1e9,
    };
  });
  const batch = servers[0]!.header.batchSize;
  const pair = (series: number[]): number[] => series.map((sps, i) => {
    const fastest = Math.min(...stepSeconds.map((runs) => runs[i]!));
    return (sps / (batch / fastest)) * 100;
  });
  const best = byThreads.reduce((a, b) => (b.samplesPerSecond.median > a.samplesPerSecond.median ? b : a));
  return {
    byThreads, best, pairedPercent: summarize(pair(blaspropSamplesPerSecond)),
    ...(epochLoopSamplesPerSecond?.length ? { pairedPercentEpochLoop: summarize(pair(epochLoopSamplesPerSecond)) } : {}),
    reps: blaspropSamplesPerSecond.length,
    coreType: servers[0]!.header.coreType, library: servers[0]!.header.library,
    engine: servers[0]!.header.engine, ...(servers[0]!.header.isa ? { isa: servers[0]!.header.isa } : {}),
  };
}

const BENCH = __dirname;
const SOURCE = path.join(BENCH, 'roofline', 'step.cpp');
const BINARY = path.join(BENCH, '.build', 'roofline');

/** OpenBLAS compiler and linker flags: pkg-config, else the package's own finder. */
function openblasFlags(): { cflags: string[]; libs: string[] } {
  const split = (s: string): string[] => s.split(/\s+/).filter(Boolean);
  try {
    const run = (flag: string): string => execFileSync('pkg-config', [flag, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { cflags: split(run('--cflags')), libs: split(run('--libs')) };
  } catch {
    const finder = path.join(BENCH, '..', 'scripts', 'find-openblas.js');
    const run = (flag: string): string => execFileSync(process.execPath, [finder, flag], { encoding: 'utf8' });
    return { cflags: split(run('--cflags')).map((d) => `-I${d}`), libs: split(run('--libs')) };
  }
}

/** Builds the roofline program unless an up-to-date binary exists. Throws with the compiler output on failure. */
export function buildRoofline(): string {
  const products = path.join(BENCH, '..', 'native', 'products');
  const headers = [path.join(BENCH, '..', 'native', 'kernels', 'blas.h'), ...fs.readdirSync(products).map((f) => path.join(products, f))];
  const newest = Math.max(fs.statSync(SOURCE).mtimeMs, ...headers.map((h) => fs.statSync(h).mtimeMs));
  if (fs.existsSync(BINARY) && fs.statSync(BINARY).mtimeMs > newest) return BINARY;
  fs.mkdirSync(path.dirname(BINARY), { recursive: true });
  const { cflags, libs } = openblasFlags();
  // Run-time search path = the link directory, so the program loads the same libopenblas as the addon.
  const rpaths = libs.filter((f) => f.startsWith('-L')).map((f) => `-Wl,-rpath,${f.slice(2)}`);
  // oneDNN where its headers are installed (Debian/Ubuntu: libdnnl-dev), as binding.gyp decides.
  const onednn = ['/usr/include', '/usr/local/include'].some((d) => fs.existsSync(path.join(d, 'oneapi', 'dnnl', 'dnnl.hpp')));
  const onednnFlags = onednn ? ['-DBLASPROP_HAVE_ONEDNN=1', '-fopenmp', '-ldnnl'] : ['-DBLASPROP_HAVE_ONEDNN=0'];
  const args = ['-O3', '-std=c++17', SOURCE, ...cflags, ...libs, ...onednnFlags, ...rpaths, '-o', BINARY];
  const result = spawnSync(process.env.CXX ?? 'g++', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`compiling the roofline failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`);
  return BINARY;
}

/**
 * Waits until the BLAS threads of the segment before have stopped spinning, in this process or the
 * roofline program's: OpenBLAS's workers busy-wait 2^28 TSC cycles (0.13 s at 2.1 GHz) after a
 * call, and a segment timed meanwhile shares the cores with them. Without it bench/engines.ts
 * measured the oneDNN fit that follows the OpenBLAS roofline at 0.17-0.27x OpenBLAS, instead of 1.1x.
 */
export function settle(): Promise<void> {
  return sleep(250);
}

/** The program in serve mode for one case: `rep(seconds)` runs whole steps for that long. */
export class RooflineServer {
  private stderr = '';
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    readonly header: RooflineHeader,
  ) {
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
  }

  /** Starts the program and waits until it has warmed up. */
  static async start(binary: string, c: BenchCase, dtype: 'f32' | 'f64', threads: number, engine: RooflineEngine): Promise<RooflineServer> {
    const child = spawn(binary, ['--serve', '--dtype', dtype, '--threads', String(threads), '--engine', engine, `${c.sizes.join(',')}:${c.batchSize}`]);
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`the roofline program exited before it was ready (code ${child.exitCode})`);
    return new RooflineServer(child, lines, JSON.parse(first.value) as RooflineHeader);
  }

  private async request(command: string): Promise<Record<string, number>> {
    this.child.stdin.write(`${command}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error(`the roofline program exited: ${this.stderr.trim()}`);
    const reply = JSON.parse(next.value) as Record<string, number> & { error?: string };
    if (reply.error) throw new Error(`roofline: ${reply.error}`);
    return reply;
  }

  /** Runs whole steps for at least `seconds`; returns the mean seconds per step. */
  async rep(seconds: number): Promise<number> {
    const reply = await this.request(`rep ${seconds}`);
    return reply.seconds! / reply.steps!;
  }

  /** Stops the program; returns the CPU seconds it used (all threads). */
  async close(): Promise<number> {
    const reply = await this.request('quit');
    return reply.cpuSeconds ?? 0;
  }

  kill(): void {
    this.child.kill();
  }
}
