// Memory: peak RSS during a long fit and RSS growth between two epochs, measured in a fresh
// process (bench/memory-child.ts) so nothing measured earlier sits in the heap.
import { runChild } from './child';

export interface MemoryResult {
  rows: number;
  epochs: number;
  batchSize: number;
  fromEpoch: number;
  threads?: number;
  rssBeforeFitMB: number;
  /** Highest RSS sampled after every batch and epoch of the fit. */
  peakRssDuringFitMB: number;
  /** getrusage's ru_maxrss: the process's peak, including data generation. */
  processMaxRssMB: number;
  rssFromMB: number;
  rssToMB: number;
  growthPercent: number;
  heapUsedFromMB: number;
  heapUsedToMB: number;
  fitSeconds: number;
  perEpoch: { epoch: number; rssMB: number; heapUsedMB: number; externalMB: number }[];
  cpuSeconds: number;
}

export type MemoryOutcome = { ok: true; result: MemoryResult; otherLoad: number | null } | { ok: false; error: string };

export async function measureMemory(rows: number, epochs: number, fromEpoch: number): Promise<MemoryOutcome> {
  const outcome = await runChild<MemoryResult>('bench/memory-child.ts', [JSON.stringify({ rows, epochs, fromEpoch })], 600);
  if (outcome.error || !outcome.result) return { ok: false, error: `${outcome.error ?? 'no result'}\n${outcome.stderrTail}`.trim() };
  return { ok: true, result: outcome.result, otherLoad: outcome.otherLoad };
}
