// The training loop: epochs over a fresh seeded random order, mini-batches handed to the backend in
// chunks of steps, validation, callbacks, early stopping, cancellation. One generator drives both
// fitSync (backend calls on this thread) and fit (backend calls on the libuv pool).
import { layerSizes } from './architecture';
import { DIAGNOSTICS_PER_LAYER } from './codes';
import type { FloatArray, LossStats, TrainCall } from './engine';
import { ConfigError } from './errors';
import type { FlatTargets, MatrixInput, TargetInput } from './input';
import { accuracyDenominator, reportsAccuracy } from './metrics';
import type { Network } from './network';
import { checkLearningRate, resolveOptimizer, type OptimizerOptions, type RegularizationOptions } from './optimizer';
import { checkInteger, checkKnownKeys, checkNumber, describe } from './options';
import { resolveSchedule, type ScheduleOptions } from './schedule';
import { checkWorkspace } from './limits';

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

/** What an epoch reports. Metrics are means over the epoch's examples (training loss as the weights moved). */
export interface EpochLogs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
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

/** Logs of one batch for onBatchEnd: the batch's mean loss before its update. */
export interface BatchLogs {
  loss: number;
  size: number;
}

/**
 * Hooks called during fit. In `fit`, onBatchEnd runs after each chunk of steps for the batches in it.
 * Training is paused while a hook runs: `predict`, `evaluate`, `getWeights` and `gradients` work
 * inside hooks (they throw BusyError elsewhere during an asynchronous fit).
 */
export interface FitCallbacks {
  onEpochEnd?(epoch: number, logs: EpochLogs): void;
  onBatchEnd?(batch: number, logs: BatchLogs): void;
}

/** Stop when the monitored metric has not improved by minDelta for `patience` epochs. */
export interface EarlyStoppingOptions {
  patience: number;
  /** Default `valLoss` when there is validation data, else `loss`. */
  monitor?: 'loss' | 'valLoss';
  /** Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. Default true. */
  restoreBestWeights?: boolean;
}

/** Options of fit and fitSync. */
export interface FitOptions extends RegularizationOptions {
  /** Default 1. */
  epochs?: number;
  /** Rows per step: 1 is pure SGD, the row count is full-batch gradient descent. Default 32. */
  batchSize?: number;
  /** Default 0.01 for SGD, 0.001 for Adam. */
  learningRate?: number;
  /** Visit the rows in a fresh seeded random order each epoch. Default true. */
  shuffle?: boolean;
  /** Default `sgd`. */
  optimizer?: OptimizerOptions;
  /** Learning-rate schedule over epochs. Default constant. */
  schedule?: ScheduleOptions;
  /** Validation set evaluated after each epoch. */
  validationData?: [MatrixInput, TargetInput];
  /** Fraction of rows, taken from the end before shuffling, held out for validation. */
  validationSplit?: number;
  callbacks?: FitCallbacks;
  earlyStopping?: EarlyStoppingOptions;
  /** Record per-layer gradient and activation statistics each epoch. Default false. */
  diagnostics?: boolean;
  /** Stops training between chunks of steps; the network keeps the weights of the last completed step. */
  signal?: AbortSignal;
}

const FIT_KEYS = [
  'epochs', 'batchSize', 'learningRate', 'shuffle', 'optimizer', 'schedule', 'validationData', 'validationSplit',
  'callbacks', 'earlyStopping', 'diagnostics', 'signal', 'weightDecay', 'maxNorm', 'clipNorm',
] as const;

/** Target wall-clock time of one chunk of steps: off-thread native chunks can be long; the TS backend runs on the event loop. */
const CHUNK_MS = { native: 50, js: 10 } as const;

interface Validation {
  X: FloatArray;
  rows: number;
  targets: FlatTargets;
}

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

/** A step of the fit generator: a training call to run (and hand back its result), or a validation to run. */
type FitRequest = { kind: 'train'; call: TrainCall } | { kind: 'validate'; data: Validation };

/**
 * The loop as a generator: it yields each backend call and receives its result, so the same code
 * runs synchronously (fitSync) or awaiting the thread pool (fit).
 */
