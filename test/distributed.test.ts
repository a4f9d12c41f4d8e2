// Data-parallel training on MPI, with the real mpirun: 2 and 4 ranks (oversubscribed on this
// machine's 2 cores) against one process training the matching larger batch, identical weights on
// every rank, unequal shards, Adam with clipping, early stopping on allreduced validation metrics,
// an abort on one rank, a rank killed with SIGKILL. The rank script is test/distributed/rank.ts.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Network, distributed, type History } from '../lib';
import { dataset, network, sampleWeightOf, type Case } from './distributed/cases';
import { twoHosts, type TwoHosts } from './distributed/netns';

const ROOT = path.resolve(__dirname, '..');
const RANK = path.join(__dirname, 'distributed', 'rank.ts');
const ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1', OPENBLAS_NUM_THREADS: '1' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

interface RankResult {
  world: { rank: number; size: number; threadLevel: string };
  sameWorld: boolean;
  weights: { weight: number[]; bias: number[] }[];
  history: History;
  epochLogs: { loss: number; rank?: number; valLoss?: number }[];
  batchLogs: { loss: number; size: number; rank?: number }[];
  dropoutRng: number[];
  optimizerStep: number;
  addresses: string[];
  error?: { name: string; message: string };
}

function caseDir(c: Case): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-mpi-'));
  dirs.push(dir);
  const file = path.join(dir, 'case.json');
  fs.writeFileSync(file, JSON.stringify(c));
  return { dir, file };
}

/** Runs the case on `ranks` processes under mpirun; returns every rank's result. */
/**
 * A child process to its end, without blocking this worker's event loop (a long spawnSync starves
 * vitest's own messages); killed after `timeout` ms.
 */
