// Issue 11's side-by-side, in one process and one run: blasprop with blas 'openblas', blas 'onednn'
// and mixedPrecision 'bfloat16' (oneDNN), with plain SGD and with momentum, on 784-256-128-10 at
// batch 128 and 512 and 784-1024-1024-10 at batch 128; and each engine's products alone (the
// roofline program, bench/roofline/step.cpp, on the same engine). Every repetition runs every variant
// once, one after another, so all see the same machine load, with a pause before each timed segment
// (settle() in roofline.ts); medians are reported. Then each variant fits again with the addon
// timing its steps by phase (native/kernels/step_phases.h): the second table shows where the time
// outside the products goes, in µs per step.
//   npx tsx bench/engines.ts [--threads N] [--reps R] [--quick]
// Prints a Markdown table and writes bench/.build/engines-<OpenBLAS core>.json. Run it a second
// time with OPENBLAS_CORETYPE=SkylakeX to compare with OpenBLAS's AVX-512 kernels where OpenBLAS
// 0.3.21 does not recognise the CPU (it falls back to Prescott kernels on Emerald Rapids).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Network, backendInfo, setThreads, type NetworkOptions } from '../lib/index';
import { STEP_PHASES, loadNative, type NativeBinding } from '../lib/backends/native';
import { CASES, LEARNING_RATE, MODEL_SEED, shapeLabel, type BenchCase } from './configs';
import { makeDataset } from './data';
import { machineInfo } from './machine';
import { ENGINE_CASES } from './plan';
import { buildRoofline, RooflineServer, settle, type RooflineEngine } from './roofline';
import { summarize } from './stats';

interface Variant {
  engine: RooflineEngine;
  momentum: boolean;
}

interface Row {
  caseId: string;
  engine: RooflineEngine;
  optimizer: string;
  samplesPerSecond: number;
  productsSamplesPerSecond: number;
  stepMicros: number;
  productsMicros: number;
  /** Step time outside the products: bias, activations, softmax, gathering, bf16 rounding (in the products' time), optimizer update. */
  outsideMicros: number;
  percentOfProducts: number;
  /** µs per step by phase, timed inside the addon (native/kernels/step_phases.h), medians of the phase-timed fits. */
  phaseMicros: Record<(typeof STEP_PHASES)[number], number>;
}

/** Fits timed by phase per variant, after the interleaved repetitions. */
const PHASE_REPS = 3;