function* fitLoop(net: Network, x: MatrixInput, y: TargetInput, options: FitOptions, chunkMs: number): Generator<FitRequest, History, LossStats> {
  // Validate options before any work: a rejected fit leaves the network unchanged.
  if (typeof options !== 'object' || options === null) throw new ConfigError(`fit options must be an object, got ${describe(options)}`);
  checkKnownKeys(options, FIT_KEYS, 'fit options');
  const epochs = checkInteger(options.epochs ?? 1, 'epochs', 0);
  const batchSizeOption = checkInteger(options.batchSize ?? 32, 'batchSize', 1);
  const optimizer = resolveOptimizer(options.optimizer, options);
  const baseLr = checkLearningRate(options.learningRate ?? optimizer.defaultLearningRate);
  const schedule = resolveSchedule(options.schedule, Math.max(epochs, 1));
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new ConfigError(`shuffle must be a boolean, got ${describe(shuffle)}`);
  const diagnostics = options.diagnostics ?? false;
  const callbacks = options.callbacks ?? {};
  if (typeof callbacks !== 'object' || callbacks === null) throw new ConfigError('callbacks must be an object { onEpochEnd?, onBatchEnd? }');
  checkKnownKeys(callbacks, ['onEpochEnd', 'onBatchEnd'], 'callbacks');
  for (const key of ['onEpochEnd', 'onBatchEnd'] as const) {
    if (callbacks[key] !== undefined && typeof callbacks[key] !== 'function') throw new ConfigError(`callbacks.${key} must be a function`);
  }
  const signal = options.signal;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw new ConfigError('signal must be an AbortSignal');
  if (signal?.aborted) throw new ConfigError('fit: the abort signal was already aborted before training started');

  const data = net.prepareData(x, y, '');
  let trainRows = data.rows;
  let validation: Validation | null = null;
  if (options.validationData !== undefined && options.validationSplit !== undefined) {
    throw new ConfigError('give either validationData or validationSplit, not both');
  }
  if (options.validationData !== undefined) {
    if (!Array.isArray(options.validationData) || options.validationData.length !== 2) throw new ConfigError('validationData must be [x, y]');
    const v = net.prepareData(options.validationData[0], options.validationData[1], 'validationData.');
    validation = { X: v.X, rows: v.rows, targets: v.targets };
  } else if (options.validationSplit !== undefined) {
    const split = checkNumber(options.validationSplit, 'validationSplit', 0, 1, true);
    const held = Math.floor(data.rows * split);
    if (held > 0) {
      trainRows = data.rows - held;
      if (trainRows < 1) throw new ConfigError(`validationSplit ${split} leaves no training rows`);
      validation = {
        X: data.X.subarray(trainRows * net.inputs),
        rows: held,
        targets: sliceTargets(data.targets, net.outputs, trainRows, data.rows),
      };
    }
  }
  const early = options.earlyStopping;
  let patience = 0, minDelta = 0, restoreBest = true;
  let monitor: 'loss' | 'valLoss' = validation ? 'valLoss' : 'loss';
  if (early !== undefined) {
    if (typeof early !== 'object' || early === null) throw new ConfigError('earlyStopping must be an object { patience, ... }');
    checkKnownKeys(early, ['patience', 'monitor', 'minDelta', 'restoreBestWeights'], 'earlyStopping');
    patience = checkInteger(early.patience, 'earlyStopping.patience', 0);
    minDelta = checkNumber(early.minDelta ?? 0, 'earlyStopping.minDelta', 0);
    restoreBest = early.restoreBestWeights ?? true;
    if (early.monitor !== undefined) monitor = early.monitor;
    if (monitor !== 'loss' && monitor !== 'valLoss') throw new ConfigError(`earlyStopping.monitor must be 'loss' or 'valLoss', got ${describe(monitor)}`);
    if (monitor === 'valLoss' && !validation) throw new ConfigError("earlyStopping.monitor 'valLoss' needs validationData or validationSplit");
  }

  checkWorkspace(layerSizes(net.architecture), Math.min(batchSizeOption, trainRows), 'fit: batchSize');

  // All checks passed: from here on the network changes.
  net.prepareOptimizer(optimizer.stateKey);
  const batchSize = Math.min(batchSizeOption, trainRows);
  const stepsPerEpoch = Math.ceil(trainRows / batchSize);
  const order = new Int32Array(trainRows);
  for (let i = 0; i < trainRows; i++) order[i] = i;
  const stepLosses = new Float64Array(stepsPerEpoch);
  const diagnosticsBuffer = diagnostics ? new Float64Array(net.architecture.layers.length * DIAGNOSTICS_PER_LAYER) : null;
  const classify = reportsAccuracy(net.architecture.loss);
  const history: History = { epochs: [], loss: [], stopReason: 'completed' };
  let best = Infinity, bestEpoch = -1, sinceBest = 0;
  let bestParams: FloatArray | null = null;
  let chunkSteps = 1;
  let batchIndex = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    if (shuffle) net.shuffler.shuffle(order);
    const learningRate = schedule(baseLr, epoch);
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
          X: data.X, rows: data.rows, ...data.targets, order: order.subarray(start), count, batchSize,
          firstStep: 0, optimizer: { ...optimizer.call, learningRate },
          stepLosses, diagnostics: last ? diagnosticsBuffer : null,
        },
      };
      // The chunk's own run time where the backend reports it: not the wait behind other networks' passes.
      const elapsed = result.runMs ?? performance.now() - chunkStarted;
      // Summed step by step, so the epoch's loss does not depend on how steps were chunked.
      for (let k = 0; k < steps; k++) lossSum += stepLosses[k]! * Math.min(batchSize, trainRows - start - k * batchSize);
      correct += result.correct;
      const onBatchEnd = callbacks.onBatchEnd;
      if (onBatchEnd) {
        net.runCallback(() => {
          for (let k = 0; k < steps; k++) onBatchEnd(batchIndex + k, { loss: stepLosses[k]!, size: Math.min(batchSize, trainRows - start - k * batchSize) });
        });
      }
      batchIndex += steps;
      step += steps;
      // Size the next chunk to take about chunkMs.
      chunkSteps = Math.max(1, Math.min(stepsPerEpoch, Math.round((steps * chunkMs) / Math.max(elapsed, 0.01))));
    }
    const seconds = (performance.now() - started) / 1000;
    const record: EpochRecord = { epoch, loss: lossSum / trainRows, learningRate, seconds, samplesPerSecond: trainRows / Math.max(seconds, 1e-9) };
    if (classify) record.accuracy = correct / accuracyDenominator(net.architecture.loss, net.outputs, trainRows);
    if (validation) {
      const v = yield { kind: 'validate', data: validation };
      const evaluation = net.evaluation(v.lossSum, v.correct, validation.rows);
      record.valLoss = evaluation.loss;
      if (evaluation.accuracy !== undefined) record.valAccuracy = evaluation.accuracy;
    }
    if (diagnosticsBuffer) record.diagnostics = readDiagnostics(diagnosticsBuffer, net.architecture.layers.length);
    history.epochs.push(record);
    history.loss.push(record.loss);
    const logs: EpochLogs = { loss: record.loss };
    for (const key of ['accuracy', 'valLoss', 'valAccuracy'] as const) if (record[key] !== undefined) logs[key] = record[key];
    const onEpochEnd = callbacks.onEpochEnd;
    if (onEpochEnd) net.runCallback(() => onEpochEnd(epoch, logs));

    if (early !== undefined) {
      const value = monitor === 'valLoss' ? record.valLoss! : record.loss;
      if (value < best - minDelta) {
        best = value;
        bestEpoch = epoch;
        sinceBest = 0;
        if (restoreBest) bestParams = net.snapshotParams();
      } else if (++sinceBest >= patience) {
        history.stopReason = 'early-stopping';
        break;
      }
    }
  }
  if (early !== undefined && bestEpoch >= 0) {
    history.bestEpoch = bestEpoch;
    if (restoreBest && bestParams) net.restoreParams(bestParams);
  }
  return history;
}

/** Runs fitLoop synchronously or asynchronously. */
export function runFit(net: Network, x: MatrixInput, y: TargetInput, options: FitOptions, async: boolean): History | Promise<History> {
  const loop = fitLoop(net, x, y, options, CHUNK_MS[net.backend]);
  const run = (request: FitRequest): { lossSum: number; correct: number } =>
    request.kind === 'train' ? net.trainBatches(request.call) : net.evaluateFlat(request.data.X, request.data.rows, request.data.targets);
  if (!async) {
    let next = loop.next();
    while (!next.done) next = loop.next(run(next.value));
    return next.value;
  }
  return (async () => {
    let next = loop.next();
    while (!next.done) {
      const request = next.value;
      const result = request.kind === 'train' ? await net.trainBatchesAsync(request.call) : await net.evaluateFlatAsync(request.data.X, request.data.rows, request.data.targets);
      if (net.backend === 'js') await new Promise<void>((resolve) => setImmediate(resolve));
      next = loop.next(result);
    }
    return next.value;
  })();
}

