// One rank of bench/distributed.ts, under mpirun: `node --import tsx bench/distributed-rank.ts <json>`.
//   { mode: 'allreduce', counts: number[], reps }: the median time of an MPI allreduce (sum) of
//     `count` float64 values, per count; the slowest rank's median.
//   { mode: 'train', sizes, batchSize, steps, epochs, overlap, distributed }: float32 training of
//     random rows, `steps` per epoch; the median epoch's samples/s (all ranks) and the share of the
//     epoch the training thread spent in the gradient reducer (starting and waiting for averages).
// Rank 0 prints one JSON line.
import { Network, distributed } from '../lib';
import { mpiBinding } from '../lib/distributed/binding';
import { summarize } from './stats';

interface AllreduceJob { mode: 'allreduce'; counts: number[]; reps: number }
interface TrainJob { mode: 'train'; sizes: number[]; batchSize: number; steps: number; epochs: number; overlap: boolean; distributed: boolean }

function allreduceTimes(job: AllreduceJob, rank: number): void {
  const mpi = mpiBinding();
  const out: { bytes: number; seconds: number }[] = [];
  for (const count of job.counts) {
    const values = new Float64Array(count).fill(1);
    const times: number[] = [];
    for (let k = 0; k < job.reps + 3; k++) {
      const started = performance.now();
      mpi.allreduce(values, 'sum');
      if (k >= 3) times.push((performance.now() - started) / 1000);
    }
    const slowest = Float64Array.of(summarize(times).median);
    mpi.allreduce(slowest, 'max');
    out.push({ bytes: count * 8, seconds: slowest[0]! });
  }
  if (rank === 0) console.log(JSON.stringify({ allreduce: out }));
}

async function train(job: TrainJob, rank: number, size: number): Promise<void> {
  const world = job.distributed ? distributed.init() : null;
  const [inputs, ...units] = job.sizes as [number, ...number[]];
  const rows = job.batchSize * job.steps;
  const x = new Float32Array(rows * inputs);
  let s = 12345 + rank;
  for (let i = 0; i < x.length; i++) x[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const classes = units[units.length - 1]!;
  const labels = Int32Array.from({ length: rows }, (_, i) => i % classes);
  const net = new Network({
    inputs, dtype: 'float32', backend: 'native', seed: 1, loss: 'cross-entropy',
    layers: units.map((u, l) => ({ units: u, activation: l === units.length - 1 ? 'softmax' as const : 'relu' as const })),
  });
  const perEpoch: { seconds: number; reducer: number }[] = [];
  const mpi = world ? mpiBinding() : null;
  mpi?.reducerTimes();
  const history = await net.fit({ data: x, shape: [rows, inputs] }, labels, {
    epochs: job.epochs, batchSize: job.batchSize, learningRate: 0.01, optimizer: { type: 'sgd', momentum: 0.9 },
    ...(world ? { distributed: { world, overlap: job.overlap } } : {}),
    callbacks: {
      onEpochEnd: () => {
        const t = mpi?.reducerTimes();
        perEpoch.push({ seconds: 0, reducer: t ? t.startSeconds + t.finishSeconds : 0 });
      },
    },
  });
  history.epochs.forEach((e, k) => (perEpoch[k]!.seconds = e.seconds));
  const measured = perEpoch.slice(1); // the first epoch warms up
  const samples = summarize(measured.map((e) => (size * rows) / e.seconds)).median;
  const share = summarize(measured.map((e) => e.reducer / e.seconds)).median;
  const stepSeconds = summarize(measured.map((e) => e.seconds / job.steps)).median;
  if (rank === 0) console.log(JSON.stringify({ samplesPerSecond: samples, reducerShare: share, stepSeconds }));
  distributed.finalize();
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as AllreduceJob | TrainJob;
  if (job.mode === 'allreduce') {
    const world = distributed.init();
    allreduceTimes(job, world.rank);
    distributed.finalize();
    return;
  }
  const rank = Number(process.env.OMPI_COMM_WORLD_RANK ?? 0);
  const size = Number(process.env.OMPI_COMM_WORLD_SIZE ?? 1);
  await train(job, rank, size);
}

void main();
