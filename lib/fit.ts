// The training loop: epochs over a fresh seeded random order, mini-batches handed to the backend in
// chunks of steps, validation, callbacks, early stopping, cancellation. One generator drives both
// entry points: runFitSync (backend calls on this thread) and runFitAsync (on the libuv pool).
// The loop drives a FitTarget, the narrow interface it declares here, not the Network class.
import type { Architecture } from './architecture';
import { DIAGNOSTICS_PER_LAYER } from './codes';
import type { FloatArray } from './dtype';
import type { LossStats, TrainCall } from './engine';
import { ConfigError } from './errors';
import { resolveFitOptions, type EpochLogs, type FitOptions, type ResolvedFitOptions } from './fit-options';
import type { FlatTargets, MatrixInput, TargetInput } from './input';
import { accuracyDenominator, evaluationFromSums, reportsAccuracy } from './metrics';
import type { Rng } from './rng';
import { checkWeightTotal, rowWeights } from './row-weights';

/** Per-layer numbers of one training step that show vanishing or exploding gradients. */
export interface LayerDiagnostics {
  /** ‖∂L/∂W^l‖₂ */
  weightGradNorm: number;
  /** ‖∂L/∂b^l‖₂ */
  biasGradNorm: number;
  /** Mean of a^l over the batch. */
  activationMean: number;
  /** Standard deviation of a^l over the batch. */
  activationStd: number;
  /** ReLU-family layers: fraction of units that were ≤ 0 for every row of the batch; null otherwise. */
  deadFraction: number | null;
}

/** One history entry. */
export interface EpochRecord extends EpochLogs {
  /** 0-based epoch index within this fit call. */
  epoch: number;
  learningRate: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  seconds: number;
  samplesPerSecond: number;
  /** With `diagnostics: true`: statistics of the epoch's last training step, per layer. */
  diagnostics?: LayerDiagnostics[];
}

/** The result of fit. */
export interface History {
  /** One record per completed epoch. */
  epochs: EpochRecord[];
  /** Training loss per epoch (the same numbers as epochs[i].loss). */
  loss: number[];
  /** Why training ended: all epochs ran, early stopping, or the abort signal. */
  stopReason: 'completed' | 'early-stopping' | 'aborted';
  /** With early stopping: the epoch whose weights the network holds when restoreBestWeights is on. */
  bestEpoch?: number;
}

/** Features and targets converted to the network's dtype. */
export interface FlatData {
  X: FloatArray;
  rows: number;
  targets: FlatTargets;
}

/** What the training loop needs from a network. */
export interface FitTarget {
  readonly architecture: Architecture;
  readonly inputs: number;
  readonly outputs: number;
  /** Which backend trains: it sets how long a chunk of steps may take. */
  readonly backend: 'native' | 'js';
  /** The generator of the epoch shuffles. */
  readonly shuffler: Rng;
  /** Converts and checks data; `name` prefixes error messages ('' or 'validationData.'). */
  prepareData(x: MatrixInput, y: TargetInput, name: string): FlatData;
  /** Resets optimizer state when the optimizer's settings changed since the last call. */
  prepareOptimizer(stateKey: string): void;
  /** Runs a training call and advances the optimizer step count. */
  trainBatches(call: TrainCall): LossStats;
  trainBatchesAsync(call: TrainCall): Promise<LossStats>;
  evaluateData(data: FlatData): LossStats;
  evaluateDataAsync(data: FlatData): Promise<LossStats>;
  /** Runs a user callback; read-only calls on the network are allowed inside it. */
  duringCallback(callback: () => void): void;
  snapshotParams(): FloatArray;
  restoreParams(snapshot: FloatArray): void;
}

/** Target wall-clock time of one chunk of steps: off-thread native chunks can be long; the TS backend runs on the event loop. */
const CHUNK_MS = { native: 50, js: 10 } as const;

/** Rows [start, end) of flat targets, as views. */
function sliceTargets(t: FlatTargets, outputs: number, start: number, end: number): FlatTargets {
  return {
    Y: t.Y ? t.Y.subarray(start * outputs, end * outputs) : null,
    labels: t.labels ? t.labels.subarray(start, end) : null,
  };
}