function exec(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function mpirun(c: Case, ranks: number): Promise<RankResult[]> {
  return run('mpirun', c, ['-np', String(ranks)], ranks);
}

async function run(command: string, c: Case, args: string[], ranks: number): Promise<RankResult[]> {
  const { dir, file } = caseDir(c);
  const r = await exec(command, [...args, process.execPath, '--import', 'tsx', RANK, file, dir], { cwd: ROOT, env: ENV });
  if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr}\n${r.stdout}`);
  return Array.from({ length: ranks }, (_, rank) => JSON.parse(fs.readFileSync(path.join(dir, `rank-${rank}.json`), 'utf8')) as RankResult);
}

/** The case in one process: all rows in order, batch ranks × b (rank r's shard row j is global row j·N + r). */
async function single(c: Case, ranks: number): Promise<{ weights: number[][]; history: History }> {
  const all = dataset(c.rows, 1);
  const net = new Network(c.network);
  const validation = c.validationRows ? dataset(c.validationRows, 2) : null;
  const history = await net.fit(all.x, all.labels, {
    ...c.fit, batchSize: ranks * c.fit.batchSize!, ...(validation ? { validationData: [validation.x, validation.labels] } : {}),
    ...(c.weights?.sample ? { sampleWeight: all.x.map((_, i) => sampleWeightOf(i)) } : {}),
    ...(c.weights?.classWeight ? { classWeight: c.weights.classWeight } : {}),
  });
  return { weights: net.getWeights().flatMap((l) => [Array.from(l.weight), Array.from(l.bias)]), history };
}

const flat = (r: RankResult): number[][] => r.weights.flatMap((l) => [l.weight, l.bias]);
function maxDiff(a: number[][], b: number[][]): number {
  let d = 0;
  a.forEach((row, i) => row.forEach((v, k) => (d = Math.max(d, Math.abs(v - b[i]![k]!)))));
  return d;
}
/** Every rank's weights within 1e-10 of the single process's, and its epoch and validation losses equal. */
function expectSingleProcess(results: RankResult[], reference: { weights: number[][]; history: History }): void {
  for (const r of results) {
    expect(maxDiff(flat(r), reference.weights)).toBeLessThan(1e-10);
    r.history.loss.forEach((loss, e) => expect(loss).toBeCloseTo(reference.history.loss[e]!, 12));
    r.history.epochs.forEach((e, k) => expect(e.valLoss).toBeCloseTo(reference.history.epochs[k]!.valLoss!, 12));
  }
}
function expectSameOnEveryRank(results: RankResult[]): void {
  for (const r of results.slice(1)) expect(flat(r)).toEqual(flat(results[0]!));
}

/** Pids of the children of `parent` whose command line mentions `script`, from /proc. */
function childrenRunning(parent: number, script: string): number[] {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const ppid = /^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return Number(ppid) === parent && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
    } catch {
      return false;
    }
  });
}

const momentum: Case = {
  rows: 96, network: network(7), fit: { epochs: 3, batchSize: 8, shuffle: false, learningRate: 0.1, optimizer: { type: 'sgd', momentum: 0.9 } },
};

describe('distributed fit under mpirun', () => {
  for (const ranks of [2, 4]) {
    for (const overlap of [true, false]) {
      it(`${ranks} ranks, batch b, equal the single process with batch ${ranks}·b (float64, momentum, 3 epochs, overlap ${overlap})`, async () => {
        const c = { ...momentum, overlap };
        const results = await mpirun(c, ranks);
        const reference = await single(c, ranks);
        for (const r of results) {
          expect(r.world).toMatchObject({ size: ranks, threadLevel: expect.stringMatching(/serialized|multiple/) });
          expect(r.sameWorld).toBe(true);
          expect(maxDiff(flat(r), reference.weights)).toBeLessThan(1e-10);
          // Epoch loss and accuracy are of all ranks together: the single process's numbers.
          r.history.loss.forEach((loss, e) => expect(loss).toBeCloseTo(reference.history.loss[e]!, 12));
          expect(r.epochLogs.every((logs) => logs.rank === r.world.rank)).toBe(true);
          expect(r.batchLogs.every((logs) => logs.rank === r.world.rank && logs.size === 8)).toBe(true);
          expect(r.optimizerStep).toBe(3 * 96 / (8 * ranks));
        }
        expectSameOnEveryRank(results);
        // The ranks built their networks from different seeds, so the equality says rank 0's weights were broadcast.
        expect(new Set(results.map((r) => r.world.rank)).size).toBe(ranks);
      });
    }
  }

  it('Adam with weight decay, global-norm clipping of the averaged gradient and max-norm equals the single process', async () => {
    const c: Case = {
      rows: 120, network: network(11), overlap: true,
      fit: { epochs: 3, batchSize: 10, shuffle: false, learningRate: 0.01, optimizer: { type: 'adam' }, weightDecay: 1e-3, clipNorm: 0.5, maxNorm: 2 },
    };
    const results = await mpirun(c, 4);
    const reference = await single(c, 4);
    for (const r of results) expect(maxDiff(flat(r), reference.weights)).toBeLessThan(1e-10);
    expectSameOnEveryRank(results);
  });

  // 99 rows on 2 ranks: 50 and 49, so each epoch's last step has 2 rows on rank 0 and 1 on rank 1, as
  // the single process's last batch of 3. Each step's gradient must be the mean over the rows of both
  // ranks' batches (weighted: Σ w_i ∂L_i / Σ w_i over both), not the mean of the two ranks' means.
  const ragged: Case = {
    rows: 99, network: network(13), validationRows: 30,
    fit: { epochs: 3, batchSize: 8, shuffle: false, learningRate: 0.1, optimizer: { type: 'sgd', momentum: 0.9 } },
  };
  const classWeight = { 0: 3, 2: 0.5 };
  for (const [label, weights] of [['unweighted', undefined], ['sampleWeight', { sample: true }], ['classWeight', { classWeight }], ['sampleWeight × classWeight', { sample: true, classWeight }]] as const) {
    it(`${label}, batches of unequal size across ranks: 2 ranks equal the single process with the weighted mean over both ranks' rows`, async () => {
      const c: Case = { ...ragged, ...(weights ? { weights } : {}) };
      const results = await mpirun(c, 2);
      const reference = await single(c, 2);
      expectSingleProcess(results, reference);
      expect(results[0]!.batchLogs.slice(0, 7).map((b) => b.size)).toEqual([8, 8, 8, 8, 8, 8, 2]);
      expect(results[1]!.batchLogs.slice(0, 7).map((b) => b.size)).toEqual([8, 8, 8, 8, 8, 8, 1]);
    });
  }

  it('a streamed fit: each rank streams its shard (source batches of 5 rows, re-batched to 8), weighted, equal to the single process on the matrix', async () => {
    const c: Case = { ...ragged, weights: { sample: true, classWeight }, stream: { sourceRows: 5 } };
    const results = await mpirun(c, 2);
    const reference = await single(c, 2);
    expectSingleProcess(results, reference);
    for (const r of results) expect(r.optimizerStep).toBe(3 * 7);
    expectSameOnEveryRank(results);
  });

  it('a streamed fit without batchSize: each source batch is one step, equal to the single process', async () => {
    const c: Case = { ...ragged, stream: { sourceRows: 8, rebatch: false } };
    const results = await mpirun(c, 2);
    const reference = await single(c, 2);
    for (const r of results) expect(maxDiff(flat(r), reference.weights)).toBeLessThan(1e-10);
    expect(results[1]!.batchLogs.map((b) => b.size)).toEqual([8, 8, 8, 8, 8, 8, 1, 8, 8, 8, 8, 8, 8, 1, 8, 8, 8, 8, 8, 8, 1]);
  });

  it('streams of unequal length: every epoch ends with the shortest stream, the ranks stay identical, shuffled per rank, with dropout', async () => {
    const c: Case = {
      rows: 300, shardRows: [150, 37], stream: { sourceRows: 7 }, network: network(3, { layers: [{ units: 16, activation: 'relu', dropout: 0.2 }, { units: 3, activation: 'softmax' }] }),
      fit: { epochs: 3, batchSize: 8, learningRate: 0.05, shuffleBuffer: 20 } as Case['fit'],
    };
    const results = await mpirun(c, 2);
    const steps = Math.ceil(37 / 8);
    for (const r of results) {
      expect(r.batchLogs.length).toBe(3 * steps);
      expect(r.optimizerStep).toBe(3 * steps);
    }
    expect(results[1]!.batchLogs.map((b) => b.size)).toEqual([8, 8, 8, 8, 5, 8, 8, 8, 8, 5, 8, 8, 8, 8, 5]);
    expect(results[0]!.batchLogs.every((b) => b.size === 8)).toBe(true);
    expectSameOnEveryRank(results);
    expect(results[0]!.history.loss).toEqual(results[1]!.history.loss);
    expect(results[0]!.dropoutRng).not.toEqual(results[1]!.dropoutRng);
  });

  it("a bad batch in one rank's stream ends the fit on every rank at the same step, with the weights of that step", async () => {
    const c: Case = { ...ragged, stream: { sourceRows: 5 }, badBatchOnRank1: { epoch: 1, index: 4 }, expectError: true };
    const results = await mpirun(c, 2);
    expect(results[1]!.error).toEqual({ name: 'ShapeError', message: expect.stringMatching(/^batch\[4\]\.x/) });
    expect(results[0]!.error).toEqual({ name: 'BlaspropError', message: expect.stringMatching(/the stream of rank 1 failed in epoch 1/) });
    expectSameOnEveryRank(results);
    // Epoch 0 (7 steps) and the whole steps of epoch 1 before the bad batch's chunk.
    for (const r of results) {
      expect(r.optimizerStep).toBeGreaterThanOrEqual(7);
      expect(r.optimizerStep).toBeLessThan(7 + 3);
      expect(r.optimizerStep).toBe(results[0]!.optimizerStep);
    }
  });

  it('unequal shards: steps per epoch are the fewest of any rank, the ranks stay identical, shuffled per rank, with dropout', async () => {
    const c: Case = {
      rows: 200, shardRows: [50, 23], finalizeAtExit: true, network: network(3, { layers: [{ units: 16, activation: 'relu', dropout: 0.2 }, { units: 3, activation: 'softmax' }] }),
      fit: { epochs: 2, batchSize: 8, learningRate: 0.05 },
    };
    const results = await mpirun(c, 2);
    const steps = Math.ceil(23 / 8);
    for (const r of results) {
      expect(r.batchLogs.length).toBe(2 * steps);
      expect(r.optimizerStep).toBe(2 * steps);
      expect(r.history.epochs.length).toBe(2);
    }
    // Rank 1 trains its 23 rows (last batch 7); rank 0 trains 3 full batches of its 50.
    expect(results[1]!.batchLogs.map((b) => b.size)).toEqual([8, 8, 7, 8, 8, 7]);
    expect(results[0]!.batchLogs.map((b) => b.size)).toEqual([8, 8, 8, 8, 8, 8]);
    expectSameOnEveryRank(results);
    expect(results[0]!.history.loss).toEqual(results[1]!.history.loss);
    // Dropout masks differ per rank: their generators do.
    expect(results[0]!.dropoutRng).not.toEqual(results[1]!.dropoutRng);
  });

  it('early stopping is decided on the allreduced validation loss: every rank stops at the epoch the single process stops at', async () => {
    const c: Case = {
      rows: 64, validationRows: 40, network: network(5),
      fit: { epochs: 40, batchSize: 4, shuffle: false, learningRate: 0.5, optimizer: { type: 'sgd', momentum: 0.9 }, earlyStopping: { patience: 2 } },
    };
    const results = await mpirun(c, 2);
    const reference = await single(c, 2);
    expect(reference.history.stopReason).toBe('early-stopping');
    for (const r of results) {
      expect(r.history.stopReason).toBe('early-stopping');
      expect(r.history.bestEpoch).toBe(reference.history.bestEpoch);
      expect(r.history.epochs.length).toBe(reference.history.epochs.length);
      r.history.epochs.forEach((e, k) => expect(e.valLoss!).toBeCloseTo(reference.history.epochs[k]!.valLoss!, 10));
      expect(maxDiff(flat(r), reference.weights)).toBeLessThan(1e-10);
    }
  });

  it('ranks that disagree on the fit all throw a ConfigError instead of waiting for each other', async () => {
    const results = await mpirun({ ...momentum, epochsOnRank1: 4, expectError: true }, 2);
    for (const r of results) expect(r.error).toEqual({ name: 'ConfigError', message: expect.stringMatching(/ranks disagree on the epochs: 3 to 4/) });
  });

  it("one rank's abort signal stops every rank at the same step", async () => {
    const c: Case = { rows: 400, abortAfterBatches: 5, network: network(9), fit: { epochs: 5, batchSize: 4, learningRate: 0.05 } };
    const results = await mpirun(c, 2);
    for (const r of results) {
      expect(r.history.stopReason).toBe('aborted');
      expect(r.optimizerStep).toBeGreaterThanOrEqual(5);
      expect(r.optimizerStep).toBeLessThan(5 * 50);
      expect(r.optimizerStep).toBe(results[0]!.optimizerStep);
    }
    expectSameOnEveryRank(results);
  });

  it('a rank killed with SIGKILL mid-training ends the whole job, non-zero, within 30 s', async () => {
    const c: Case = { rows: 4000, network: network(2, { layers: [{ units: 256, activation: 'relu' }, { units: 3, activation: 'softmax' }] }), fit: { epochs: 1000, batchSize: 2, learningRate: 0.01 } };
    const { dir, file } = caseDir(c);
    const job = spawn('mpirun', ['-np', '2', process.execPath, '--import', 'tsx', RANK, file, dir], { cwd: ROOT, env: ENV, stdio: 'ignore' });
    const ended = new Promise<number | null>((resolve) => job.on('exit', (code) => resolve(code)));
    // The ranks are node processes running rank.ts under this mpirun; wait until both train.
    let pids: number[] = [];
    for (let k = 0; k < 200 && pids.length < 2; k++) {
      await new Promise((r) => setTimeout(r, 100));
      pids = childrenRunning(job.pid!, 'rank.ts');
    }
    expect(pids.length).toBe(2);
    await new Promise((r) => setTimeout(r, 3000));
    const killed = Date.now();
    process.kill(pids[1]!, 'SIGKILL');
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000));
    const code = await Promise.race([ended, timeout]);
    if (code === 'hung') job.kill('SIGKILL');
    expect(code).not.toBe('hung');
    expect(code).not.toBe(0);
    expect(Date.now() - killed).toBeLessThan(30_000);
    // No rank is left running (a killed child may linger as a zombie until it is reaped).
    await new Promise((r) => setTimeout(r, 500));
    const running = (pid: number): boolean => {
      try {
        return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    expect(pids.filter(running)).toEqual([]);
  });
});

