// Concurrency: N fits at once against the same N one after another, the spread of their finish times,
// single-row predict latency while they train, and the scheduler candidates side by side
// (native/napi/pass_scheduler.h). Each run is a fresh process (bench/concurrency-child.ts).
// Standalone: `npx tsx bench/concurrency.ts [--quick]` prints the section; bench/run.ts includes it.
import { runChild } from './child';
import { machineInfo } from './machine';

/** How the addon admits concurrent passes (the candidates; 'scheduled' is the policy). */
export type SchedulePolicy = 'scheduled' | 'unscheduled' | 'narrow' | 'serial';

export interface ConcurrencySpec {
  /** 'policy': the default scheduler over N; 'candidate': one row of the candidates comparison. */
  role: 'policy' | 'candidate';
  dtype: 'float32' | 'float64';
  policy: SchedulePolicy;
  counts: number[];
  epochs: number;
  rows: number;
  /** Measure predict latency during this many concurrent fits (0: not). */
  predictDuring: number;
}

export interface ConcurrencyCount {
  n: number;
  sequentialSeconds: number;
  concurrentSeconds: number;
  /** concurrent / sequential wall time. */
  ratio: number;
  firstFinishSeconds: number;
  lastFinishSeconds: number;
  identicalWeights: boolean;
  maxWeightDifference: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Event-loop delay p99 over the same period. */
  loopDelayP99Ms: number;
}

export interface ConcurrencyRun {
  dtype: 'float32' | 'float64';
  policy: SchedulePolicy;
  threads: number;
  counts: ConcurrencyCount[];
  predictIdle?: LatencySummary;
  predictDuringOne?: LatencySummary;
  predictDuringMany?: LatencySummary;
  predictDuringCount?: number;
  cpuSeconds?: number;
}

export type ConcurrencyOutcome = { spec: ConcurrencySpec; ok: true; run: ConcurrencyRun; otherLoad: number | null } | { spec: ConcurrencySpec; ok: false; error: string };

/** The runs of a full or quick bench: the policy over N = 1…16 in both dtypes, then the candidates at N = 4. */
export function concurrencyPlan(quick: boolean): ConcurrencySpec[] {
  const rows = quick ? 2000 : 6000;
  const epochs = quick ? 1 : 2;
  const counts = quick ? [1, 2, 4] : [1, 2, 4, 8, 16];
  return [
    { role: 'policy', dtype: 'float32', policy: 'scheduled', counts, epochs, rows, predictDuring: 6 },
    { role: 'policy', dtype: 'float64', policy: 'scheduled', counts: quick ? [2] : [1, 2, 4, 8], epochs, rows, predictDuring: 0 },
    ...(['unscheduled', 'narrow', 'serial', 'scheduled'] as const).map((policy): ConcurrencySpec => ({ role: 'candidate', dtype: 'float32', policy, counts: [4], epochs, rows, predictDuring: 6 })),
  ];
}

