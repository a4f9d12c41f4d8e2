// `blasprop train`: load CSV or IDX data, build a softmax classifier, train it with a progress bar,
// then save the model, its preprocessing file and optionally an HTML report — only after training
// succeeded, and each output replaced atomically.
import { randomInt } from 'node:crypto';
import * as path from 'node:path';

import type { BackendChoice, BlasChoice, DType, MixedPrecision } from '../architecture';
import { backendInfo } from '../backend';
import { shardRows } from '../distributed/shard';
import { finalize, init, rootValue, type World } from '../distributed/world';
import type { ActivationName } from '../codes';
import type { History } from '../fit';
import type { FitOptions } from '../fit-options';
import { Network } from '../network';
import type { OptimizerOptions } from '../optimizer';
import { resolveSchedule, type ScheduleOptions } from '../schedule';
import { CliError, EXIT_INTERRUPTED, EXIT_USAGE } from './cli-error';
import { integer, metric, percent, seconds } from './format';
import { summarizeHistory } from './history-summary';
import { withInterruptSignal } from './interrupt';
import { machineInfo } from './machine-info';
import { layerNames, shapeText } from './network-summary';
import { preprocessingPath, serializePreprocessing } from './preprocessing';
import { TrainingProgress, outputMode } from './progress';
import { renderReport } from './report';
import { StagedOutputs, checkWritableTarget } from './staged-outputs';
import { loadTrainingData, type LabeledSet } from './training-data';

/** Activations allowed on hidden layers. */
export const HIDDEN_ACTIVATIONS = ['relu', 'leaky-relu', 'tanh', 'sigmoid', 'identity'] as const;
/** The CLI's optimizer names: `momentum` is SGD with (heavy-ball) momentum; the others are the library's, with its defaults. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;

/** The library's default learning rate of each CLI optimizer (lib/optimizer.ts). */
const DEFAULT_LEARNING_RATES: Readonly<Record<(typeof OPTIMIZERS)[number], number>> = {
  sgd: 0.01, momentum: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.01, adagrad: 0.01,
};

/** How the CLI names each optimizer in its output. */
const OPTIMIZER_TITLES: Readonly<Record<Exclude<(typeof OPTIMIZERS)[number], 'momentum'>, string>> = {
  sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', rmsprop: 'RMSprop', adagrad: 'Adagrad',
};
/** Learning-rate schedules the CLI offers. */
export const SCHEDULES = ['constant', 'cosine'] as const;

/** The options of `blasprop train`, as commander parses them. */
export interface TrainCommandOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
  layers: number[];
  activation: Exclude<ActivationName, 'softmax'>;
  epochs: number;
  batchSize: number;
  lr?: number;
  optimizer: (typeof OPTIMIZERS)[number];
  momentum?: number;
  schedule: (typeof SCHEDULES)[number];
  dropout: number;
  inputDropout: number;
  maxNorm?: number;
  weightDecay?: number;
  validationSplit: number;
  dtype: DType;
  mixedPrecision: MixedPrecision;
  blas: BlasChoice;
  seed?: number;
  backend: BackendChoice;
  out: string;
  report?: string;
  quiet?: boolean;
  json?: boolean;
  /** Data-parallel training under mpirun: rank r trains rows i ≡ r (mod N); rank 0 prints and writes. */
  distributed?: boolean;
}

function optimizerOptions(o: TrainCommandOptions): OptimizerOptions {
  if (o.momentum !== undefined && o.optimizer !== 'momentum') {
    throw new CliError(`--momentum applies to --optimizer momentum, not '${o.optimizer}'`, EXIT_USAGE);
  }
  if (o.optimizer === 'momentum') return { type: 'sgd', momentum: o.momentum ?? 0.9 };
  // AdamW's weight decay is its own decoupled decay, not the L2 penalty of the other optimizers.
  if (o.optimizer === 'adamw' && o.weightDecay !== undefined) return { type: 'adamw', weightDecay: o.weightDecay };
  return o.optimizer;
}

function describeOptimizer(o: TrainCommandOptions, lr: number): string {
  const name = o.optimizer === 'momentum' ? `SGD with momentum ${o.momentum ?? 0.9}` : OPTIMIZER_TITLES[o.optimizer];
  return `${name}, learning rate ${lr}${o.schedule === 'cosine' ? ' (cosine schedule)' : ''}`;
}