function readDiagnostics(raw: Float64Array, layers: number): LayerDiagnostics[] {
  const out: LayerDiagnostics[] = [];
  for (let l = 0; l < layers; l++) {
    const d = raw.subarray(l * DIAGNOSTICS_PER_LAYER, (l + 1) * DIAGNOSTICS_PER_LAYER);
    out.push({ weightGradNorm: d[0]!, biasGradNorm: d[1]!, activationMean: d[2]!, activationStd: d[3]!, deadFraction: Number.isNaN(d[4]!) ? null : d[4]! });
  }
  return out;
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

/** A step of the fit generator: a training call to run (and hand back its result), or a validation to run. */
type FitRequest = { kind: 'train'; call: TrainCall } | { kind: 'validate'; data: FlatData };

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
  const trainWeight = weights ? checkWeightTotal(weights, trainRows, 'the training rows') : trainRows;
  const early = options.earlyStopping;
  const monitor = early?.monitor ?? (validation ? 'valLoss' : 'loss');
  if (early && monitor === 'valLoss' && !validation) throw new ConfigError("earlyStopping.monitor 'valLoss' needs validationData or validationSplit");

  // From here on the network changes.
  const { optimizer, callbacks, signal } = options;
  const { loss, layers } = target.architecture;
  target.prepareOptimizer(optimizer.stateKey);
  const chunkMs = CHUNK_MS[target.backend];
  const batchSize = Math.min(options.batchSize, trainRows);
  const stepsPerEpoch = Math.ceil(trainRows / batchSize);
  const order = new Int32Array(trainRows);
  for (let i = 0; i < trainRows; i++) order[i] = i;
  const stepLosses = new Float64Array(stepsPerEpoch);
  const diagnosticsBuffer = options.diagnostics ? new Float64Array(layers.length * DIAGNOSTICS_PER_LAYER) : null;
  const classify = reportsAccuracy(loss);
  const history: History = { epochs: [], loss: [], stopReason: 'completed' };
  let best = Infinity, bestEpoch = -1, sinceBest = 0;
  let bestParams: FloatArray | null = null;
  let chunkSteps = 1;
  let batchIndex = 0;
  const rowsOfStep = (start: number, k: number): number => Math.min(batchSize, trainRows - start - k * batchSize);
  // With weights a step's loss is a weighted mean: the engine reports each step's Σ w.
  const stepWeights = weights ? new Float64Array(stepsPerEpoch) : null;

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    if (options.shuffle) target.shuffler.shuffle(order);
    const learningRate = options.schedule(options.baseLearningRate, epoch);
    const started = performance.now();
    let lossSum = 0, correct = 0;
    for (let step = 0; step < stepsPerEpoch; ) {
      if (signal?.aborted) {
        history.stopReason = 'aborted';
        return history;
      }
      const steps = Math.min(chunkSteps, stepsPerEpoch - step);
      const start = step * batchSize;
      const count = Math.min(steps * batchSize, trainRows - start);
      const last = step + steps === stepsPerEpoch;
      const chunkStarted = performance.now();
      const result = yield {
        kind: 'train',
        call: {
          X: data.X, rows: data.rows, ...data.targets, weights, order: order.subarray(start), count, batchSize,
          firstStep: 0, optimizer: { ...optimizer.call, learningRate },
          stepLosses, stepWeights, diagnostics: last ? diagnosticsBuffer : null,
        },
      };
      const elapsed = performance.now() - chunkStarted;
      // Summed step by step, so the epoch's loss does not depend on how steps were chunked.
      for (let k = 0; k < steps; k++) lossSum += stepLosses[k]! * (stepWeights ? stepWeights[k]! : rowsOfStep(start, k));
      correct += result.correct;
      const onBatchEnd = callbacks.onBatchEnd;
      if (onBatchEnd) {
        target.duringCallback(() => {
          for (let k = 0; k < steps; k++) onBatchEnd(batchIndex + k, { loss: stepLosses[k]!, size: rowsOfStep(start, k) });
        });
      }
      batchIndex += steps;
      step += steps;
      // Size the next chunk to take about chunkMs.
      chunkSteps = Math.max(1, Math.min(stepsPerEpoch, Math.round((steps * chunkMs) / Math.max(elapsed, 0.01))));
    }
    const seconds = (performance.now() - started) / 1000;
    const record: EpochRecord = { epoch, loss: lossSum / trainWeight, learningRate, seconds, samplesPerSecond: trainRows / Math.max(seconds, 1e-9) };
    if (classify) record.accuracy = correct / accuracyDenominator(loss, target.outputs, trainWeight);
    if (validation) {
      const v = yield { kind: 'validate', data: validation };
      const evaluation = evaluationFromSums(loss, target.outputs, v.lossSum, v.correct, validation.rows);
      record.valLoss = evaluation.loss;
      if (evaluation.accuracy !== undefined) record.valAccuracy = evaluation.accuracy;
    }
    if (diagnosticsBuffer) record.diagnostics = readDiagnostics(diagnosticsBuffer, layers.length);
    history.epochs.push(record);
    history.loss.push(record.loss);
    const logs: EpochLogs = { loss: record.loss };
    for (const key of ['accuracy', 'valLoss', 'valAccuracy'] as const) if (record[key] !== undefined) logs[key] = record[key];
    const onEpochEnd = callbacks.onEpochEnd;
    if (onEpochEnd) target.duringCallback(() => onEpochEnd(epoch, logs));

    if (early) {
      const value = monitor === 'valLoss' ? record.valLoss! : record.loss;
      if (value < best - early.minDelta) {
        best = value;
        bestEpoch = epoch;
        sinceBest = 0;
        if (early.restoreBest) bestParams = target.snapshotParams();
      } else if (++sinceBest >= early.patience) {
        history.stopReason = 'early-stopping';
        break;
      }
    }
  }
  if (early && bestEpoch >= 0) {
    history.bestEpoch = bestEpoch;
    if (bestParams) target.restoreParams(bestParams);
  }
  return history;
}

/** Trains on the calling thread. */
export function runFitSync(target: FitTarget, x: MatrixInput, y: TargetInput, options: FitOptions): History {
  const loop = fitLoop(target, x, y, options);
  let next = loop.next();
  while (!next.done) {
    const request = next.value;
    next = loop.next(request.kind === 'train' ? target.trainBatches(request.call) : target.evaluateData(request.data));
  }
  return next.value;
}

/** Trains with the backend calls on the libuv thread pool (native) or between event-loop turns (TypeScript). */
export async function runFitAsync(target: FitTarget, x: MatrixInput, y: TargetInput, options: FitOptions): Promise<History> {
  const loop = fitLoop(target, x, y, options);
  let next = loop.next();
  while (!next.done) {
    const request = next.value;
    const result = request.kind === 'train' ? await target.trainBatchesAsync(request.call) : await target.evaluateDataAsync(request.data);
    if (target.backend === 'js') await new Promise<void>((resolve) => setImmediate(resolve));
    next = loop.next(result);
  }
  return next.value;
}