export async function measureConcurrency(quick: boolean, log: (text: string) => void): Promise<ConcurrencyOutcome[]> {
  const outcomes: ConcurrencyOutcome[] = [];
  for (const spec of concurrencyPlan(quick)) {
    log(`concurrency: ${spec.dtype}, policy ${spec.policy}, N = ${spec.counts.join(', ')} ...`);
    const outcome = await runChild<ConcurrencyRun>('bench/concurrency-child.ts', [JSON.stringify(spec)], 900);
    outcomes.push(outcome.result && !outcome.error
      ? { spec, ok: true, run: outcome.result, otherLoad: outcome.otherLoad }
      : { spec, ok: false, error: `${outcome.error ?? 'no result'}: ${outcome.stderrTail}` });
  }
  return outcomes;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const s = (x: number): string => x.toFixed(2);
const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const load = (o: number | null): string => (o === null ? '?' : `${(o * 100).toFixed(0)}%`);

function latencyCells(l: LatencySummary | undefined): string[] {
  return l ? [ms(l.p50Ms), ms(l.p99Ms), ms(l.maxMs), ms(l.loopDelayP99Ms)] : ['—', '—', '—', '—'];
}

/** The markdown section. */
export function renderConcurrency(outcomes: ConcurrencyOutcome[]): string {
  const out: string[] = ['## Concurrency', ''];
  const first = outcomes.find((o) => o.ok);
  if (first?.ok) {
    const { spec } = first;
    out.push(`N networks 784-256-128-10 (seeds differ), ${spec.rows} rows, ${spec.epochs} epochs, batch 64, SGD, fitted with \`await fit\` one after another and then all at once with \`Promise.all\`; ${first.run.threads} BLAS threads configured. Each row is one fresh process; the sequential and concurrent runs of a row are measured back to back. "Weights" compares each concurrent fit's weights with its sequential run.`, '');
  }
  const policy = outcomes.filter((o) => o.spec.role === 'policy');
  const rows: string[][] = [];
  for (const o of policy) {
    if (!o.ok) {
      rows.push([o.spec.dtype, '—', 'failed', o.error.split('\n')[0]!, '', '', '', '']);
      continue;
    }
    for (const c of o.run.counts) {
      rows.push([o.spec.dtype, String(c.n), s(c.sequentialSeconds), s(c.concurrentSeconds), `**${c.ratio.toFixed(2)}×**`,
        `${s(c.firstFinishSeconds)}–${s(c.lastFinishSeconds)}`, c.identicalWeights ? 'identical' : `max diff ${c.maxWeightDifference.toExponential(1)}`, load(o.otherLoad)]);
    }
  }
  out.push('### The scheduler (default policy)', '');
  out.push(table(['dtype', 'N', 'sequential s', 'concurrent s', 'concurrent / sequential', 'finish times s (first–last)', 'weights', 'other load'], rows), '');

  const withPredict = outcomes.filter((o) => o.ok && o.run.predictDuringMany);
  if (withPredict.length > 0) {
    out.push('### Single-row predict on the main thread while fits run (ms)', '');
    const lrows: string[][] = [];
    for (const o of withPredict) {
      if (!o.ok) continue;
      const r = o.run;
      lrows.push([r.policy, 'idle', ...latencyCells(r.predictIdle)]);
      lrows.push([r.policy, '1 fit', ...latencyCells(r.predictDuringOne)]);
      lrows.push([r.policy, `${r.predictDuringCount} fits`, ...latencyCells(r.predictDuringMany)]);
    }
    out.push(table(['policy', 'during', 'p50', 'p99', 'max', 'event-loop delay p99'], lrows), '');
  }

  const candidates = outcomes.filter((o) => o.spec.role === 'candidate');
  if (candidates.length > 0) {
    out.push('### Scheduler candidates (float32, N = 4)', '');
    const crows = candidates.map((o) => {
      if (!o.ok) return [o.spec.policy, 'failed', o.error.split('\n')[0]!, '', '', ''];
      const c = o.run.counts[0]!;
      return [o.run.policy, s(c.sequentialSeconds), s(c.concurrentSeconds), `**${c.ratio.toFixed(2)}×**`, `${s(c.firstFinishSeconds)}–${s(c.lastFinishSeconds)}`,
        c.identicalWeights ? 'identical' : `max diff ${c.maxWeightDifference.toExponential(1)}`, o.run.predictDuringMany ? ms(o.run.predictDuringMany.p99Ms) : '—', load(o.otherLoad)];
    });
    out.push(table(['policy', 'sequential s', 'concurrent s', 'concurrent / sequential', 'finish times s', 'weights', 'predict p99 during 6 fits ms', 'other load'], crows), '');
    out.push('Policies: **scheduled** — wide (all configured threads) when a pass is alone, otherwise one BLAS thread per pass with at most <threads> passes at once, first come first served; **unscheduled** — every pass sets the global OpenBLAS count and runs at once (blasprop before the scheduler); **narrow** — every pass on one thread, all at once (like OPENBLAS_NUM_THREADS=1); **serial** — one pass at a time on all threads.', '');
  }
  return out.join('\n');
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const m = machineInfo();
  process.stderr.write(`concurrency bench: ${m.cpuModel}, ${m.logicalCores} cores, load ${m.loadAverageAtStart.join(' ')}\n`);
  measureConcurrency(quick, (t) => process.stderr.write(`${t}\n`)).then((outcomes) => {
    process.stdout.write(`CPU: ${m.cpuModel}, ${m.logicalCores} logical / ${m.physicalCores} physical cores\n\n${renderConcurrency(outcomes)}\n`);
  }, (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
