// What a run measures, and for how long: the systems (each in its own child process), the
// roofline variants and the memory probe, in a full (≤ 10 min on 2 cores) and a --quick form.
import { CASES } from './configs';
import type { SystemSpec, TimingPlan } from './protocol';

export interface BenchPlan {
  quick: boolean;
  systems: SystemSpec[];
  memory: { rows: number; epochs: number; fromEpoch: number };
  /** Kill a system's child after this many seconds. */
  childTimeoutSeconds: number;
}

const ALL = CASES.map((c) => c.id);
/** The cases of issue 11's engine comparison: OpenBLAS, oneDNN float32 and bf16 side by side. */
export const ENGINE_CASES = ['mlp-b128', 'mlp-b512', 'wide-b128'];

export function benchPlan(quick: boolean): BenchPlan {
  // Fast systems: 7 repetitions (3 in a smoke run) of up to the whole 8192-row data set.
  const fast: TimingPlan = quick
    ? { reps: 3, targetRepSeconds: 0.05, maxRows: 8192, minSteps: 4 }
    : { reps: 7, targetRepSeconds: 0.3, maxRows: 8192, minSteps: 4 };
  // Slow systems: fewer repetitions, rows sized so each takes about half a second (at least one step).
  const slow: TimingPlan = quick
    ? { reps: 3, targetRepSeconds: 0.1, maxRows: 8192, minSteps: 1 }
    : { reps: 5, targetRepSeconds: 0.5, maxRows: 8192, minSteps: 1 };
  // A smoke run times the slow systems on a few cases only.
  const slowCases = quick ? ['mlp-b1', 'mlp-b128', 'deep-narrow-b32'] : ALL;
  const systems: SystemSpec[] = [
    { id: 'blasprop-f32-t1', label: 'blasprop f32 1 thr', module: 'blasprop', options: { backend: 'native', dtype: 'float32', threads: 1 }, cases: ALL, timing: fast },
    { id: 'blasprop-f32-t2', label: 'blasprop f32 2 thr', module: 'blasprop', options: { backend: 'native', dtype: 'float32', threads: 2 }, cases: ALL, timing: fast },
    { id: 'blasprop-f32-t2-adaptive', label: 'blasprop f32 2 thr, adaptive on', module: 'blasprop', options: { backend: 'native', dtype: 'float32', threads: 2, adaptive: true }, cases: ALL, timing: fast },
    ...(['openblas', 'onednn', 'bf16'] as const).flatMap((engine) => {
      const options = { backend: 'native', dtype: 'float32', threads: 2, ...(engine === 'bf16' ? { mixedPrecision: 'bfloat16' } : { blas: engine }) };
      const name = engine === 'bf16' ? 'blasprop bf16 (oneDNN)' : `blasprop f32 ${engine}`;
      return [
        { id: `blasprop-${engine}-t2`, label: `${name} 2 thr`, module: 'blasprop' as const, options, cases: ENGINE_CASES, timing: fast },
        { id: `blasprop-${engine}-t2-momentum`, label: `${name} 2 thr, momentum`, module: 'blasprop' as const, options: { ...options, momentum: 0.9 }, cases: ['mlp-b128', 'wide-b128'], timing: fast },
      ];
    }),
    { id: 'blasprop-f64-t2', label: 'blasprop f64 2 thr', module: 'blasprop', options: { backend: 'native', dtype: 'float64', threads: 2 }, cases: ALL, timing: fast },
    { id: 'blasprop-wasm', label: 'blasprop wasm', module: 'blasprop', options: { backend: 'wasm', dtype: 'float32' }, cases: ALL, timing: slow },
    { id: 'blasprop-js', label: 'blasprop pure-TS', module: 'blasprop', options: { backend: 'js', dtype: 'float32' }, cases: slowCases, timing: slow },
    { id: 'tfjs-cpu', label: 'tfjs cpu', module: 'tfjs', options: { backend: 'cpu', quick }, cases: slowCases, timing: slow },
    { id: 'tfjs-wasm', label: 'tfjs wasm', module: 'tfjs', options: { backend: 'wasm', quick }, cases: slowCases, timing: slow },
    { id: 'brain', label: 'brain.js', module: 'brain', options: {}, cases: slowCases, timing: slow },
  ];
  return {
    quick,
    systems,
    memory: quick ? { rows: 2000, epochs: 12, fromEpoch: 5 } : { rows: 10_000, epochs: 50, fromEpoch: 5 },
    childTimeoutSeconds: quick ? 120 : 240,
  };
}
