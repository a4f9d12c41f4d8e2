// Training from a stream of batches: `net.fit(source, options)`, where source() returns an
// iterable or async iterable of { x, y } batches and is called once per epoch. One generator
// drives both entry points, as for matrices. While the backend trains one chunk of steps on its
// worker thread, the asynchronous runner pulls and converts the next source batches into the
// other chunk buffer (stream-batcher.ts), so loading overlaps training.
import { layerSizes } from './architecture';
import type { LossStats, TrainCall } from './engine';
import type { DataParallel } from './distributed/data-parallel';
import { BlaspropError, ConfigError, DTypeError } from './errors';
import { chunkRunMs, nextChunkSteps, startDataParallel, trainChunkAsync, trainChunkSync } from './fit';
import { resolveFitOptions, type FitOptions } from './fit-options';
import { FitRun } from './fit-run';
import type { FitTarget, FlatData, History } from './fit-types';
import type { MatrixInput, TargetInput } from './input';
import { rowWeights, stepWeightSums } from './row-weights';
import { checkWorkspace } from './limits';
import { checkInteger, describe } from './options';
import { StreamBatcher, type Chunk } from './stream-batcher';

/** One batch of a stream: rows of features and their targets, in any form `fit` takes. */
export interface Batch {
  x: MatrixInput;
  y: TargetInput;
  /** Optional: one weight ≥ 0 per row, the batch's `sampleWeight` (give it on every batch or on none). */
  w?: ArrayLike<number>;
}

/** What `fit(source, …)` takes: called once per epoch, it returns the epoch's batches. */
export type BatchSource = () => Iterable<Batch> | AsyncIterable<Batch>;
/** What `fitSync(source, …)` takes: the epoch's batches as a synchronous iterable. */
export type SyncBatchSource = () => Iterable<Batch>;

/**
 * Options of a streamed fit: those of a matrix fit, less validationSplit, shuffle and sampleWeight
 * (a batch's `w`), plus shuffleBuffer. With `distributed`, each rank streams its own part of the data
 * (see the README's "Training on several machines").
 */
export interface StreamFitOptions extends Omit<FitOptions, 'validationSplit' | 'shuffle' | 'batchSize' | 'sampleWeight'> {
  /** Re-batch the stream into steps of this many rows (rows carry over between source batches). Default: each source batch is one step. */
  batchSize?: number;
  /** Shuffle rows through a seeded buffer of this many rows, as tf.data's shuffle(n); needs batchSize. Default 0: the stream's order. */
  shuffleBuffer?: number;
}

/** Most steps in one chunk: the size of the per-step loss buffers, allocated once per fit. */
const MAX_CHUNK_STEPS = 4096;

/** A request of the stream loop to its runner. */
type StreamRequest =
  | { kind: 'open'; epoch: number }
  | { kind: 'pull' }
  | { kind: 'settle' }
  | { kind: 'train'; call: TrainCall; done: (stats: LossStats) => void }
  | { kind: 'validate'; data: FlatData };
type StreamReply = IteratorResult<unknown> | LossStats | undefined;

function resolveStreamOptions(options: StreamFitOptions) {
  if (typeof options !== 'object' || options === null) throw new ConfigError(`fit options must be an object, got ${describe(options)}`);
  const o = options as StreamFitOptions & { validationSplit?: unknown; shuffle?: unknown };
  if (o.validationSplit !== undefined) throw new ConfigError('validationSplit does not apply to a streamed fit (the stream has no end to hold rows out from); give validationData');
  if (o.shuffle !== undefined) throw new ConfigError('shuffle does not apply to a streamed fit; give shuffleBuffer: n to shuffle within a buffer of n rows');
  if ((o as FitOptions).sampleWeight !== undefined) throw new ConfigError('sampleWeight does not apply to a streamed fit; give each batch its weights as a field w');
  const { batchSize, shuffleBuffer, ...rest } = o;
  const common = resolveFitOptions(rest as FitOptions);
  const rows = batchSize === undefined ? null : checkInteger(batchSize, 'batchSize', 1);
  const buffer = shuffleBuffer === undefined ? 0 : checkInteger(shuffleBuffer, 'shuffleBuffer', 1);
  if (buffer > 0 && rows === null) throw new ConfigError('shuffleBuffer needs batchSize: shuffled rows are re-batched into steps of batchSize');
  return { common, batchSize: rows, shuffleBuffer: buffer };
}

