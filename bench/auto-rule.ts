// The measurement behind `blas: 'auto'` for float32 (lib/products.ts): OpenBLAS against oneDNN on
// networks from tiny to large, around AUTO_ONEDNN_MIN_WEIGHTS, and on the MNIST demo's network and
// optimizer. The two engines alternate fit by fit in one process, with a pause before each
// (settle() in roofline.ts); medians over the rounds after the first (warm-up).
//   npx tsx bench/auto-rule.ts [--rounds R]
import { AUTO_ONEDNN_MIN_WEIGHTS } from '../lib/products';
import { Network, backendInfo, setThreads } from '../lib/index';
import { machineInfo } from './machine';
import { settle } from './roofline';
import { summarize } from './stats';

const CASES: { sizes: number[]; batch: number; momentum: boolean }[] = [
  { sizes: [12, 24, 16, 4], batch: 32, momentum: false },
  { sizes: [64, 64, 10], batch: 64, momentum: false },
  { sizes: [128, 128, 10], batch: 64, momentum: false },
  { sizes: [784, 16, 10], batch: 64, momentum: false },
  { sizes: [256, 128, 10], batch: 64, momentum: false },
  { sizes: [256, 128, 10], batch: 256, momentum: false },
  { sizes: [784, 64, 10], batch: 32, momentum: false },
  { sizes: [784, 256, 128, 10], batch: 32, momentum: false },
  { sizes: [784, 800, 10], batch: 64, momentum: true },  // the demo's recipe
];
const ROWS = 16_384;
const ENGINES = ['openblas', 'onednn'] as const;

const at = process.argv.indexOf('--rounds');
const rounds = at >= 0 ? Number(process.argv[at + 1]) : 8;

function weights(sizes: number[]): number {
  return sizes.slice(1).reduce((sum, units, l) => sum + sizes[l]! * units, 0);
}

async function main(): Promise<void> {
  setThreads(2);
  const m = machineInfo();
  const onednn = backendInfo().blas?.onednn;
  if (!onednn) throw new Error('this build has no oneDNN: nothing to compare');
  const lines = [
    `CPU: ${m.cpuModel}, ${m.logicalCores} cores; oneDNN ${onednn.version}, ISA ${onednn.isa}; OpenBLAS core ${backendInfo().blas?.coreType}; 2 threads`,
    `${rounds - 1} rounds after a warm-up, ${ROWS} rows per fit; 'auto' runs oneDNN from ${AUTO_ONEDNN_MIN_WEIGHTS} weights`,
    '', '| network | weights | batch | optimizer | OpenBLAS samples/s | oneDNN samples/s | oneDNN ÷ OpenBLAS | auto |', '|---|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const c of CASES) {
    const inputs = c.sizes[0]!, outputs = c.sizes[c.sizes.length - 1]!;
    const X = new Float32Array(ROWS * inputs).map((_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5);
    const y = new Int32Array(ROWS).map((_, i) => i % outputs);
    const nets = ENGINES.map((blas) => new Network({
      inputs, layers: [...c.sizes.slice(1, -1).map((units) => ({ units, activation: 'relu' as const })), { units: outputs, activation: 'softmax' }],
      loss: 'cross-entropy', seed: 1, backend: 'native', blas,
    }));
    const rates: number[][] = ENGINES.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const [k, net] of nets.entries()) {
        await settle();
        const history = net.fitSync({ data: X, shape: [ROWS, inputs] }, y, {
          epochs: 1, batchSize: c.batch, learningRate: 0.01, ...(c.momentum ? { optimizer: { type: 'sgd' as const, momentum: 0.9 } } : {}),
        });
        if (r > 0) rates[k]!.push(history.epochs[0]!.samplesPerSecond);
      }
    }
    const auto = new Network({ inputs, layers: c.sizes.slice(1).map((units) => ({ units })), loss: 'cross-entropy', seed: 1, backend: 'native' }).blas;
    const [a, b] = rates.map((v) => summarize(v).median) as [number, number];
    const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
    lines.push(`| ${c.sizes.join('-')} | ${weights(c.sizes)} | ${c.batch} | ${c.momentum ? 'momentum 0.9' : 'sgd'} | ${k(a)} | ${k(b)} | ${(b / a).toFixed(2)}× | ${auto} |`);
    for (const net of nets) net.dispose();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
