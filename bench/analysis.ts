// Numbers derived from the measurements: share of the BLAS-only roofline, per-step overhead,
// effective GFLOP/s, speed-ups over the peers, and the issue's targets.
import { CASES, nominalFlopsPerSample } from './configs';
import type { MemoryOutcome } from './memory';
import type { SystemResult } from './protocol';
import type { Summary } from './stats';

export interface RooflineComparison {
  systemId: string;
  caseId: string;
  dtype: 'f32' | 'f64';
  threads: number;
  /** Median wall time per training step in fitSync (batch / samples per second). */
  stepMicros: number;
  /** Median time of the step's BLAS calls alone, at the faster thread count. */
  blasMicros: number;
  /** Training throughput as a percentage of the BLAS-only throughput: median over the paired repetitions. */
  percentOfRoofline: number;
  /** The paired percentages' median and range. */
  pairedPercent: Summary;
  /** (step time − BLAS-only time) / step time = 1 − percentOfRoofline / 100. */
  overheadShare: number;
  /** 6 Σ in·out × samples/s. */
  effectiveGflops: number;
  rooflineGflops: number;
}

export interface Speedup {
  caseId: string;
  systemId: string;
  versusId: string;
  ratio: number;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
  /** Measured numbers that bound or explain the result (e.g. the BLAS-only ceiling). */
  context?: string;
}

export interface Analysis {
  roofline: RooflineComparison[];
  gflops: { systemId: string; caseId: string; effectiveGflops: number }[];
  speedups: Speedup[];
  targets: TargetCheck[];
}

/** The blasprop system that the targets are checked on: float32 at the default thread count (physical cores). */
export const PRIMARY = 'blasprop-f32-t2';
/** The WebAssembly engine, the fallback where no native binary loads (issue 13's targets). */
export const WASM = 'blasprop-wasm';
const PEERS = ['blasprop-wasm', 'blasprop-js', 'tfjs-cpu', 'tfjs-wasm', 'brain'];

function median(systems: SystemResult[], systemId: string, caseId: string): number | undefined {
  const r = systems.find((s) => s.id === systemId)?.cases.find((c) => c.caseId === caseId);
  return r?.status === 'ok' ? r.samplesPerSecond?.median : undefined;
}

/** The roofline variant a blasprop native system runs at, from its options. */
function variantOf(s: SystemResult, specs: { id: string; options: Record<string, unknown> }[]): { dtype: 'f32' | 'f64'; threads: number } | null {
  const spec = specs.find((x) => x.id === s.id);
  if (!spec || spec.options.backend !== 'native') return null;
  return { dtype: spec.options.dtype === 'float64' ? 'f64' : 'f32', threads: Number(spec.options.threads) };
}