describe('a distributed fit that cannot start', () => {
  it('throws ConfigError naming the problem and leaves the network unchanged', async () => {
    const r = await exec('mpirun', ['-np', '1', process.execPath, '--import', 'tsx', path.join(__dirname, 'distributed', 'bad-input.ts')], { cwd: ROOT, env: ENV });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { name: string; message: string; unchanged?: boolean }>;
    const expected: Record<string, RegExp> = {
      notAWorld: /distributed must be the world distributed\.init\(\) returned/,
      badOverlap: /distributed\.overlap must be a boolean/,
      unknownKey: /buckets/,
      jsBackend: /needs the native backend/,
      jsBackendStream: /needs the native backend/,
      zeroWeights: /gives every row of every rank the weight 0/,
      afterFinalize: /MPI was finalized/,
    };
    for (const [key, pattern] of Object.entries(expected)) {
      expect(out[key]!.name, key).toBe('ConfigError');
      expect(out[key]!.message, key).toMatch(pattern);
      expect(out[key]!.unchanged, key).toBe(true);
    }
  });
});

describe('shardRows', () => {
  it('gives rank r of N the rows i ≡ r (mod N), in order, for matrices and label vectors', () => {
    const world = { rank: 1, size: 3, processorName: '', threadLevel: '', library: '' };
    const x = { data: Float64Array.from({ length: 8 * 2 }, (_, k) => k), shape: [8, 2] as [number, number] };
    expect(distributed.shardRows(x, world)).toEqual({ data: Float64Array.of(2, 3, 8, 9, 14, 15), shape: [3, 2] });
    expect(distributed.shardRows(Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7), world)).toEqual(Int32Array.of(1, 4, 7));
    expect(distributed.shardRows(Int32Array.of(5), world)).toEqual(new Int32Array(0));
  });
});