function checkSource(source: unknown): void {
  if (typeof source !== 'function') throw new ConfigError(`fit(source, options): source must be a function returning an iterable of batches, got ${describe(source)}`);
}

/** The stream loop as a generator of requests; the runners below answer them. */
function* streamLoop(target: FitTarget, options: StreamFitOptions): Generator<StreamRequest, History, StreamReply> {
  // Every check runs before the network changes.
  const { common, batchSize, shuffleBuffer } = resolveStreamOptions(options);
  const validation = common.validationData ? target.prepareData(common.validationData[0], common.validationData[1], 'validationData.') : null;
  const sizes = layerSizes(target.architecture);
  if (batchSize !== null) checkWorkspace(sizes, batchSize, 'fit: batchSize');
  const { ranks } = startDataParallel(target, common, validation !== null);
  const run = new FitRun(target, common, validation !== null, ranks);

  // From here on the network changes.
  target.prepareOptimizer(common.optimizer.stateKey);
  let shuffler = target.shuffler;
  if (ranks) target.shareTrainingState((state) => (shuffler = ranks.shareState(state)));
  const bytesPerValue = target.architecture.dtype === 'float64' ? 8 : 4;
  const batcher = new StreamBatcher({ inputs: target.inputs, outputs: target.outputs, bytesPerValue, batchSize, shuffleBuffer, rng: shuffler });
  const stepLosses = [new Float64Array(MAX_CHUNK_STEPS), new Float64Array(MAX_CHUNK_STEPS)];
  const stepWeights = [new Float64Array(MAX_CHUNK_STEPS), new Float64Array(MAX_CHUNK_STEPS)];
  const denominators = ranks ? [new Float64Array(MAX_CHUNK_STEPS), new Float64Array(MAX_CHUNK_STEPS)] : null;
  const { classWeight } = common.weights;
  const weightTarget = { loss: target.architecture.loss, outputs: target.outputs, dtype: target.architecture.dtype };
  let which = 0;
  let chunkSteps = 1;

  /** The index-th source batch of the epoch into the batcher; throws for a bad batch. */
  function addBatch(batch: unknown, index: number, epoch: number): void {
    if (typeof batch !== 'object' || batch === null || !('x' in batch) || !('y' in batch)) {
      throw new DTypeError(`batch[${index}] of epoch ${epoch} must be an object { x, y }, got ${describe(batch)}`);
    }
    const { x, y, w } = batch as Batch;
    const data = target.prepareData(x, y, `batch[${index}].`);
    data.weights = rowWeights({ sampleWeight: w, classWeight }, weightTarget, data.targets, data.rows, `batch[${index}].`, 'w');
    batcher.add(data);
  }

  /** Hands a chunk to the backend; distributed, with the steps' denominators (`which` buffer, filled by the caller). */
  function* train(chunk: Chunk): Generator<StreamRequest, void, StreamReply> {
    if (batchSize === null) checkWorkspace(sizes, chunk.batchSize, 'fit: a source batch'); // before the chunk changes the network
    yield { kind: 'settle' }; // the chunk before has finished: its steps count for the rate
    const losses = stepLosses[which]!;
    const weights = chunk.data.weights ? stepWeights[which]! : null;
    const started = performance.now();
    const call: TrainCall = {
      X: chunk.data.X, rows: chunk.count, ...chunk.data.targets, weights: chunk.data.weights, order: identityOrder(chunk.count), count: chunk.count, batchSize: chunk.batchSize,
      firstStep: 0, optimizer: { ...common.optimizer.call, learningRate: run.currentRate() }, stepLosses: losses, stepWeights: weights, diagnostics: run.diagnostics,
      ...(ranks ? { ...ranks.trainExtras, stepDenominators: denominators![which]! } : {}),
    };
    const done = (stats: LossStats): void => {
      run.recordChunk(losses, chunk.count, chunk.batchSize, stats, weights);
      chunkSteps = nextChunkSteps(target, Math.ceil(chunk.count / chunk.batchSize), chunkRunMs(stats, started), MAX_CHUNK_STEPS);
    };
    which ^= 1;
    yield { kind: 'train', call, done };
  }

  /** One epoch on this process alone; returns false when the abort signal ended the fit. */
  function* localEpoch(epoch: number): Generator<StreamRequest, boolean, StreamReply> {
    try {
      for (let index = 0; ; index++) {
        const next = (yield { kind: 'pull' }) as IteratorResult<unknown>;
        if (next.done) break;
        addBatch(next.value, index, epoch);
        for (let chunk; (chunk = batcher.take(run.chunkSteps(chunkSteps))) !== null; ) {
          if (run.aborted()) break;
          yield* train(chunk);
        }
        if (run.aborted()) return false;
      }
    } catch (error) {
      // A bad batch or a failing source: the whole steps pulled before it are trained, so the
      // outcome does not depend on how steps were chunked; then the error ends the fit.
      for (let chunk; (chunk = batcher.take(run.chunkSteps(chunkSteps), 'whole-steps')) !== null; ) yield* train(chunk);
      yield { kind: 'settle' };
      throw error;
    }
    for (let chunk; (chunk = batcher.take(run.chunkSteps(chunkSteps), 'epoch-end')) !== null; ) yield* train(chunk);
    return true;
  }

  // Distributed: every rank fills a chunk of the same number of steps from its own stream (while
  // its chunk before trains), then the ranks agree on the steps they all train; the epoch ends
  // when any rank's stream does. Without batchSize a chunk is one source batch (one step).
  let nextSteps = 1;
  /** One epoch of a distributed fit; returns false when an abort signal (on any rank) ended the fit. */
  function* distributedEpoch(epoch: number, ranks: DataParallel): Generator<StreamRequest, boolean, StreamReply> {
    let ended = false;
    let index = 0;
    for (;;) {
      const steps = nextSteps;
      let chunk: Chunk | null = null;
      let failure: unknown = null;
      try {
        while (!ended && (chunk = batcher.take(steps)) === null) {
          const next = (yield { kind: 'pull' }) as IteratorResult<unknown>;
          if (next.done) ended = true;
          else addBatch(next.value, index++, epoch);
        }
        if (ended && chunk === null) chunk = batcher.take(steps, 'epoch-end');
      } catch (error) {
        failure = error;
      }
      yield { kind: 'settle' }; // the chunk before has trained: MPI is called from one thread at a time
      const available = chunk && failure === null ? Math.ceil(chunk.count / chunk.batchSize) : 0;
      const sums = denominators![which]!;
      if (chunk) stepWeightSums(sums, available, chunk.count, chunk.batchSize, chunk.data.weights ?? null);
      const wanted = Math.min(run.chunkSteps(chunkSteps), batcher.maxSteps, MAX_CHUNK_STEPS);
      const agreed = ranks.agreeOnStreamChunk(run.signalled, failure !== null, available, batchSize === null ? 1 : wanted, sums);
      if (agreed.failedRank >= 0) {
        if (failure !== null) throw failure;
        throw new BlaspropError(`fit: the stream of rank ${agreed.failedRank} failed in epoch ${epoch} (its error says why); every rank stopped after the same step`);
      }
      if (agreed.stop) {
        run.markAborted();
        return false;
      }
      if (agreed.steps > 0) yield* train({ ...chunk!, count: Math.min(chunk!.count, agreed.steps * chunk!.batchSize) });
      nextSteps = agreed.nextSteps;
      if (agreed.steps < steps) break;
    }
    batcher.discard(); // the rows past the shortest stream: left out of this epoch, as past the smallest shard of a matrix fit
    return true;
  }

  for (let epoch = 0; epoch < common.epochs; epoch++) {
    run.startEpoch(epoch);
    yield { kind: 'open', epoch };
    const going = ranks ? yield* distributedEpoch(epoch, ranks) : yield* localEpoch(epoch);
    yield { kind: 'settle' };
    if (!going) return run.history;
    const totals = Float64Array.of(run.epochRows, run.epochWeight);
    ranks?.sum(totals);
    if (totals[0] === 0) throw new ConfigError(`fit: epoch ${epoch}: the source yielded no rows (an empty epoch)${ranks ? ' on every rank' : ''}`);
    if (totals[1] === 0) throw new ConfigError(`fit: epoch ${epoch}: every row has the weight 0 (w × classWeight); at least one weight must be > 0`);
    const v = validation ? { stats: (yield { kind: 'validate', data: validation }) as LossStats, rows: validation.rows } : null;
    if (run.endEpoch(v)) break;
  }
  return run.finish();
}

