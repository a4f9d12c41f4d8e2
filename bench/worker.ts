// A system's child process: `node --import tsx bench/worker.ts '<SystemSpec JSON>'`. Loads only
// that system's library, measures its cases one after another (blasprop native cases paired with
// the BLAS-only roofline) and writes a SystemResult as JSON to the file named by BENCH_RESULT_FILE.
// Progress goes to stderr.
import * as fs from 'node:fs';
import { CASES } from './configs';
import type { BenchSystem, CaseResult, SystemResult, SystemSpec, Trainer } from './protocol';
import { RooflineServer, settle, summarizeRoofline, type CaseRoofline } from './roofline';
import { measure, type Measurement } from './timing';

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

/** CPU seconds used by the roofline processes this worker started (added to its own in the result). */
let rooflineCpuSeconds = 0;

/**
 * Measures a blasprop native case with the roofline program's repetitions interleaved: after each
 * timed epoch, the BLAS calls alone run for as long at each thread count in spec.roofline.threads,
 * so all see about the same load.
 */
async function measureWithRoofline(prepared: Trainer, spec: SystemSpec, caseId: string): Promise<{ m: Measurement; roofline: CaseRoofline }> {
  const r = spec.roofline!;
  const benchCase = CASES.find((c) => c.id === caseId)!;
  const servers: RooflineServer[] = [];
  try {
    for (const threads of r.threads) servers.push(await RooflineServer.start(r.binary, benchCase, r.dtype, threads, r.engine));
    const stepSeconds: number[][] = servers.map(() => []);
    const m = await measure(prepared, spec.timing, async (seconds) => {
      for (const [k, server] of servers.entries()) {
        await settle();
        stepSeconds[k]!.push(await server.rep(seconds));
      }
      await settle();
    });
    const roofline = summarizeRoofline(servers, stepSeconds, m.repSeconds.map((s) => m.rows / s), m.epochReportValues.epochLoopSamplesPerSecond);
    for (const server of servers.splice(0)) rooflineCpuSeconds += await server.close();
    return { m, roofline };
  } finally {
    for (const server of servers) server.kill();
  }
}

async function runCase(system: BenchSystem, spec: SystemSpec, caseId: string): Promise<CaseResult> {
  try {
    const prepared = await system.prepare(caseId);
    if ('unsupported' in prepared) return { caseId, status: 'unsupported', reason: prepared.unsupported };
    try {
      const { m, roofline } = spec.roofline ? await measureWithRoofline(prepared, spec, caseId) : { m: await measure(prepared, spec.timing), roofline: undefined };
      return {
        caseId, status: 'ok', rows: m.rows, samplesPerSecond: m.samplesPerSecond, repSeconds: m.repSeconds,
        details: { ...prepared.details, warmupSeconds: m.warmupSeconds, ...m.epochReports },
        ...(roofline ? { roofline } : {}),
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
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6 + rooflineCpuSeconds;
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