describe('blasprop train --distributed under mpirun', () => {
  it('shards the rows by rank, trains, and rank 0 alone prints and writes the model', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-mpi-cli-'));
    dirs.push(dir);
    const all = dataset(600, 4);
    const names = ['a', 'b', 'c'];
    fs.writeFileSync(path.join(dir, 'train.csv'), ['f1,f2,f3,f4,f5,label', ...all.x.map((row, i) => `${row.join(',')},${names[all.labels[i]!]}`)].join('\n'));
    const model = path.join(dir, 'model.blasprop');
    const r = await exec('mpirun', ['-np', '2', process.execPath, '--import', 'tsx', path.join(ROOT, 'lib/cli/main.ts'), 'train', '--distributed', '--json',
      '--data', path.join(dir, 'train.csv'), '--layers', '16', '--epochs', '30', '--batch-size', '8', '--lr', '0.05', '--seed', '3', '--validation-split', '0.2', '--out', model],
    { cwd: ROOT, env: ENV });
    expect(r.status, r.stderr).toBe(0);
    const done = r.stdout.split('\n').filter((line) => line.includes('"event":"done"'));
    expect(done.length).toBe(1);
    expect(JSON.parse(done[0]!)).toMatchObject({ epochs: 30, seed: 3, model });
    expect(fs.readdirSync(dir).sort()).toEqual(['model.blasprop', 'model.blasprop.preprocess.json', 'train.csv']);
    const net = Network.loadSync(model);
    expect(JSON.parse(done[0]!).valAccuracy).toBeGreaterThan(0.9);
    expect(net.architecture.layers.map((l) => l.units)).toEqual([16, 3]);
  });
});

