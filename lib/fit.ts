// The training loop: epochs over a fresh seeded random order, mini-batches handed to the backend in
// chunks of steps, validation, callbacks, early stopping, cancellation. One generator drives both
// entry points: runFitSync (backend calls on this thread) and runFitAsync (on the libuv pool).
// The loop drives a FitTarget (fit-types.ts), the narrow interface it declares for itself, not the Network class.
import { layerSizes, parameterLayout } from './architecture';
import { DataParallel } from './distributed/data-parallel';
import { asBlaspropError, mpiCall } from './distributed/world';
import type { LossStats, TrainCall } from './engine';
import type { FitTarget, FlatData, History } from './fit-types';
import { ConfigError } from './errors';
import { resolveFitOptions, type FitOptions, type ResolvedFitOptions } from './fit-options';
import type { FlatTargets, MatrixInput, TargetInput } from './input';
import { checkWeightTotal, rowWeights, stepWeightSums, weightTotal } from './row-weights';
import { checkWorkspace } from './limits';

import { FitRun } from './fit-run';

export type { EpochRecord, FitTarget, FlatData, History, LayerDiagnostics } from './fit-types';

/** Target wall-clock time of one chunk of steps: off-thread native chunks can be long; the WebAssembly and TS backends run on the event loop. */
const CHUNK_MS = { native: 50, wasm: 20, js: 10 } as const;

/** Rows [start, end) of flat targets, as views. */
function sliceTargets(t: FlatTargets, outputs: number, start: number, end: number): FlatTargets {
  return {
    Y: t.Y ? t.Y.subarray(start * outputs, end * outputs) : null,
    labels: t.labels ? t.labels.subarray(start, end) : null,
  };
}

/** The training rows and the validation set (from validationData or validationSplit). */
function prepareFitData(target: FitTarget, x: MatrixInput, y: TargetInput, options: ResolvedFitOptions): { train: FlatData; trainRows: number; validation: FlatData | null } {
  const train = target.prepareData(x, y, '');
  if (options.validationData !== undefined) {
    return { train, trainRows: train.rows, validation: target.prepareData(options.validationData[0], options.validationData[1], 'validationData.') };
  }
  const held = options.validationSplit === undefined ? 0 : Math.floor(train.rows * options.validationSplit);
  if (held === 0) return { train, trainRows: train.rows, validation: null };
  const trainRows = train.rows - held;
  if (trainRows < 1) throw new ConfigError(`validationSplit ${options.validationSplit} leaves no training rows`);
  const validation = { X: train.X.subarray(trainRows * target.inputs), rows: held, targets: sliceTargets(train.targets, target.outputs, trainRows, train.rows) };
  return { train, trainRows, validation };
}

/**
 * The data-parallel part of a fit, checked before anything changes: native backend only, and
 * every rank running the same fit. Returns the coordinator and the agreed steps per epoch.
 * `local` is this rank's steps per epoch and Σ w of its rows; absent for a streamed fit.
 */
export function startDataParallel(target: FitTarget, options: ResolvedFitOptions, hasValidation: boolean, local?: { steps: number; weight: number }) {
  const d = options.distributed;
  if (!d) return { ranks: null, stepsPerEpoch: local?.steps ?? 0 };
  if (target.backend !== 'native') throw new ConfigError(`distributed fit needs the native backend (the gradient is averaged in the native training step); this network runs on '${target.backend}'`);
  const ranks = new DataParallel(d.world, d.overlap);
  const bytesPerValue = target.architecture.dtype === 'float64' ? 8 : 4;
  const stepsPerEpoch = ranks.agreeOnShape({ parameters: parameterLayout(target.architecture).count, bytesPerValue, epochs: options.epochs, hasValidation, ...local });
  return { ranks, stepsPerEpoch };
}

/** A step of the fit generator: a training call to run (and hand back its result), or a validation to run. */
type FitRequest = { kind: 'train'; call: TrainCall } | { kind: 'validate'; data: FlatData };

/**
 * How long a chunk ran: the time the backend reports it ran once admitted (runMs: the native pass
 * scheduler's admission, not the wait behind other networks' passes), else the wall time since `startedAt`.
 */
export function chunkRunMs(stats: LossStats, startedAt: number): number {
  return stats.runMs ?? performance.now() - startedAt;
}

/** Adapts the steps per chunk so that a chunk takes about `CHUNK_MS`, within [1, max]. */
export function nextChunkSteps(target: FitTarget, steps: number, elapsedMs: number, max: number): number {
  return Math.max(1, Math.min(max, Math.round((steps * CHUNK_MS[target.backend]) / Math.max(elapsedMs, 0.01))));
}

/**
 * The loop as a generator: it yields each backend call and receives its result, so the same code
 * runs synchronously (runFitSync) or awaiting the thread pool (runFitAsync).
 */
