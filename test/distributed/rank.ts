// One rank of a data-parallel test job: `mpirun -np N node --import tsx rank.ts <case.json> <outdir>`.
// Trains its shard of the case and writes outdir/rank-<r>.json: weights, history, callback logs.
// Each rank builds its network from a different seed: rank 0's weights must win.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Network, distributed, type Batch, type BatchLogs, type EpochLogs, type FitOptions, type History, type StreamFitOptions } from '../../lib';
import { networkState } from '../../lib/network';
import { dataset, sampleWeightOf, shard, type Case } from './cases';

/** The rank's rows as a stream of source batches of `n` rows, called once per epoch; rank 1 may plant a bad batch. */
function streamOf(c: Case, rank: number, x: number[][], y: number[], w: number[] | null, n: number): () => Iterable<Batch> {
  let epoch = -1;
  return function* () {
    epoch++;
    for (let s = 0, index = 0; s < x.length; s += n, index++) {
      const bad = rank === 1 && c.badBatchOnRank1?.epoch === epoch && c.badBatchOnRank1.index === index;
      yield { x: bad ? x.slice(s, s + n).map((row) => row.slice(1)) : x.slice(s, s + n), y: y.slice(s, s + n), ...(w ? { w: w.slice(s, s + n) } : {}) };
    }
  };
}

async function main(): Promise<void> {
  const [caseFile, outDir] = process.argv.slice(2) as [string, string];
  const c = JSON.parse(fs.readFileSync(caseFile, 'utf8')) as Case;
  const world = distributed.init();
  const again = distributed.init();
  const all = dataset(c.rows, 1);
  let x = shard(all.x, world.rank, world.size);
  let y = shard(all.labels, world.rank, world.size);
  let w = c.weights?.sample ? shard(all.x.map((_, i) => sampleWeightOf(i)), world.rank, world.size) : null;
  if (c.shardRows) {
    x = x.slice(0, c.shardRows[world.rank]);
    y = y.slice(0, c.shardRows[world.rank]);
    w = w?.slice(0, c.shardRows[world.rank]) ?? null;
  }
  const net = new Network({ ...c.network, seed: (c.network.seed ?? 0) + 1000 * world.rank });
  const epochs = c.epochsOnRank1 !== undefined && world.rank === 1 ? { epochs: c.epochsOnRank1 } : {};
  const validation = c.validationRows ? dataset(c.validationRows, 2) : null;
  const controller = new AbortController();
  const epochLogs: EpochLogs[] = [];
  const batchLogs: BatchLogs[] = [];
  const options: FitOptions = {
    ...c.fit,
    ...epochs,
    ...(c.weights?.classWeight ? { classWeight: c.weights.classWeight } : {}),
    distributed: c.overlap === undefined ? world : { world, overlap: c.overlap },
    ...(validation ? { validationData: [shard(validation.x, world.rank, world.size), shard(validation.labels, world.rank, world.size)] } : {}),
    ...(c.abortAfterBatches !== undefined ? { signal: controller.signal } : {}),
    callbacks: {
      onEpochEnd: (_epoch, logs) => epochLogs.push(logs),
      onBatchEnd: (batch, logs) => {
        batchLogs.push(logs);
        if (world.rank === 1 && batch + 1 === c.abortAfterBatches) controller.abort();
      },
    },
  };
  let history: History | null = null;
  let error: { name: string; message: string } | undefined;
  try {
    if (c.stream) {
      const { shuffle: _shuffle, batchSize, ...rest } = options;
      const streamOptions: StreamFitOptions = { ...rest, ...(c.stream.rebatch === false ? {} : { batchSize }) };
      history = await net.fit(streamOf(c, world.rank, x, y, w, c.stream.sourceRows), streamOptions);
    } else {
      history = await net.fit(x, y, { ...options, ...(w ? { sampleWeight: w } : {}) });
    }
  } catch (e) {
    if (!c.expectError || !(e instanceof Error)) throw e;
    error = { name: e.name, message: e.message };
  }
  const weights = net.getWeights().map((l) => ({ weight: Array.from(l.weight), bias: Array.from(l.bias) }));
  const state = networkState(net);
  fs.writeFileSync(path.join(outDir, `rank-${world.rank}.json`), JSON.stringify({
    world, sameWorld: again === world, weights, history, epochLogs, batchLogs, error,
    dropoutRng: Array.from(state.dropoutRng), optimizerStep: state.optimizerStep,
    addresses: Object.values(os.networkInterfaces()).flat().map((i) => i?.address),
  }));
  // Without an explicit finalize, MPI is finalized at exit.
  if (!c.finalizeAtExit) distributed.finalize();
}

main().catch((error: unknown) => {
  const [caseFile, outDir] = process.argv.slice(2) as [string, string];
  const c = JSON.parse(fs.readFileSync(caseFile, 'utf8')) as Case;
  if (c.expectError && error instanceof Error) {
    // A fit that could not start: every rank reports the error and leaves cleanly (none waits for another).
    fs.writeFileSync(path.join(outDir, `rank-${distributed.init().rank}.json`), JSON.stringify({ error: { name: error.name, message: error.message } }));
    distributed.finalize();
    return;
  }
  console.error(error);
  process.exitCode = 1; // the exit hook calls MPI_Abort: the other ranks end too
});
