// The measurement protocol of one case: warm up while sizing the repetition, then time `reps`
// epochs over the same rows and report samples/s per repetition (rows / wall seconds).
import type { TimingPlan, Trainer } from './protocol';
import { summarize, type Summary } from './stats';

export interface Measurement {
  rows: number;
  samplesPerSecond: Summary;
  repSeconds: number[];
  warmupSeconds: number;
  /** Summary of each number the trainer's epoch returned, e.g. blasprop's own epoch timing. */
  epochReports: Record<string, Summary>;
  /** The same numbers per timed repetition. */
  epochReportValues: Record<string, number[]>;
}

/** Rounds down to a multiple of the batch size, within [minRows, maxRows]. */
function fitRows(rows: number, batchSize: number, minRows: number, maxRows: number): number {
  const clamped = Math.max(minRows, Math.min(maxRows, rows));
  return Math.max(batchSize, Math.floor(clamped / batchSize) * batchSize);
}

async function timeEpoch(trainer: Trainer, rows: number): Promise<{ seconds: number; report: Record<string, number> | void }> {
  const started = performance.now();
  const report = await trainer.epoch(rows);
  return { seconds: (performance.now() - started) / 1000, report };
}

/**
 * Times `plan.reps` epochs after warm-up. `afterRep`, when given, runs after each timed repetition
 * with its duration (the roofline's paired repetition).
 */
export async function measure(trainer: Trainer, plan: TimingPlan, afterRep?: (seconds: number) => Promise<void>): Promise<Measurement> {
  const b = trainer.batchSize;
  const minRows = b * plan.minSteps;
  const maxRows = Math.floor(plan.maxRows / b) * b;
  // Warm-up: epochs of growing size until one takes a fifth of the target (JIT, thread pools,
  // workspace allocation and caches settle), which also gives the rate to size the repetitions.
  let rows = fitRows(Math.max(minRows, 4 * b), b, minRows, maxRows);
  let warmupSeconds = 0;
  let rate = 0;
  for (;;) {
    const { seconds } = await timeEpoch(trainer, rows);
    warmupSeconds += seconds;
    rate = rows / seconds;
    if (seconds >= plan.targetRepSeconds / 5 || rows >= maxRows) break;
    rows = fitRows(rows * 4, b, minRows, maxRows);
  }
  rows = fitRows(Math.round(rate * plan.targetRepSeconds), b, minRows, maxRows);
  // One more warm-up epoch at the measured size.
  warmupSeconds += (await timeEpoch(trainer, rows)).seconds;

  const repSeconds: number[] = [];
  const reports: Record<string, number[]> = {};
  for (let r = 0; r < plan.reps; r++) {
    const { seconds, report } = await timeEpoch(trainer, rows);
    repSeconds.push(seconds);
    if (afterRep) await afterRep(seconds);
    if (report) for (const [key, value] of Object.entries(report)) (reports[key] ??= []).push(value);
  }
  const epochReports: Record<string, Summary> = {};
  for (const [key, values] of Object.entries(reports)) epochReports[key] = summarize(values);
  return { rows, samplesPerSecond: summarize(repSeconds.map((s) => rows / s)), repSeconds, warmupSeconds, epochReports, epochReportValues: reports };
}
