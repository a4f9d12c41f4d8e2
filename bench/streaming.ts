// Streaming against the matrix fit (issue: streaming from an in-memory generator runs at ≥ 0.8× the
// throughput of fit on the same matrix). Both fit 784-256-128-10 float32 with SGD, batch 128, on the
// same 20,000 rows; the stream hands the rows out as an async generator of 500-row batches that
// batchSize re-batches (so every row is copied once more than in the matrix fit). Runs interleaved,
// medians of the samples per second. `npm run bench:streaming`.
import { Network, backendInfo, type Batch } from '../lib';
import { machineInfo } from './machine';
import { summarize } from './stats';

const ROWS = 20_000, INPUTS = 784, ROUNDS = 7, SOURCE_BATCH = 500;
const x = new Float32Array(ROWS * INPUTS);
for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
const y = Int32Array.from({ length: ROWS }, (_, i) => i % 10);
const options = { inputs: INPUTS, layers: [{ units: 256 }, { units: 128 }, { units: 10 }], loss: 'cross-entropy' as const, seed: 1, backend: 'native' as const };
const fitOptions = { epochs: 1, batchSize: 128, learningRate: 0.01 };

async function* batches(): AsyncGenerator<Batch> {
  for (let start = 0; start < ROWS; start += SOURCE_BATCH) {
    const end = Math.min(ROWS, start + SOURCE_BATCH);
    yield { x: { data: x.subarray(start * INPUTS, end * INPUTS), shape: [end - start, INPUTS] }, y: y.subarray(start, end) };
  }
}

async function main(): Promise<void> {
  const m = machineInfo();
  const blas = backendInfo().blas;
  console.log(`CPU ${m.cpuModel}, ${m.physicalCores} cores; BLAS ${blas?.vendor} ${blas?.coreType} kernels, ${blas?.threads} threads`);
  const matrix: number[] = [], stream: number[] = [];
  const net = new Network(options);
  await net.fit({ data: x, shape: [ROWS, INPUTS] }, y, fitOptions); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const a = await new Network(options).fit({ data: x, shape: [ROWS, INPUTS] }, y, { ...fitOptions, shuffle: false });
    matrix.push(a.epochs[0]!.samplesPerSecond);
    const b = await new Network(options).fit(batches, fitOptions);
    stream.push(b.epochs[0]!.samplesPerSecond);
  }
  const mm = summarize(matrix).median, sm = summarize(stream).median;
  console.log('| fit | samples/s (median of 7, interleaved) |\n|---|---:|');
  console.log(`| matrix, shuffle: false | ${Math.round(mm)} |\n| stream of ${SOURCE_BATCH}-row batches, re-batched to 128 | ${Math.round(sm)} |`);
  console.log(`stream / matrix = ${(sm / mm).toFixed(2)}`);
}

void main();