function* fitLoop(target: FitTarget, x: MatrixInput, y: TargetInput, fitOptions: FitOptions): Generator<FitRequest, History, LossStats> {
  // Every check runs before the network changes.
  const options = resolveFitOptions(fitOptions);
  const { train: data, trainRows, validation } = prepareFitData(target, x, y, options);
  const { architecture } = target;
  const weights = rowWeights(options.weights, { loss: architecture.loss, outputs: target.outputs, dtype: architecture.dtype }, data.targets, data.rows);
  // Distributed, the weights of all ranks together must not all be 0 (agreeOnShape checks it).
  if (weights && !options.distributed) checkWeightTotal(weights, trainRows, 'the training rows');
  const batchSize = Math.min(options.batchSize, trainRows);
  checkWorkspace(layerSizes(target.architecture), batchSize, 'fit: batchSize');
  const local = { steps: trainRows > 0 ? Math.ceil(trainRows / batchSize) : 0, weight: weights ? weightTotal(weights, trainRows) : trainRows };
  const { ranks, stepsPerEpoch } = startDataParallel(target, options, validation !== null, local);
  const run = new FitRun(target, options, validation !== null, ranks);

  // From here on the network changes.
  target.prepareOptimizer(options.optimizer.stateKey);
  let shuffler = target.shuffler;
  if (ranks) target.shareTrainingState((state) => (shuffler = ranks.shareState(state)));
  const order = new Int32Array(trainRows);
  for (let i = 0; i < trainRows; i++) order[i] = i;
  const stepLosses = new Float64Array(stepsPerEpoch);
  // With weights a step's loss is a weighted mean: the engine reports each step's Σ w.
  const stepWeights = weights ? new Float64Array(stepsPerEpoch) : null;
  // Distributed: each step's gradient is the mean over the rows of every rank's batch (DataParallel.stepDenominators).
  const denominators = ranks ? new Float64Array(stepsPerEpoch) : null;
  let chunkSteps = 1;

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    if (options.shuffle) shuffler.shuffle(order);
    if (ranks) ranks.stepDenominators(stepWeightSums(denominators!, stepsPerEpoch, trainRows, batchSize, weights, order));
    run.startEpoch(epoch);
    for (let step = 0; step < stepsPerEpoch; ) {
      const wanted = Math.min(run.chunkSteps(chunkSteps), stepsPerEpoch - step);
      const { stop, steps } = ranks ? ranks.agreeOnChunk(run.signalled, wanted) : { stop: run.signalled, steps: wanted };
      if (stop) return run.markAborted();
      const start = step * batchSize;
      const count = Math.min(steps * batchSize, trainRows - start);
      const chunkStarted = performance.now();
      const stats = yield {
        kind: 'train',
        call: {
          X: data.X, rows: data.rows, ...data.targets, weights, order: order.subarray(start), count, batchSize,
          firstStep: 0, optimizer: { ...options.optimizer.call, learningRate: run.currentRate() },
          stepLosses, stepWeights, diagnostics: step + steps === stepsPerEpoch ? run.diagnostics : null,
          ...(ranks ? { ...ranks.trainExtras, stepDenominators: denominators!.subarray(step) } : {}),
        },
      };
      run.recordChunk(stepLosses, count, batchSize, stats, stepWeights);
      chunkSteps = nextChunkSteps(target, steps, chunkRunMs(stats, chunkStarted), stepsPerEpoch);
      step += steps;
    }
    const v = validation ? { stats: yield { kind: 'validate', data: validation }, rows: validation.rows } : null;
    if (run.endEpoch(v)) break;
  }
  return run.finish();
}

/** Runs a training call on the calling thread; a distributed step's MPI error becomes a BlaspropError. */
export function trainChunkSync(target: FitTarget, call: TrainCall): LossStats {
  return call.reducer ? mpiCall(() => target.trainBatches(call)) : target.trainBatches(call);
}

/** Runs a training call on the backend's asynchronous path; a distributed step's MPI error becomes a BlaspropError. */
export function trainChunkAsync(target: FitTarget, call: TrainCall): Promise<LossStats> {
  return call.reducer ? target.trainBatchesAsync(call).catch((e: unknown) => Promise.reject(asBlaspropError(e))) : target.trainBatchesAsync(call);
}

/** Trains on the calling thread. */
export function runFitSync(target: FitTarget, x: MatrixInput, y: TargetInput, options: FitOptions): History {
  const loop = fitLoop(target, x, y, options);
  let next = loop.next();
  while (!next.done) {
    const request = next.value;
    next = loop.next(request.kind === 'train' ? trainChunkSync(target, request.call) : target.evaluateData(request.data));
  }
  return next.value;
}

/** Trains with the backend calls on the libuv thread pool (native) or between event-loop turns (WebAssembly, TypeScript). */
export async function runFitAsync(target: FitTarget, x: MatrixInput, y: TargetInput, options: FitOptions): Promise<History> {
  const loop = fitLoop(target, x, y, options);
  let next = loop.next();
  while (!next.done) {
    const request = next.value;
    const result = request.kind === 'train' ? await trainChunkAsync(target, request.call) : await target.evaluateDataAsync(request.data);
    if (target.backend !== 'native') await new Promise<void>((resolve) => setImmediate(resolve));
    next = loop.next(result);
  }
  return next.value;
}