describe('without the MPI module', () => {
  it('distributed.init() throws a BackendError naming the package to install and the rebuild command', async () => {
    // A copy of lib/ in a package root that has no build/: the MPI module is missing there.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-nompi-'));
    dirs.push(dir);
    fs.cpSync(path.join(ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'blasprop' }));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'init.ts'), [
      "import { distributed, BackendError } from './lib';",
      'try { distributed.init(); console.log("no error"); } catch (e) { console.log(JSON.stringify({ backend: e instanceof BackendError, message: (e as Error).message })); }',
    ].join('\n'));
    const r = await exec(process.execPath, ['--import', 'tsx', 'init.ts'], { cwd: dir });
    const out = JSON.parse(r.stdout) as { backend: boolean; message: string };
    expect(out.backend).toBe(true);
    expect(out.message).toMatch(/blasprop_mpi\.node/);
    expect(out.message).toMatch(/apt-get install openmpi-bin libopenmpi-dev/);
    expect(out.message).toMatch(/npm run build:native/);
  });
});

describe('distributed fit across two network namespaces (test/distributed/netns.ts), over TCP', () => {
  let hosts: TwoHosts | null = null;
  afterAll(() => hosts?.remove());

  it('2 ranks on two hosts equal the single process at batch 2·b, and rank 1 ran in the second namespace', async () => {
    const { dir } = caseDir(momentum);
    hosts = twoHosts(dir);
    const [command, ...args] = hosts.mpirun(2);
    const results = await run(command!, momentum, args, 2);
    const reference = await single(momentum, 2);
    expect(results[0]!.addresses).toContain(hosts.hosts[0]!.ip);
    expect(results[1]!.addresses).toContain(hosts.hosts[1]!.ip);
    expect(results[1]!.addresses).not.toContain(hosts.hosts[0]!.ip);
    for (const r of results) expect(maxDiff(flat(r), reference.weights)).toBeLessThan(1e-10);
    expectSameOnEveryRank(results);
  });
});
