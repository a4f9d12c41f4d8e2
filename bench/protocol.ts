// What the runner sends to a system's child process and what the child sends back.
import type { CaseRoofline, RooflineEngine } from './roofline';
import type { Summary } from './stats';

/** How long and how often a system's cases are timed. */
export interface TimingPlan {
  /** Timed repetitions per case, after warm-up. */
  reps: number;
  /** Wall time one repetition aims for; the row count is sized to reach it. */
  targetRepSeconds: number;
  /** At most this many rows per repetition (the data set has DATA_ROWS). */
  maxRows: number;
  /** At least this many steps per repetition. */
  minSteps: number;
}

/** A system to measure, as passed to bench/worker.ts. */
export interface SystemSpec {
  /** Unique id, e.g. `blasprop-f32-t2`. */
  id: string;
  /** Column label in the table. */
  label: string;
  /** Which file in bench/systems/ implements it. */
  module: 'blasprop' | 'tfjs' | 'brain';
  /** Module-specific settings (backend, dtype, threads, ...). */
  options: Record<string, unknown>;
  /** Case ids to run (see configs.ts). */
  cases: string[];
  timing: TimingPlan;
  /** blasprop native only: time the case's BLAS calls alone at these thread counts, alternating with the repetitions. */
  roofline?: { binary: string; dtype: 'f32' | 'f64'; threads: number[]; engine: RooflineEngine };
}

/** One case's measurement, or why there is none. */
export interface CaseResult {
  caseId: string;
  status: 'ok' | 'error' | 'unsupported';
  /** The error message (status error) or the reason (status unsupported). */
  reason?: string;
  /** Rows per timed repetition (a multiple of the batch size). */
  rows?: number;
  /** Samples per second per repetition: rows / wall seconds of one epoch. */
  samplesPerSecond?: Summary;
  repSeconds?: number[];
  /** Anything system-specific worth reporting (e.g. which tfjs loop was used). */
  details?: Record<string, unknown>;
  /** The same case's BLAS calls alone (spec.roofline). */
  roofline?: CaseRoofline;
}

/** Everything a system's child process reports. */
export interface SystemResult {
  id: string;
  label: string;
  status: 'ok' | 'error';
  error?: string;
  /** Versions, backend, dtype, threads, notes on what differs from the common setting. */
  info: Record<string, unknown>;
  cases: CaseResult[];
  /** Child CPU seconds (all threads, plus the roofline processes it ran) and wall seconds, to spot contention. */
  cpuSeconds?: number;
  wallSeconds?: number;
}

/** The interface each bench/systems/*.ts file implements. */
export interface BenchSystem {
  /** Loads the library and applies the settings (threads, backend). Returns facts for the report. */
  setup(options: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Builds a trainer for one case, or explains why the system cannot run it. */
  prepare(caseId: string): Promise<Trainer | { unsupported: string }>;
}

/** Trains one case's network. */
export interface Trainer {
  batchSize: number;
  /** One epoch (one pass, shuffled) over the first `rows` rows of the data; the caller times it. */
  epoch(rows: number): Promise<Record<string, number> | void> | Record<string, number> | void;
  /** Facts about this case's run (e.g. the tfjs loop chosen). */
  details?: Record<string, unknown>;
  dispose?(): void;
}
