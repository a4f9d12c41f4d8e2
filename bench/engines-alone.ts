// The float32 engines each alone in a process, the way a user runs one: a check on bench/engines.ts,
// which interleaves the engines in one process. Rounds alternate the engines; medians over rounds.
//   npx tsx bench/engines-alone.ts [--rounds R]
import { backendInfo } from '../lib/index';
import { runChild } from './child';
import { machineInfo } from './machine';

const at = process.argv.indexOf('--rounds');
const rounds = at >= 0 ? Number(process.argv[at + 1]) : 3;
const cases = [
  { batch: 128, momentum: false }, { batch: 128, momentum: true }, { batch: 512, momentum: false },
];
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function main(): Promise<void> {
  const m = machineInfo();
  const onednn = backendInfo().blas?.onednn;
  const rates = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      for (const blas of ['openblas', 'onednn'] as const) {
        const outcome = await runChild<{ samplesPerSecond: number; cpuSeconds?: number }>('bench/engines-alone-child.ts', [JSON.stringify({ blas, ...c })], 300);
        if (!outcome.result) throw new Error(`${blas} ${JSON.stringify(c)}: ${outcome.error}\n${outcome.stderrTail}`);
        const key = `${c.batch}/${c.momentum}/${blas}`;
        rates.set(key, [...(rates.get(key) ?? []), outcome.result.samplesPerSecond]);
      }
    }
  }
  const lines = [
    `CPU: ${m.cpuModel}, ${m.logicalCores} cores; oneDNN ${onednn ? `${onednn.version}, ISA ${onednn.isa}` : 'absent'}; OpenBLAS core ${process.env.OPENBLAS_CORETYPE ?? 'from blasprop'}`,
    '', '| 784-256-128-10, batch | optimizer | OpenBLAS samples/s | oneDNN samples/s | oneDNN ÷ OpenBLAS |', '|---|---|---:|---:|---:|',
  ];
  for (const c of cases) {
    const a = median(rates.get(`${c.batch}/${c.momentum}/openblas`)!);
    const b = median(rates.get(`${c.batch}/${c.momentum}/onednn`)!);
    lines.push(`| ${c.batch} | ${c.momentum ? 'momentum 0.9' : 'sgd'} | ${(a / 1000).toFixed(1)}k | ${(b / 1000).toFixed(1)}k | ${(b / a).toFixed(2)}× |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
