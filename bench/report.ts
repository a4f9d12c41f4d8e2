// Rendering: the markdown report (bench/results.md, also printed) and the JSON for tooling.
import { CASES, shapeLabel } from './configs';
import type { Analysis } from './analysis';
import { PRIMARY, WASM } from './analysis';
import type { MachineInfo } from './machine';
import { renderConcurrency, type ConcurrencyOutcome } from './concurrency';
import type { MemoryOutcome } from './memory';
import type { SystemResult } from './protocol';
import type { CaseRoofline } from './roofline';
import type { Summary } from './stats';

export interface BenchReport {
  quick: boolean;
  command: string;
  totalSeconds: number;
  machine: MachineInfo;
  systems: SystemResult[];
  /** Per system: other processes' share of all CPUs while it ran, and child failures. */
  runs: Record<string, { otherLoad: number | null; wallSeconds: number; error?: string; stderrTail?: string }>;
  rooflineBuildError?: string;
  memory: MemoryOutcome;
  concurrency: ConcurrencyOutcome[];
  analysis: Analysis;
}

/** 3 significant digits with k/M suffixes: 512, 5.12k, 51.2k, 512k, 5.12M. */
export function compact(x: number): string {
  const abs = Math.abs(x);
  const sig = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  if (abs >= 1e6) return `${sig(x / 1e6)}M`;
  if (abs >= 1e3) return `${sig(x / 1e3)}k`;
  return sig(x);
}

