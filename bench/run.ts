// The benchmark runner: `npx tsx bench/run.ts` (full, ≤ 14 min on 2 cores) or `--quick` (≈ 1 min
// smoke run). Each system runs in its own child process, one after another; for blasprop native
// systems the child also runs the BLAS-only roofline program, alternating with its repetitions.
// Then the memory probe and the concurrency section (bench/concurrency.ts).
// Writes bench/results.md and bench/results.json (--quick and --only runs write to bench/.build/
// instead, so they never replace the full results) and prints the report.
// Options: --quick, --only=<system id>,<system id>  (e.g. --only=blasprop-f32-t2,tfjs-wasm)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from './analysis';
import { runChild } from './child';
import { measureConcurrency } from './concurrency';
import { machineInfo } from './machine';
import { measureMemory } from './memory';
import { benchPlan } from './plan';
import type { SystemResult } from './protocol';
import { renderMarkdown, type BenchReport } from './report';
import { backendInfo } from '../lib/index';
import { buildRoofline, type RooflineEngine } from './roofline';

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The product engine a blasprop system runs on, resolved as the library does ('auto': lib/products.ts). */
function rooflineEngine(options: Record<string, unknown>): RooflineEngine {
  if (options.mixedPrecision === 'bfloat16') return 'bf16';
  if (options.dtype === 'float64') return 'openblas';
  const choice = options.blas ?? process.env.BLASPROP_BLAS ?? 'auto';
  if (choice === 'openblas' || choice === 'onednn') return choice;
  return backendInfo().products ?? 'openblas';
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = args.filter((a) => a !== '--quick' && !a.startsWith('--only='));
  if (unknown.length) throw new Error(`unknown arguments: ${unknown.join(' ')} (use --quick, --only=id,id)`);
  const plan = benchPlan(quick);
  const specs = plan.systems.filter((s) => !only || only.includes(s.id));
  const machine = machineInfo();
  log(`blasprop bench (${quick ? 'quick' : 'full'}): ${machine.cpuModel}, ${machine.logicalCores} cores, load ${machine.loadAverageAtStart.join(' ')}`);

  let binary: string | undefined;
  let rooflineBuildError: string | undefined;
  try {
    log('building the roofline program ...');
    binary = buildRoofline();
  } catch (e) {
    rooflineBuildError = e instanceof Error ? e.message : String(e);
    log(rooflineBuildError);
  }
  const systems: SystemResult[] = [];
  const runs: BenchReport['runs'] = {};
  for (const spec of specs) {
    if (binary && spec.module === 'blasprop' && spec.options.backend === 'native') {
      // With adaptive threads blasprop may run a pass on 1 thread or the configured count, so the
      // roofline is the faster of the two; with a fixed count it is that count.
      const threads = Number(spec.options.threads);
      const adaptive = spec.options.adaptive === true;
      spec.roofline = { binary, dtype: spec.options.dtype === 'float64' ? 'f64' : 'f32', threads: threads > 1 && adaptive ? [threads, 1] : [threads], engine: rooflineEngine(spec.options) };
    }
    log(`${spec.id} ...`);
    const outcome = await runChild<SystemResult>('bench/worker.ts', [JSON.stringify(spec)], plan.childTimeoutSeconds);
    const result: SystemResult = outcome.result ?? { id: spec.id, label: spec.label, status: 'error', error: outcome.error ?? 'no result', info: {}, cases: [] };
    if (outcome.error && !outcome.result) result.error = `${outcome.error}: ${outcome.stderrTail}`;
    systems.push(result);
    runs[spec.id] = { otherLoad: outcome.otherLoad, wallSeconds: outcome.wallSeconds, ...(outcome.error ? { error: outcome.error, stderrTail: outcome.stderrTail } : {}) };
  }

  log(`memory: ${plan.memory.epochs} epochs on ${plan.memory.rows} rows ...`);
  const memory = await measureMemory(plan.memory.rows, plan.memory.epochs, plan.memory.fromEpoch);
  const concurrency = await measureConcurrency(quick, log);

  const report: BenchReport = {
    quick,
    command: `npx tsx bench/run.ts${args.length ? ` ${args.join(' ')}` : ''}`,
    totalSeconds: (performance.now() - started) / 1000,
    machine,
    systems,
    runs,
    ...(rooflineBuildError ? { rooflineBuildError } : {}),
    memory,
    concurrency,
    analysis: analyze(specs, systems, memory),
  };
  const markdown = renderMarkdown(report);
  // Only a full run of every system replaces bench/results.*; smoke and partial runs go to bench/.build/.
  const partial = quick || only !== undefined;
  const outDir = partial ? path.join(__dirname, '.build') : __dirname;
  const base = quick ? 'results-quick' : only ? 'results-partial' : 'results';
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${base}.json`), `${JSON.stringify({ plan, ...report }, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, `${base}.md`), `${markdown}\n`);
  process.stdout.write(`${markdown}\n`);
  log(`wrote ${path.relative(process.cwd(), path.join(outDir, `${base}.md`))} and ${base}.json in ${(report.totalSeconds / 60).toFixed(1)} min`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
