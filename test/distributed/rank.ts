// One rank of a data-parallel test job: `mpirun -np N node --import tsx rank.ts <case.json> <outdir>`.
// Trains its shard of the case and writes outdir/rank-<r>.json: weights, history, callback logs.
// Each rank builds its network from a different seed: rank 0's weights must win.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Network, distributed, type BatchLogs, type EpochLogs } from '../../lib';
import { networkState } from '../../lib/network';
import { dataset, shard, type Case } from './cases';

async function main(): Promise<void> {
  const [caseFile, outDir] = process.argv.slice(2) as [string, string];
  const c = JSON.parse(fs.readFileSync(caseFile, 'utf8')) as Case;
  const world = distributed.init();
  const again = distributed.init();
  const all = dataset(c.rows, 1);
  let x = shard(all.x, world.rank, world.size);
  let y = shard(all.labels, world.rank, world.size);
  if (c.shardRows) {
    x = x.slice(0, c.shardRows[world.rank]);
    y = y.slice(0, c.shardRows[world.rank]);
  }
  const net = new Network({ ...c.network, seed: (c.network.seed ?? 0) + 1000 * world.rank });
  const epochs = c.epochsOnRank1 !== undefined && world.rank === 1 ? { epochs: c.epochsOnRank1 } : {};
  const validation = c.validationRows ? dataset(c.validationRows, 2) : null;
  const controller = new AbortController();
  const epochLogs: EpochLogs[] = [];
  const batchLogs: BatchLogs[] = [];
  const history = await net.fit(x, y, {
    ...c.fit,
    ...epochs,
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
  });
  const weights = net.getWeights().map((l) => ({ weight: Array.from(l.weight), bias: Array.from(l.bias) }));
  const state = networkState(net);
  fs.writeFileSync(path.join(outDir, `rank-${world.rank}.json`), JSON.stringify({
    world, sameWorld: again === world, weights, history, epochLogs, batchLogs,
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
    // Every rank reports the error and leaves cleanly: they all got it, none waits for another.
    fs.writeFileSync(path.join(outDir, `rank-${distributed.init().rank}.json`), JSON.stringify({ error: { name: error.name, message: error.message } }));
    distributed.finalize();
    return;
  }
  console.error(error);
  process.exitCode = 1; // the exit hook calls MPI_Abort: the other ranks end too
});