const PHASE_LABELS: Record<(typeof STEP_PHASES)[number], string> = {
  products: 'products', operandCopies: 'operand copies (bf16 rounding, transposed δ)', gather: 'batch gathering',
  biasActivation: 'bias + activation', loss: 'softmax + loss + δ^L', activationBackward: "δ ⊙ g'", biasGradient: 'bias gradient',
  dropout: 'dropout', zeroGradients: 'zeroing the gradient', optimizer: 'optimizer update', other: 'other (loop, hooks)',
};

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function network(c: BenchCase, engine: RooflineEngine): Network {
  const options: NetworkOptions = {
    inputs: c.sizes[0]!,
    layers: [...c.sizes.slice(1, -1).map((units) => ({ units, activation: 'relu' as const })), { units: c.sizes[c.sizes.length - 1]!, activation: 'softmax' }],
    loss: 'cross-entropy',
    seed: MODEL_SEED,
    backend: 'native',
    ...(engine === 'bf16' ? { mixedPrecision: 'bfloat16' as const } : { blas: engine }),
  };
  return new Network(options);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const threads = argument('--threads', 2);
  const reps = argument('--reps', quick ? 3 : 7);
  setThreads(threads);
  const info = backendInfo();
  const native = loadNative();
  if (!('binding' in native)) throw native.error;
  const binding: NativeBinding = native.binding;
  const machine = machineInfo();
  const onednn = info.blas?.onednn;
  const header = [
    `CPU: ${machine.cpuModel}; ${threads} thread(s); ${reps} interleaved repetitions per variant`,
    `OpenBLAS: ${info.blas?.config} (core ${info.blas?.coreType}); OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}`,
    `oneDNN: ${onednn ? `${onednn.version}, ISA ${onednn.isa}, bf16 ${onednn.bf16}` : 'not in this build'}; blas 'auto' picks ${info.products} for float32`,
  ];
  process.stderr.write(`${header.join('\n')}\n`);
  const binary = buildRoofline();
  const variants: Variant[] = (['openblas', 'onednn', 'bf16'] as const).flatMap((engine) => [{ engine, momentum: false }, { engine, momentum: true }]);
  const rows: Row[] = [];
  for (const caseId of ENGINE_CASES) {
    const c = CASES.find((k) => k.id === caseId)!;
    const data = makeDataset(c.sizes[0]!);
    // Rows per repetition: a multiple of the batch, about 0.1–0.5 s on the slowest variant.
    const count = Math.min(data.rows, c.batchSize * (c.config === 'wide' ? 16 : 64) / (quick ? 4 : 1));
    const x = { data: data.X.subarray(0, count * c.sizes[0]!), shape: [count, c.sizes[0]!] as [number, number] };
    const labels = data.labels.subarray(0, count);
    const nets = variants.map((v) => network(c, v.engine));
    const servers = new Map<RooflineEngine, RooflineServer>();
    for (const v of variants) if (!servers.has(v.engine)) servers.set(v.engine, await RooflineServer.start(binary, c, 'f32', threads, v.engine));
    const train = (k: number): number => {
      const v = variants[k]!;
      const history = nets[k]!.fitSync(x, labels, {
        epochs: 1, batchSize: c.batchSize, learningRate: LEARNING_RATE, shuffle: true,
        ...(v.momentum ? { optimizer: { type: 'sgd' as const, momentum: 0.9 } } : {}),
      });
      return history.epochs[0]!.samplesPerSecond;
    };
    variants.forEach((_, k) => train(k));  // warm-up: primitives, workspaces, thread pools
    const rates: number[][] = variants.map(() => []);
    const products: number[][] = variants.map(() => []);
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < variants.length; k++) {
        await settle();
        const sps = train(k);
        rates[k]!.push(sps);
        // The products alone for about as long, right after: same load.
        await settle();
        const stepSeconds = await servers.get(variants[k]!.engine)!.rep(Math.max(0.05, count / sps));
        products[k]!.push(c.batchSize / stepSeconds);
      }
    }
    for (const server of servers.values()) await server.close();
    // Where each variant's step time goes, timed inside the addon by phase (a separate fit per rep:
    // the timing costs about 1 µs per step, kept out of the throughput above).
    const phases: Record<string, number>[][] = variants.map(() => []);
    for (let r = 0; r < PHASE_REPS; r++) {
      for (let k = 0; k < variants.length; k++) {
        await settle();
        binding.stepPhaseTimes(true);
        train(k);
        const t = binding.stepPhaseTimes(false);
        phases[k]!.push(Object.fromEntries(STEP_PHASES.map((p) => [p, (t.seconds[p] / t.steps) * 1e6])));
      }
    }
    variants.forEach((v, k) => {
      const sps = summarize(rates[k]!).median, pps = summarize(products[k]!).median;
      const paired = summarize(rates[k]!.map((s, i) => (s / products[k]![i]!) * 100)).median;
      rows.push({
        caseId, engine: v.engine, optimizer: v.momentum ? 'momentum 0.9' : 'sgd',
        samplesPerSecond: sps, productsSamplesPerSecond: pps,
        stepMicros: (c.batchSize / sps) * 1e6, productsMicros: (c.batchSize / pps) * 1e6,
        outsideMicros: (c.batchSize / sps - c.batchSize / pps) * 1e6, percentOfProducts: paired,
        phaseMicros: Object.fromEntries(STEP_PHASES.map((p) => [p, summarize(phases[k]!.map((x) => x[p]!)).median])) as Row['phaseMicros'],
      });
    });
    process.stderr.write(`${caseId} done\n`);
  }
  const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
  const base = (r: Row): Row => rows.find((b) => b.caseId === r.caseId && b.optimizer === r.optimizer && b.engine === 'openblas')!;
  const out = [...header.map((h) => `- ${h}`), '',
    '| case | optimizer | engine | samples/s | × openblas | products alone: samples/s | step µs | products µs | outside products µs | step % of products |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const c = CASES.find((x) => x.id === r.caseId)!;
    out.push(`| ${shapeLabel(c.sizes)} b=${c.batchSize} | ${r.optimizer} | ${r.engine} | ${k(r.samplesPerSecond)} | ${(r.samplesPerSecond / base(r).samplesPerSecond).toFixed(2)} | ` +
      `${k(r.productsSamplesPerSecond)} | ${r.stepMicros.toFixed(0)} | ${r.productsMicros.toFixed(0)} | ${r.outsideMicros.toFixed(0)} | ${r.percentOfProducts.toFixed(0)}% |`);
  }
  const shown = STEP_PHASES.filter((p) => rows.some((r) => r.phaseMicros[p] >= 0.5));
  out.push('', `Where a step's time goes, µs per step, timed inside the addon by phase (native/kernels/step_phases.h; medians of ${PHASE_REPS} fits per variant, after the table above):`, '',
    `| case | optimizer | engine | ${shown.map((p) => PHASE_LABELS[p]).join(' | ')} | outside products |`,
    `|---|---|---|${shown.map(() => '---:').join('|')}|---:|`);
  for (const r of rows) {
    const c = CASES.find((x) => x.id === r.caseId)!;
    const total = STEP_PHASES.reduce((sum, p) => sum + r.phaseMicros[p], 0);
    const outside = total - r.phaseMicros.products - r.phaseMicros.operandCopies;
    out.push(`| ${shapeLabel(c.sizes)} b=${c.batchSize} | ${r.optimizer} | ${r.engine} | ${shown.map((p) => r.phaseMicros[p].toFixed(0)).join(' | ')} | ` +
      `${outside.toFixed(0)} (${((outside / total) * 100).toFixed(0)} %) |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  const dir = path.join(__dirname, '.build');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `engines-${info.blas?.coreType ?? 'unknown'}-t${threads}.json`), `${JSON.stringify({ header, rows }, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