export function analyze(specs: { id: string; options: Record<string, unknown> }[], systems: SystemResult[], memory: MemoryOutcome): Analysis {
  const comparisons: RooflineComparison[] = [];
  for (const s of systems) {
    const variant = variantOf(s, specs);
    if (!variant) continue;
    for (const c of CASES) {
      const sps = median(systems, s.id, c.id);
      const roof = s.cases.find((k) => k.caseId === c.id)?.roofline;
      if (sps === undefined || !roof) continue;
      const stepMicros = (c.batchSize / sps) * 1e6;
      const blasMicros = roof.best.stepSeconds.median * 1e6;
      comparisons.push({
        systemId: s.id, caseId: c.id, ...variant, stepMicros, blasMicros,
        percentOfRoofline: roof.pairedPercent.median,
        pairedPercent: roof.pairedPercent,
        overheadShare: 1 - roof.pairedPercent.median / 100,
        effectiveGflops: (nominalFlopsPerSample(c.sizes) * sps) / 1e9,
        rooflineGflops: roof.best.nominalGflops,
      });
    }
  }

  const gflops = systems.flatMap((s) => CASES.flatMap((c) => {
    const sps = median(systems, s.id, c.id);
    return sps === undefined ? [] : [{ systemId: s.id, caseId: c.id, effectiveGflops: (nominalFlopsPerSample(c.sizes) * sps) / 1e9 }];
  }));

  const speedups: Speedup[] = [];
  for (const systemId of ['blasprop-f32-t1', PRIMARY, WASM]) {
    for (const versusId of PEERS) {
      for (const c of CASES) {
        const a = median(systems, systemId, c.id);
        const b = median(systems, versusId, c.id);
        if (a !== undefined && b !== undefined) speedups.push({ caseId: c.id, systemId, versusId, ratio: a / b });
      }
    }
  }

  const ratio = (systemId: string, versusId: string, caseId: string): number | undefined =>
    speedups.find((x) => x.systemId === systemId && x.versusId === versusId && x.caseId === caseId)?.ratio;
  const roof = (systemId: string, caseId: string): RooflineComparison | undefined =>
    comparisons.find((x) => x.systemId === systemId && x.caseId === caseId);
  const fixed = (x: number | undefined, digits: number, suffix = ''): string => (x === undefined ? 'not measured' : `${x.toFixed(digits)}${suffix}`);
  const check = (x: number | undefined, ok: (v: number) => boolean): boolean | null => (x === undefined ? null : ok(x));
  const alsoT1 = (x: number | undefined, digits: number, suffix = ''): string => (x === undefined ? '' : ` (1 thread: ${x.toFixed(digits)}${suffix})`);

  /** The fastest BLAS-only median of a case over the float32 native systems' rooflines (optionally at one thread count). */
  const fastestBlasOnly = (caseId: string, threads?: (t: number) => boolean): number | undefined => {
    const values = systems.filter((s) => variantOf(s, specs)?.dtype === 'f32')
      .flatMap((s) => s.cases.find((c) => c.caseId === caseId)?.roofline?.byThreads ?? [])
      .filter((t) => !threads || threads(t.threads))
      .map((t) => t.samplesPerSecond.median);
    return values.length ? Math.max(...values) : undefined;
  };
  const loopOnly = (systemId: string, caseId: string): number | undefined =>
    systems.find((s) => s.id === systemId)?.cases.find((c) => c.caseId === caseId)?.roofline?.pairedPercentEpochLoop?.median;

  const targets: TargetCheck[] = [];
  {
    const r = ratio(PRIMARY, 'blasprop-js', 'mlp-b128');
    const ceiling = fastestBlasOnly('mlp-b128');
    const js = median(systems, 'blasprop-js', 'mlp-b128');
    targets.push({
      target: 'mlp b=128 float32 ≥ 60× the pure-TS backend', measured: `${fixed(r, 1, '×')}${alsoT1(ratio('blasprop-f32-t1', 'blasprop-js', 'mlp-b128'), 1, '×')}`, met: check(r, (v) => v >= 60),
      ...(ceiling && js ? { context: `ceiling here: the fastest BLAS-only median for this case (${Math.round(ceiling)} samples/s) is ${(ceiling / js).toFixed(0)}× the pure-TS backend` } : {}),
    });
  }
  {
    const vsJs = ratio(WASM, 'blasprop-js', 'mlp-b128');
    const vsTfjs = ratio(WASM, 'tfjs-wasm', 'mlp-b128');
    const wasm = median(systems, WASM, 'mlp-b128');
    targets.push({ target: 'wasm backend, mlp b=128 float32 ≥ 5× the pure-TS backend (aim 10×)', measured: fixed(vsJs, 1, '×'), met: check(vsJs, (v) => v >= 5) });
    targets.push({ target: 'wasm backend, mlp b=128 float32 ≥ 5× tfjs-wasm', measured: fixed(vsTfjs, 1, '×'), met: check(vsTfjs, (v) => v >= 5) });
    targets.push({ target: 'wasm backend, mlp b=128 float32 > 10,000 samples/s (aim)', measured: fixed(wasm, 0, ' samples/s'), met: check(wasm, (v) => v > 10_000) });
  }
  {
    const r = ratio(PRIMARY, 'tfjs-wasm', 'mlp-b128');
    targets.push({ target: 'mlp b=128 float32 ≥ 20× tfjs-wasm', measured: `${fixed(r, 1, '×')}${alsoT1(ratio('blasprop-f32-t1', 'tfjs-wasm', 'mlp-b128'), 1, '×')}`, met: check(r, (v) => v >= 20) });
  }
  for (const caseId of ['mlp-b128', 'mlp-b512', 'wide-b128']) {
    const p = roof(PRIMARY, caseId)?.percentOfRoofline;
    const loop = loopOnly(PRIMARY, caseId);
    const loop1 = loopOnly('blasprop-f32-t1', caseId);
    targets.push({
      target: `${caseId} training step ≥ 85% of the BLAS-only roofline`, measured: `${fixed(p, 0, '%')}${alsoT1(roof('blasprop-f32-t1', caseId)?.percentOfRoofline, 0, '%')}`, met: check(p, (v) => v >= 85),
      ...(loop !== undefined ? { context: `epoch loop only (fit's own timing, without fitSync's per-call input checks): ${loop.toFixed(0)}%${loop1 !== undefined ? ` (1 thread: ${loop1.toFixed(0)}%)` : ''}` } : {}),
    });
  }
  {
    const v = median(systems, PRIMARY, 'mlp-b1');
    const one = fastestBlasOnly('mlp-b1', (t) => t === 1);
    const more = fastestBlasOnly('mlp-b1', (t) => t > 1);
    targets.push({
      target: 'mlp b=1 ≥ 20,000 samples/s', measured: `${fixed(v, 0, ' samples/s')}${alsoT1(median(systems, 'blasprop-f32-t1', 'mlp-b1'), 0, ' samples/s')}`, met: check(v, (x) => x >= 20_000),
      ...(one !== undefined ? { context: `BLAS calls alone at b=1 (fastest median measured): 1 thread ${Math.round(one)} samples/s${more !== undefined ? `, 2 threads ${Math.round(more)} samples/s` : ''}` } : {}),
    });
  }
  {
    const o = roof(PRIMARY, 'deep-narrow-b32')?.overheadShare;
    const o1 = roof('blasprop-f32-t1', 'deep-narrow-b32')?.overheadShare;
    targets.push({ target: 'deep-narrow per-step overhead ≤ 25%', measured: `${fixed(o === undefined ? undefined : o * 100, 0, '%')}${alsoT1(o1 === undefined ? undefined : o1 * 100, 0, '%')}`, met: check(o, (v) => v <= 0.25) });
  }
  {
    const g = memory.ok ? memory.result.growthPercent : undefined;
    const span = memory.ok ? ` (epoch ${memory.result.fromEpoch} → ${memory.result.epochs})` : '';
    targets.push({
      target: 'RSS growth < 2% over a long fit', measured: `${fixed(g, 2, '%')}${span}`, met: check(g, (v) => v < 2),
      ...(memory.ok ? { context: `peak RSS during the fit ${memory.result.peakRssDuringFitMB.toFixed(1)} MB` } : {}),
    });
  }
  return { roofline: comparisons, gflops, speedups, targets };
}
