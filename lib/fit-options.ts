// The options of fit and fitSync, and their validation: every check runs before training starts,
// so a rejected fit leaves the network unchanged.
import { worldState, type World } from './distributed/world';
import type { MatrixInput, TargetInput } from './input';
import { checkLearningRate, resolveOptimizer, type OptimizerOptions, type RegularizationOptions, type ResolvedOptimizer } from './optimizer';
import { ConfigError } from './errors';
import { checkInteger, checkKnownKeys, checkNumber, describe } from './options';
import { resolvePlateau, type ReduceOnPlateauOptions, type ResolvedPlateau } from './plateau';
import { WEIGHT_KEYS, type WeightOptions } from './row-weights';
import { resolveSchedule, type Schedule, type ScheduleOptions } from './schedule';

/** What an epoch reports. Metrics are means over the epoch's examples (training loss as the weights moved). */
export interface EpochLogs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** In a distributed fit: this process's rank (the metrics are those of all ranks together). */
  rank?: number;
}

/** Logs of one batch for onBatchEnd: the batch's mean loss before its update. */
export interface BatchLogs {
  loss: number;
  size: number;
  /** In a distributed fit: this process's rank (loss and size are of this rank's part of the step). */
  rank?: number;
}

/** A distributed fit with its settings. */
export interface DistributedFitOptions {
  /** What `distributed.init()` returned. */
  world: World;
  /**
   * Start averaging each layer's gradient as soon as backward has computed it, while the layers
   * below run backward (as PyTorch DDP). Default true; false averages the whole gradient after backward.
   */
  overlap?: boolean;
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

/** Options of fit and fitSync. `sampleWeight` and `classWeight` weight the training rows (not the validation rows). */
export interface FitOptions extends RegularizationOptions, WeightOptions {
  /** Default 1. */
  epochs?: number;
  /** Rows per step: 1 is pure SGD, the row count is full-batch gradient descent. Default 32. */
  batchSize?: number;
  /** Default 0.01 for SGD, RMSprop and Adagrad, 0.001 for Adam and AdamW. */
  learningRate?: number;
  /** Visit the rows in a fresh seeded random order each epoch. Default true. */
  shuffle?: boolean;
  /** Default `sgd`. */
  optimizer?: OptimizerOptions;
  /** Learning-rate schedule over epochs, with optional warmup. Default constant. */
  schedule?: ScheduleOptions;
  /** Multiply the learning rate by `factor` when the monitored metric stops improving (Keras's ReduceLROnPlateau). */
  reduceOnPlateau?: ReduceOnPlateauOptions;
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
  /**
   * Data-parallel training on MPI: this process trains its shard (x, y, or its own stream) with
   * `batchSize` rows per step, and every step's gradient is the (weighted) mean over the rows of all
   * ranks' batches, so all ranks apply the same update. Rank 0's weights and optimizer state are
   * broadcast at the start. Native backend only.
   */
  distributed?: World | DistributedFitOptions;
}

/** Early stopping with its defaults filled in (the monitor is settled once validation is known). */
export interface ResolvedEarlyStopping {
  patience: number;
  minDelta: number;
  restoreBest: boolean;
  monitor: 'loss' | 'valLoss' | undefined;
}

/** FitOptions checked and with defaults applied. */
export interface ResolvedFitOptions {
  epochs: number;
  batchSize: number;
  optimizer: ResolvedOptimizer;
  baseLearningRate: number;
  schedule: Schedule;
  reduceOnPlateau: ResolvedPlateau | null;
  shuffle: boolean;
  diagnostics: boolean;
  callbacks: FitCallbacks;
  signal: AbortSignal | undefined;
  validationData: [MatrixInput, TargetInput] | undefined;
  validationSplit: number | undefined;
  earlyStopping: ResolvedEarlyStopping | null;
  distributed: { world: World; overlap: boolean } | null;
  /** sampleWeight and classWeight as given; checked against the data by rowWeights. */
  weights: WeightOptions;
}

const FIT_KEYS = [
  'epochs', 'batchSize', 'learningRate', 'shuffle', 'optimizer', 'schedule', 'validationData', 'validationSplit',
  'callbacks', 'earlyStopping', 'diagnostics', 'signal', 'weightDecay', 'maxNorm', 'clipNorm', 'reduceOnPlateau',
  'distributed', ...WEIGHT_KEYS,
] as const;
const CALLBACK_KEYS = ['onEpochEnd', 'onBatchEnd'] as const;

function resolveCallbacks(value: unknown): FitCallbacks {
  const callbacks = value ?? {};
  if (typeof callbacks !== 'object' || callbacks === null) throw new ConfigError('callbacks must be an object { onEpochEnd?, onBatchEnd? }');
  checkKnownKeys(callbacks, CALLBACK_KEYS, 'callbacks');
  for (const key of CALLBACK_KEYS) {
    const hook: unknown = (callbacks as Record<string, unknown>)[key];
    if (hook !== undefined && typeof hook !== 'function') throw new ConfigError(`callbacks.${key} must be a function`);
  }
  return callbacks as FitCallbacks;
}

function resolveEarlyStopping(early: unknown): ResolvedEarlyStopping | null {
  if (early === undefined) return null;
  if (typeof early !== 'object' || early === null) throw new ConfigError('earlyStopping must be an object { patience, ... }');
  checkKnownKeys(early, ['patience', 'monitor', 'minDelta', 'restoreBestWeights'], 'earlyStopping');
  const e = early as EarlyStoppingOptions;
  const restoreBest = e.restoreBestWeights ?? true;
  if (typeof restoreBest !== 'boolean') throw new ConfigError(`earlyStopping.restoreBestWeights must be a boolean, got ${describe(restoreBest)}`);
  if (e.monitor !== undefined && e.monitor !== 'loss' && e.monitor !== 'valLoss') {
    throw new ConfigError(`earlyStopping.monitor must be 'loss' or 'valLoss', got ${describe(e.monitor)}`);
  }
  return {
    patience: checkInteger(e.patience, 'earlyStopping.patience', 0),
    minDelta: checkNumber(e.minDelta ?? 0, 'earlyStopping.minDelta', 0),
    restoreBest,
    monitor: e.monitor,
  };
}

function resolveDistributed(value: unknown): { world: World; overlap: boolean } | null {
  if (value === undefined) return null;
  const wanted = 'distributed must be the world distributed.init() returned, or { world, overlap? }';
  const checkWorld = (world: unknown): World => {
    const state = worldState(world);
    if (state === 'finalized') throw new ConfigError('distributed: MPI was finalized (distributed.finalize()); a distributed fit needs it up');
    if (state === 'other') throw new ConfigError(`${wanted} (distributed.world is not it)`);
    return world as World;
  };
  if (worldState(value) !== 'other') return { world: checkWorld(value), overlap: true };
  if (typeof value !== 'object' || value === null) throw new ConfigError(`${wanted}, got ${describe(value)}`);
  if (!('world' in value)) throw new ConfigError(`${wanted}; got an object without 'world' (a copy of the world is not it)`);
  checkKnownKeys(value, ['world', 'overlap'], 'distributed');
  const { world, overlap = true } = value as Partial<DistributedFitOptions>;
  if (typeof overlap !== 'boolean') throw new ConfigError(`distributed.overlap must be a boolean, got ${describe(overlap)}`);
  return { world: checkWorld(world), overlap };
}

/** Checks fit options and applies their defaults; throws ConfigError naming the first problem. */
export function resolveFitOptions(options: FitOptions): ResolvedFitOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError(`fit options must be an object, got ${describe(options)}`);
  checkKnownKeys(options, FIT_KEYS, 'fit options');
  const epochs = checkInteger(options.epochs ?? 1, 'epochs', 0);
  const optimizer = resolveOptimizer(options.optimizer, options);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new ConfigError(`shuffle must be a boolean, got ${describe(shuffle)}`);
  const diagnostics = options.diagnostics ?? false;
  if (typeof diagnostics !== 'boolean') throw new ConfigError(`diagnostics must be a boolean, got ${describe(diagnostics)}`);
  const signal = options.signal;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw new ConfigError('signal must be an AbortSignal');
  if (signal?.aborted) throw new ConfigError('fit: the abort signal was already aborted before training started');
  if (options.validationData !== undefined && options.validationSplit !== undefined) {
    throw new ConfigError('give either validationData or validationSplit, not both');
  }
  if (options.validationData !== undefined && (!Array.isArray(options.validationData) || options.validationData.length !== 2)) {
    throw new ConfigError('validationData must be [x, y]');
  }
  return {
    epochs,
    batchSize: checkInteger(options.batchSize ?? 32, 'batchSize', 1),
    optimizer,
    baseLearningRate: checkLearningRate(options.learningRate ?? optimizer.defaultLearningRate),
    schedule: resolveSchedule(options.schedule, Math.max(epochs, 1)),
    reduceOnPlateau: resolvePlateau(options.reduceOnPlateau),
    shuffle,
    diagnostics,
    callbacks: resolveCallbacks(options.callbacks),
    signal,
    validationData: options.validationData,
    validationSplit: options.validationSplit === undefined ? undefined : checkNumber(options.validationSplit, 'validationSplit', 0, 1, true),
    earlyStopping: resolveEarlyStopping(options.earlyStopping),
    distributed: resolveDistributed(options.distributed),
    weights: { sampleWeight: options.sampleWeight, classWeight: options.classWeight },
  };
}