let identity = new Int32Array(0);
/** The order 0, 1, …, n−1 (a chunk's rows are already in training order); shared, grown as needed. */
function identityOrder(n: number): Int32Array {
  if (identity.length < n) {
    identity = new Int32Array(Math.max(n, 2 * identity.length));
    for (let i = 0; i < identity.length; i++) identity[i] = i;
  }
  return identity.subarray(0, n);
}

/** Trains on the calling thread from a synchronous iterable. */
export function runStreamFitSync(target: FitTarget, source: SyncBatchSource, options: StreamFitOptions): History {
  checkSource(source);
  const loop = streamLoop(target, options);
  let iterator: Iterator<unknown> | null = null;
  try {
    let next = loop.next();
    while (!next.done) {
      const request = next.value;
      let reply: StreamReply = undefined;
      switch (request.kind) {
        case 'open': {
          iterator?.return?.();
          const iterable: unknown = source();
          if (typeof iterable !== 'object' || iterable === null || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') {
            throw new ConfigError(`fitSync(source): source() must return an iterable of batches${iterable !== null && typeof iterable === 'object' && Symbol.asyncIterator in iterable ? '; an async iterable needs fit()' : `, got ${describe(iterable)}`}`);
          }
          iterator = (iterable as Iterable<unknown>)[Symbol.iterator]();
          break;
        }
        case 'pull':
          try {
            reply = iterator!.next();
          } catch (error) {
            next = loop.throw(error);
            continue;
          }
          break;
        case 'train':
          request.done(trainChunkSync(target, request.call));
          break;
        case 'validate':
          reply = target.evaluateData(request.data);
          break;
        case 'settle':
          break;
      }
      next = loop.next(reply);
    }
    return next.value;
  } finally {
    iterator?.return?.();
  }
}