/** Refuses outputs that would overwrite an input or each other, and unwritable output paths. */
async function checkOutputs(o: TrainCommandOptions): Promise<void> {
  const inputs = [o.data, o.labels].filter((p): p is string => p !== undefined).map((p) => path.resolve(p));
  const outputs: [string, string][] = [['--out', o.out], ['--out', preprocessingPath(o.out)]];
  if (o.report !== undefined) outputs.push(['--report', o.report]);
  const seen = new Map<string, string>();
  for (const [option, file] of outputs) {
    const resolved = path.resolve(file);
    if (inputs.includes(resolved)) throw new CliError(`${option} '${file}' is also an input file; choose another output name`, EXIT_USAGE);
    const other = seen.get(resolved);
    if (other !== undefined) throw new CliError(`${option} '${file}' is the same file as ${other}`, EXIT_USAGE);
    seen.set(resolved, `${option} '${file}'`);
    await checkWritableTarget(file, option);
  }
}

/** Runs `blasprop train`. Throws CliError (or a library error) on failure; writes nothing then. */
export async function trainCommand(o: TrainCommandOptions): Promise<void> {
  const world: World | null = o.distributed ? init() : null;
  // Distributed, rank 0 alone prints and writes the outputs (it holds the same weights as every rank).
  const writer = world === null || world.rank === 0;
  const mode = writer ? outputMode(o) : 'quiet';
  const say = (line: string): void => {
    if (mode === 'human') process.stdout.write(`${line}\n`);
  };
  if (writer) await checkOutputs(o);
  const optimizer = optimizerOptions(o);
  const chosenSeed = o.seed ?? randomInt(0, 2 ** 32 - 1);
  // Every rank must split and initialize alike: rank 0's seed.
  const seed = world ? rootValue(chosenSeed) : chosenSeed;
  const started = performance.now();

  const data = await loadTrainingData({
    data: o.data, labels: o.labels, labelColumn: o.labelColumn, dtype: o.dtype, validationSplit: o.validationSplit, seed,
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const classes = data.preprocessing.classes;
  const net = new Network({
    inputs: data.train.x.shape[1],
    layers: [
      ...o.layers.map((units) => ({ units, activation: o.activation, ...(o.dropout > 0 ? { dropout: o.dropout } : {}) })),
      { units: classes.length, activation: 'softmax' as const },
    ],
    loss: 'cross-entropy',
    dtype: o.dtype,
    seed,
    backend: o.backend,
    blas: o.blas,
    ...(o.mixedPrecision === 'bfloat16' ? { mixedPrecision: o.mixedPrecision } : {}),
    ...(o.inputDropout > 0 ? { inputDropout: o.inputDropout } : {}),
  });
  const shard = (set: LabeledSet): LabeledSet => (world ? { x: shardRows(set.x, world), labels: shardRows(set.labels, world) } : set);
  const train = shard(data.train);
  const validationSet = data.validation ? shard(data.validation) : null;
  const trainRows = train.x.shape[0];
  const schedule: ScheduleOptions = o.schedule === 'cosine' ? { type: 'cosine' } : 'constant';
  const learningRate = o.lr ?? DEFAULT_LEARNING_RATES[o.optimizer];
  const lrAt = resolveSchedule(schedule, o.epochs);
  const batchSize = Math.min(o.batchSize, trainRows);
  const info = backendInfo();
  const backendText = net.backend === 'native' && info.blas ? `native backend (${info.blas.vendor}, ${info.blas.threads} threads)` : `${net.backend} backend`;
  say(`training ${shapeText(net.architecture)} (${integer(net.parameterCount)} parameters, ${classes.length} classes) on ${integer(data.train.x.shape[0])} rows` +
    `${data.validation ? `, validating on ${integer(data.validation.x.shape[0])}` : ''}; ${o.epochs} epochs of batch ${batchSize}; ${describeOptimizer(o, learningRate)}; ${backendText}; seed ${seed}` +
    `${world ? `; distributed over ${world.size} ranks (rows i ≡ rank mod ${world.size}, batch ${batchSize} per rank)` : ''}`);

  const progress = new TrainingProgress({ mode, epochs: o.epochs, trainRows, heldOutName: 'val', learningRate: (e) => lrAt.rate(learningRate, e, Infinity) });
  const fitOptions: FitOptions = {
    epochs: o.epochs,
    batchSize,
    learningRate,
    optimizer,
    schedule,
    callbacks: progress.callbacks,
    diagnostics: o.report !== undefined,
    ...(validationSet ? { validationData: [validationSet.x, validationSet.labels] as [typeof validationSet.x, Int32Array] } : {}),
    ...(o.maxNorm !== undefined ? { maxNorm: o.maxNorm } : {}),
    ...(o.weightDecay !== undefined && o.optimizer !== 'adamw' ? { weightDecay: o.weightDecay } : {}),
    ...(world ? { distributed: world } : {}),
  };
  const fitStarted = performance.now();
  let run: { result: History; interrupted: boolean };
  try {
    run = await withInterruptSignal((signal) => net.fit(train.x, train.labels, { ...fitOptions, signal }));
  } finally {
    progress.stop();
  }
  const fitSeconds = (performance.now() - fitStarted) / 1000;
  if (run.interrupted) throw new CliError('interrupted; nothing was written', EXIT_INTERRUPTED);
  const history = run.result;
  if (!writer) return finalize();
  // All ranks' rows count (with unequal shards, a few past the fewest steps are left out of each epoch).
  const summary = summarizeHistory(history, data.train.x.shape[0]);
  const last = summary.last;

  // All work succeeded: stage the outputs, then put them in place.
  const staged = new StagedOutputs();
  const savingStarted = performance.now();
  try {
    await staged.stageText(preprocessingPath(o.out), serializePreprocessing(data.preprocessing));
    await staged.stage(o.out, (temporary) => net.save(temporary));
    if (o.report !== undefined) {
      const validation = data.validation;
      await staged.stageText(o.report, renderReport({
        title: `blasprop training report: ${path.basename(o.data)}`,
        description: `A ${shapeText(net.architecture)} softmax classifier trained with blasprop train on ${o.data}${o.labels ? ` (labels ${o.labels})` : ''}.`,
        createdAt: new Date(),
        history,
        layerNames: layerNames(net.architecture),
        trainRows: data.train.x.shape[0],
        trainingSeconds: summary.trainingSeconds,
        samplesPerSecond: summary.samplesPerSecond,
        ...(validation && last
          ? { heldOut: { name: 'validation', description: `a seeded random ${percent(o.validationSplit, 0)} of the rows, held out from training`, rows: validation.x.shape[0], ...(last.valLoss !== undefined ? { loss: last.valLoss } : {}), ...(last.valAccuracy !== undefined ? { accuracy: last.valAccuracy } : {}) } }
          : {}),
        timings: { 'loading data': loadSeconds, 'fit (training and validation)': fitSeconds },
        configuration: trainConfiguration(o, net, learningRate, batchSize, seed),
        backend: info,
        machine: machineInfo(),
      }));
    }
    await staged.commit();
  } catch (e) {
    await staged.discard();
    throw e;
  }
  const saveSeconds = (performance.now() - savingStarted) / 1000;

  const result = {
    event: 'done' as const,
    epochs: summary.epochs,
    trainingSeconds: summary.trainingSeconds,
    samplesPerSecond: summary.samplesPerSecond,
    ...(last ? { loss: last.loss, accuracy: last.accuracy, valLoss: last.valLoss, valAccuracy: last.valAccuracy } : {}),
    seed,
    model: o.out,
    preprocessing: preprocessingPath(o.out),
    ...(o.report !== undefined ? { report: o.report } : {}),
  };
  finalize();
  if (mode === 'json') {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const metrics: string[] = [];
  if (last?.valAccuracy !== undefined) metrics.push(`val accuracy ${percent(last.valAccuracy)} (loss ${metric(last.valLoss!)})`);
  if (last?.accuracy !== undefined) metrics.push(`train accuracy ${percent(last.accuracy)} (loss ${metric(last.loss)})`);
  const outputs = [o.out, preprocessingPath(o.out), ...(o.report !== undefined ? [o.report] : [])].join(', ');
  if (mode === 'quiet') {
    process.stdout.write(`${metrics.join('; ')}; saved ${outputs}\n`);
    return;
  }
  say(`trained ${summary.epochs} epochs in ${seconds(summary.trainingSeconds)} (${integer(summary.samplesPerSecond)} samples/s): ${metrics.join('; ')}`);
  say(`saved ${outputs} (${seconds(saveSeconds)})`);
}

/** The configuration table of the report. */
function trainConfiguration(o: TrainCommandOptions, net: Network, learningRate: number, batchSize: number, seed: number): Record<string, string | number | boolean> {
  return {
    network: `${shapeText(net.architecture)}, ${o.activation} hidden layers, softmax output, cross-entropy loss`,
    parameters: integer(net.parameterCount),
    dtype: o.dtype,
    'matrix products': o.mixedPrecision === 'bfloat16' ? `${net.blas}, bfloat16 inputs, float32 accumulation` : net.blas,
    optimizer: describeOptimizer(o, learningRate),
    'batch size': batchSize,
    epochs: o.epochs,
    ...(o.dropout > 0 ? { dropout: o.dropout } : {}),
    ...(o.inputDropout > 0 ? { 'input dropout': o.inputDropout } : {}),
    ...(o.maxNorm !== undefined ? { 'max-norm': o.maxNorm } : {}),
    ...(o.weightDecay !== undefined ? { 'weight decay': o.weightDecay } : {}),
    seed,
    backend: net.backend,
    data: o.labels ? `${o.data} + ${o.labels}` : o.data,
  };
}
