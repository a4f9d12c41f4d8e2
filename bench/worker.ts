// A system's child process: `node --import tsx bench/worker.ts '<SystemSpec JSON>'`. Loads only
// that system's library, measures its cases one after another and writes a SystemResult as JSON
// to the file named by BENCH_RESULT_FILE. Progress goes to stderr.
import * as fs from 'node:fs';
import type { BenchSystem, CaseResult, SystemResult, SystemSpec } from './protocol';
import { measure } from './timing';

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

async function load(module: SystemSpec['module']): Promise<BenchSystem> {
  switch (module) {
    case 'blasprop': return (await import('./systems/blasprop')).system;
    case 'tfjs': return (await import('./systems/tfjs')).system;
    case 'brain': return (await import('./systems/brain')).system;
  }
}

async function runCase(system: BenchSystem, spec: SystemSpec, caseId: string): Promise<CaseResult> {
  try {
    const prepared = await system.prepare(caseId);
    if ('unsupported' in prepared) return { caseId, status: 'unsupported', reason: prepared.unsupported };
    try {
      const m = await measure(prepared, spec.timing);
      return {
        caseId, status: 'ok', rows: m.rows, samplesPerSecond: m.samplesPerSecond, repSeconds: m.repSeconds,
        details: { ...prepared.details, warmupSeconds: m.warmupSeconds, ...m.epochReports },
      };
    } finally {
      prepared.dispose?.();
    }
  } catch (e) {
    return { caseId, status: 'error', reason: message(e) };
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as SystemSpec;
  const out = process.env.BENCH_RESULT_FILE;
  if (!out) throw new Error('BENCH_RESULT_FILE is not set');
  const started = performance.now();
  const result: SystemResult = { id: spec.id, label: spec.label, status: 'ok', info: {}, cases: [] };
  const write = (): void => {
    const cpu = process.cpuUsage();
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    result.wallSeconds = (performance.now() - started) / 1000;
    fs.writeFileSync(out, JSON.stringify(result));
  };
  try {
    const system = await load(spec.module);
    result.info = await system.setup(spec.options);
    for (const caseId of spec.cases) {
      const r = await runCase(system, spec, caseId);
      result.cases.push(r);
      const shown = r.status === 'ok' ? `${Math.round(r.samplesPerSecond!.median)} samples/s (${r.rows} rows)` : `${r.status}: ${r.reason}`;
      process.stderr.write(`  ${spec.id} ${caseId}: ${shown}\n`);
      write();  // partial results survive a timeout
    }
  } catch (e) {
    result.status = 'error';
    result.error = message(e);
  }
  write();
}

main().then(
  () => process.exit(0),  // tfjs-wasm and OpenBLAS may keep handles open
  (e) => {
    process.stderr.write(`${message(e)}\n`);
    process.exit(1);
  },
);