/** Trains on the libuv thread pool, pulling the next batches while a chunk trains. */
export async function runStreamFitAsync(target: FitTarget, source: BatchSource, options: StreamFitOptions): Promise<History> {
  checkSource(source);
  const loop = streamLoop(target, options);
  let iterator: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  let pending: Promise<void> | null = null;
  const settle = async (): Promise<void> => {
    const p = pending;
    pending = null;
    if (p) await p;
  };
  try {
    let next = loop.next();
    while (!next.done) {
      const request = next.value;
      let reply: StreamReply = undefined;
      switch (request.kind) {
        case 'open': {
          await iterator?.return?.();
          const iterable: unknown = source();
          const it = iterable as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null;
          if (typeof it?.[Symbol.asyncIterator] === 'function') iterator = it[Symbol.asyncIterator]!();
          else if (typeof it?.[Symbol.iterator] === 'function') iterator = it[Symbol.iterator]!();
          else throw new ConfigError(`fit(source): source() must return an iterable or async iterable of batches, got ${describe(iterable)}`);
          break;
        }
        case 'pull':
          try {
            reply = await iterator!.next();
          } catch (error) {
            next = loop.throw(error);
            continue;
          }
          break;
        case 'train': {
          const { call, done } = request;
          pending = trainChunkAsync(target, call).then(done);
          break;
        }
        case 'validate':
          await settle();
          reply = await target.evaluateDataAsync(request.data);
          break;
        case 'settle':
          await settle();
          break;
      }
      if (target.backend === 'js') await new Promise<void>((resolve) => setImmediate(resolve));
      next = loop.next(reply);
    }
    return next.value;
  } catch (error) {
    // The chunk in flight finishes first: the network is as it was after the last completed step.
    await pending?.catch(() => undefined);
    throw error;
  } finally {
    await iterator?.return?.();
  }
}