function range(s: Summary): string {
  return `**${compact(s.median)}** (${compact(s.min)}–${compact(s.max)})`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function pct(x: number): string {
  return `${x.toFixed(0)}%`;
}

function caseCell(s: SystemResult, caseId: string): string {
  if (s.status === 'error') return 'failed';
  const r = s.cases.find((c) => c.caseId === caseId);
  if (!r) return '—';
  if (r.status === 'ok') return range(r.samplesPerSecond!);
  return r.status === 'unsupported' ? 'n/a¹' : 'error²';
}

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  const primary = r.systems.find((s) => s.id === PRIMARY);
  const blas = primary?.info.blas as { config?: string; coreType?: string } | undefined;
  const native = r.systems.filter((s) => s.info.backend === 'native');
  const roofOf = (s: SystemResult, caseId: string): CaseRoofline | undefined => s.cases.find((c) => c.caseId === caseId)?.roofline;
  const firstRoof = native.flatMap((s) => s.cases.map((c) => c.roofline)).find((x): x is CaseRoofline => x !== undefined);

  out.push(`# blasprop training benchmark${r.quick ? ' (--quick smoke run: short timings, not for comparison)' : ''}`);
  out.push('');
  out.push(`- **Date**: ${m.date} · command \`${r.command}\` · total ${(r.totalSeconds / 60).toFixed(1)} min`);
  out.push(`- **Machine**: ${m.cpuModel}, ${m.logicalCores} logical / ${m.physicalCores} physical cores${m.virtualized ? ' (virtual machine)' : ''}, ${m.memoryGB} GB, ${m.os}`);
  out.push(`- **BLAS**: ${blas?.config ?? 'unknown'}; core type in use **${blas?.coreType ?? 'unknown'}**; ` +
    `environment ${Object.entries(m.env).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (firstRoof) out.push(`- **Roofline program** loads ${firstRoof.library || 'unknown library'} (core type ${firstRoof.coreType}); the addon loads ${String(primary?.info.openblasLibrary ?? 'unknown')}`);
  out.push('- **Threads**: blasprop native float32 with `setThreads(1)` and `setThreads(2)` (the default: a fixed count), ' +
    'float32 with `setThreads(2, { adaptive: true })` (passes with small BLAS calls run on 1 thread), float64 with `setThreads(2)`; pure-TS backend, tfjs (cpu, wasm) and brain.js run on 1 thread (see notes)');
  out.push(`- **Versions**: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
  const loads = r.systems.map((s) => {
    const load = r.runs[s.id]?.otherLoad;
    return `${s.label} ${load === null || load === undefined ? '?' : pct(load * 100)}`;
  });
  out.push(`- **Machine noise**: load average at start ${m.loadAverageAtStart.join(' / ')}; share of all CPUs used by *other* processes while each system ran: ${loads.join(', ')}`);
  out.push('');

  out.push('## Training throughput (samples/s)');
  out.push('');
  out.push('Median of the timed repetitions, (min–max). One repetition = one shuffled epoch over `rows` rows of the same synthetic float32 data ' +
    '(seeded, labels 0–9), ReLU hidden layers, softmax + cross-entropy, SGD, learning rate 0.01, timed after warm-up. ' +
    'blasprop: wall time of `fitSync({ epochs: 1 })` (data checks, shuffling, batch gathering, all steps).');
  out.push('');
  out.push(table(
    ['case', 'shape', 'batch', ...r.systems.map((s) => s.label)],
    CASES.map((c) => [c.id, shapeLabel(c.sizes), String(c.batchSize), ...r.systems.map((s) => caseCell(s, c.id))]),
  ));
  out.push('');
  out.push('¹ not supported by that system (see notes). ² failed (error in the notes).');
  out.push('');
  out.push('Rows per repetition × timed repetitions:');
  out.push('');
  out.push(table(
    ['case', ...r.systems.map((s) => s.label)],
    CASES.map((c) => [c.id, ...r.systems.map((s) => {
      const x = s.cases.find((k) => k.caseId === c.id);
      return x?.status === 'ok' ? `${x.rows} × ${x.repSeconds!.length}` : '—';
    })]),
  ));
  out.push('');

  out.push('## Effective GFLOP/s (6 · Σ in·out FLOP per sample × samples/s)');
  out.push('');
  out.push(table(
    ['case', ...r.systems.map((s) => s.label)],
    CASES.map((c) => [c.id, ...r.systems.map((s) => {
      const g = r.analysis.gflops.find((x) => x.systemId === s.id && x.caseId === c.id);
      return g ? g.effectiveGflops.toFixed(g.effectiveGflops >= 10 ? 1 : 2) : '—';
    })]),
  ));
  out.push('');

  out.push('## Roofline: the training step vs. its BLAS calls alone');
  out.push('');
  out.push('`bench/roofline/step.cpp` times only the matrix products of one step (forward; input gradient for layers > 1; ' +
    'weight update fused into the weight-gradient call, as `native/kernels/dense.h` does) on the same shapes and dtype, ' +
    'through the addon\'s own product interface (`native/products/`) on the system\'s engine: OpenBLAS, oneDNN float32, or oneDNN ' +
    'with bf16 inputs (then including the rounding to bf16). "% of roofline" = blasprop samples/s ÷ products-only samples/s; the rest ' +
    'is activations, softmax, bias, batch gathering, the optimizer update, the TypeScript loop and the N-API calls.');
  out.push('');
  if (r.rooflineBuildError) out.push(`**Roofline unavailable**: ${r.rooflineBuildError}\n`);
  out.push(table(
    ['case', 'system', 'BLAS only, 1 thr: samples/s', 'BLAS only, 2+ thr: samples/s', 'roofline GFLOP/s', 'blasprop samples/s', '% of roofline', 'epoch loop only: % of roofline'],
    CASES.flatMap((c) => native.flatMap((s) => {
      const roof = roofOf(s, c.id);
      const cmp = r.analysis.roofline.find((k) => k.systemId === s.id && k.caseId === c.id);
      const res = s.cases.find((k) => k.caseId === c.id);
      if (!roof || !cmp || res?.status !== 'ok') return [];
      const at = (one: boolean): string => {
        const t = roof.byThreads.find((x) => (one ? x.threads === 1 : x.threads > 1));
        const bold = t !== undefined && roof.byThreads.length > 1 && t.threads === roof.best.threads ? '**' : '';
        return t ? `${bold}${compact(t.samplesPerSecond.median)}${bold} (${compact(t.samplesPerSecond.min)}–${compact(t.samplesPerSecond.max)})` : '—';
      };
      return [[c.id, s.label, at(true), at(false), roof.best.nominalGflops.toFixed(1), compact(res.samplesPerSecond!.median),
        `**${pct(cmp.percentOfRoofline)}** (${pct(cmp.pairedPercent.min)}–${pct(cmp.pairedPercent.max)})`,
        roof.pairedPercentEpochLoop ? `${pct(roof.pairedPercentEpochLoop.median)} (${pct(roof.pairedPercentEpochLoop.min)}–${pct(roof.pairedPercentEpochLoop.max)})` : '—']];
    })),
  ));
  out.push('');
  out.push('The roofline program runs as a separate process next to the system\'s child and its repetitions alternate with blasprop\'s ' +
    '(each blasprop epoch is followed, after 150 ms pauses, by the BLAS calls alone for as long at each thread count), so they see about the same machine load. ' +
    'With adaptive threads on a pass may run on 1 thread or the configured count, so the roofline is the faster of the two (in bold); ' +
    'with adaptive threads off (the default) it is the configured count. "% of roofline" is the median over the repetitions of blasprop samples/s ÷ the faster BLAS-only samples/s right after it, with the range. ' +
    '"Epoch loop only" uses fit\'s own timing of the epoch (`history.epochs[0].samplesPerSecond`), which leaves out what `fitSync` does once per call before the loop (input checks, label conversion).');
  out.push('');

  out.push('## Per-step overhead: (step time − BLAS-only time) / step time');
  out.push('');
  out.push(table(
    ['system', 'case', 'step, median (µs)', 'BLAS only, median (µs)', 'overhead (from the paired ratio)'],
    r.analysis.roofline
      .filter((x) => x.caseId === 'mlp-b1' || x.caseId.startsWith('deep-narrow'))
      .map((x) => [r.systems.find((s) => s.id === x.systemId)!.label, x.caseId, x.stepMicros.toFixed(1), x.blasMicros.toFixed(1),
        `${pct(x.overheadShare * 100)} (${pct(100 - x.pairedPercent.max)}–${pct(100 - x.pairedPercent.min)})`]),
  ));
  out.push('');
  out.push('A negative overhead means the full step ran faster than the BLAS calls alone did in its paired repetitions: timing noise, or BLAS threads that behave differently in the two processes.');
  out.push('');

  out.push(`## Speed-up of ${r.systems.find((s) => s.id === PRIMARY)?.label ?? PRIMARY} over the peers (ratio of medians)`);
  out.push('');
  const peers = ['blasprop-wasm', 'blasprop-js', 'tfjs-cpu', 'tfjs-wasm', 'brain'].filter((id) => r.systems.some((s) => s.id === id));
  /** One row per case: the speed-up of `systemId` over each of `versus`. */
  const speedupTable = (systemId: string, versus: string[]): string => table(
    ['case', ...versus.map((id) => r.systems.find((s) => s.id === id)!.label)],
    CASES.map((c) => [c.id, ...versus.map((id) => {
      const x = r.analysis.speedups.find((k) => k.systemId === systemId && k.versusId === id && k.caseId === c.id);
      return x ? `${x.ratio.toFixed(x.ratio >= 10 ? 0 : 1)}×` : '—';
    })]),
  );
  out.push(speedupTable(PRIMARY, peers));
  out.push('');

  if (r.systems.some((s) => s.id === WASM)) {
    out.push(`## Speed-up of ${r.systems.find((s) => s.id === WASM)!.label}, the fallback where no native binary loads, over the single-threaded peers (ratio of medians)`);
    out.push('');
    out.push(speedupTable(WASM, peers.filter((id) => id !== WASM)));
    out.push('');
  }

  out.push('## Memory');
  out.push('');
  if (r.memory.ok) {
    const x = r.memory.result;
    out.push(`blasprop native float32 (${x.threads} BLAS threads), mlp, batch ${x.batchSize}, ${x.epochs} epochs over ${x.rows.toLocaleString('en-US')} rows, ` +
      `\`fitSync\` in a fresh process (RSS sampled after every batch and epoch; fit took ${x.fitSeconds.toFixed(1)} s):`);
    out.push('');
    out.push(table(['RSS before fit', 'peak RSS during fit', `RSS after epoch ${x.fromEpoch}`, `RSS after epoch ${x.epochs}`, `growth epoch ${x.fromEpoch} → ${x.epochs}`, `V8 heap used (epoch ${x.fromEpoch} → ${x.epochs})`, 'process ru_maxrss'], [[
      `${x.rssBeforeFitMB.toFixed(1)} MB`, `${x.peakRssDuringFitMB.toFixed(1)} MB`, `${x.rssFromMB.toFixed(1)} MB`, `${x.rssToMB.toFixed(1)} MB`,
      `${x.growthPercent.toFixed(2)}%`, `${x.heapUsedFromMB.toFixed(1)} → ${x.heapUsedToMB.toFixed(1)} MB`, `${x.processMaxRssMB.toFixed(1)} MB`,
    ]]));
  } else {
    out.push(`**Memory probe failed**: ${r.memory.error}`);
  }
  out.push('');

  out.push(renderConcurrency(r.concurrency));

  out.push(`## Targets (checked on ${r.systems.find((s) => s.id === PRIMARY)?.label ?? PRIMARY}, the default thread count)`);
  out.push('');
  out.push(table(['target', 'measured', 'met', 'context (measured)'], r.analysis.targets.map((t) => [t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'yes' : '**no**', t.context ?? ''])));
  out.push('');

  out.push('## Notes per system');
  out.push('');
  for (const s of r.systems) {
    const info = s.info;
    const facts = [
      info.version ? `version ${String(info.version)}` : '',
      info.backend ? `backend ${String(info.backend)}` : '',
      info.dtype ? `dtype ${String(info.dtype)}` : '',
      info.threads !== undefined ? `threads ${String(info.threads)}` : '',
      info.adaptiveThreads !== undefined ? `adaptive threads ${info.adaptiveThreads ? 'on' : 'off'}` : '',
      info.addonPath ? `addon ${String(info.addonPath)} (built ${String(info.addonBuilt)})` : '',
    ].filter(Boolean).join(', ');
    out.push(`- **${s.label}** (\`${s.id}\`): ${s.status === 'error' ? `**failed: ${s.error}**` : facts}`);
    for (const note of (info.notes as string[] | undefined) ?? []) out.push(`  - ${note}`);
    const run = r.runs[s.id];
    if (run?.error) out.push(`  - child process: ${run.error}${run.stderrTail ? ` — stderr: \`${run.stderrTail.replace(/\n/g, ' ⏎ ').slice(0, 400)}\`` : ''}`);
    for (const c of s.cases) {
      if (c.status === 'unsupported') out.push(`  - ${c.caseId}: not supported — ${c.reason}`);
      if (c.status === 'error') out.push(`  - ${c.caseId}: **error** — ${c.reason}`);
      const loop = c.details?.loop;
      if (loop) {
        const probe = c.details!.probeSamplesPerSecond as Record<string, number>;
        out.push(`  - ${c.caseId}: timed loop \`${String(loop)}\` (probe: ${Object.entries(probe).map(([k, v]) => `${k} ${compact(v)}/s`).join(', ')})`);
      }
    }
    if (s.info.backend === 'native' || s.id === 'blasprop-js') {
      const inner = s.cases.filter((c) => c.status === 'ok' && c.details?.epochLoopSamplesPerSecond)
        .map((c) => `${c.caseId} ${compact((c.details!.epochLoopSamplesPerSecond as Summary).median)}`);
      if (inner.length) out.push(`  - fit's own epoch timing (\`history.epochs[0].samplesPerSecond\`, excludes fitSync's input checks): ${inner.join(', ')}`);
    }
  }
  out.push('');
  return out.join('\n');
}
