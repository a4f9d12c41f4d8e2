// The bookkeeping of one fit call, shared by the matrix loop and the streaming loop: the learning
// rate of each chunk of steps (schedule, warmup, reduceOnPlateau), epoch sums, onBatchEnd and
// onEpochEnd, the history, and early stopping with the best weights.
import { DIAGNOSTICS_PER_LAYER } from './codes';
import type { DataParallel } from './distributed/data-parallel';
import type { FloatArray } from './dtype';
import type { LossStats } from './engine';
import { ConfigError } from './errors';
import type { EpochRecord, FitTarget, History, LayerDiagnostics } from './fit-types';
import type { EpochLogs, ResolvedFitOptions } from './fit-options';
import { accuracyDenominator, evaluationFromSums, reportsAccuracy } from './metrics';
import { PlateauReducer } from './plateau';

function readDiagnostics(raw: Float64Array, layers: number): LayerDiagnostics[] {
  const out: LayerDiagnostics[] = [];
  for (let l = 0; l < layers; l++) {
    const d = raw.subarray(l * DIAGNOSTICS_PER_LAYER, (l + 1) * DIAGNOSTICS_PER_LAYER);
    out.push({ weightGradNorm: d[0]!, biasGradNorm: d[1]!, activationMean: d[2]!, activationStd: d[3]!, deadFraction: Number.isNaN(d[4]!) ? null : d[4]! });
  }
  return out;
}

/** Which metric a monitor option watches: the one named, else valLoss when there is validation data. */
function settleMonitor(named: 'loss' | 'valLoss' | undefined, hasValidation: boolean, option: string): 'loss' | 'valLoss' {
  const monitor = named ?? (hasValidation ? 'valLoss' : 'loss');
  if (monitor === 'valLoss' && !hasValidation) throw new ConfigError(`${option}.monitor 'valLoss' needs validationData or validationSplit`);
  return monitor;
}

export class FitRun {
  readonly history: History = { epochs: [], loss: [], stopReason: 'completed' };
  /** With diagnostics: receives the statistics of each epoch's last step. */
  readonly diagnostics: Float64Array | null;
  private readonly earlyMonitor: 'loss' | 'valLoss';
  private readonly plateauMonitor: 'loss' | 'valLoss';
  private readonly plateau: PlateauReducer | null;
  private epoch = -1;
  private started = 0;
  private lossSum = 0;
  private correct = 0;
  private rows = 0;
  /** Σ w of the epoch's rows (the row count without weights): the denominator of its loss and accuracy. */
  private weight = 0;
  private learningRate = 0;
  private scheduled = 0;
  /** Steps taken in this fit (the per-step warmup counts them), and batches for onBatchEnd. */
  private step = 0;
  private best = Infinity;
  private bestEpoch = -1;
  private sinceBest = 0;
  private bestParams: FloatArray | null = null;

  /**
   * Checks what needs to know whether there is validation data; throws ConfigError before anything
   * changes. In a data-parallel fit, `ranks` sums the epoch's numbers across ranks.
   */
  constructor(private readonly target: FitTarget, private readonly options: ResolvedFitOptions, hasValidation: boolean,
              private readonly ranks: DataParallel | null = null) {
    this.earlyMonitor = settleMonitor(options.earlyStopping?.monitor, hasValidation, 'earlyStopping');
    this.plateauMonitor = settleMonitor(options.reduceOnPlateau?.monitor, hasValidation, 'reduceOnPlateau');
    this.plateau = options.reduceOnPlateau ? new PlateauReducer(options.reduceOnPlateau) : null;
    this.diagnostics = options.diagnostics ? new Float64Array(target.architecture.layers.length * DIAGNOSTICS_PER_LAYER) : null;
  }

  /** True when the abort signal fired; the history then says so. */
  aborted(): boolean {
    if (!this.signalled) return false;
    this.markAborted();
    return true;
  }

  /** Whether this process's abort signal fired. */
  get signalled(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** Training stops here because of an abort signal (of this rank or, distributed, another). */
  markAborted(): History {
    this.history.stopReason = 'aborted';
    return this.history;
  }

  startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.started = performance.now();
    this.lossSum = 0;
    this.correct = 0;
    this.rows = 0;
    this.weight = 0;
  }

  /** How many steps the next chunk may take: `wanted`, or 1 while the rate changes from step to step (per-step warmup). */
  chunkSteps(wanted: number): number {
    return this.step < this.options.schedule.perStepUntil ? 1 : wanted;
  }

  /** The learning rate of the next step (schedule, warmup, reduceOnPlateau). */
  currentRate(): number {
    const o = this.options;
    this.scheduled = o.schedule.rate(o.baseLearningRate, this.epoch, this.step);
    this.learningRate = this.plateau ? this.plateau.apply(this.scheduled) : this.scheduled;
    return this.learningRate;
  }

  /**
   * Takes the result of a chunk of `count` rows in steps of `batchSize` (the last may be smaller);
   * with row weights, `stepWeights` holds each step's Σ w (TrainCall.stepWeights).
   */
  recordChunk(stepLosses: Float64Array, count: number, batchSize: number, stats: LossStats, stepWeights: Float64Array | null = null): void {
    const steps = Math.ceil(count / batchSize);
    const rowsOf = (k: number): number => Math.min(batchSize, count - k * batchSize);
    // Summed step by step, so the epoch's loss does not depend on how steps were chunked.
    for (let k = 0; k < steps; k++) {
      const weight = stepWeights ? stepWeights[k]! : rowsOf(k);
      this.lossSum += stepLosses[k]! * weight;
      this.weight += weight;
    }
    this.correct += stats.correct;
    this.rows += count;
    const onBatchEnd = this.options.callbacks.onBatchEnd;
    if (onBatchEnd) {
      const first = this.step;
      this.target.duringCallback(() => {
        const rank = this.ranks ? { rank: this.ranks.rank } : {};
        for (let k = 0; k < steps; k++) onBatchEnd(first + k, { loss: stepLosses[k]!, size: rowsOf(k), ...rank });
      });
    }
    this.step += steps;
  }

  /** Rows trained so far in this epoch. */
  get epochRows(): number {
    return this.rows;
  }

  /** Σ w of the rows trained so far in this epoch (their count without weights). */
  get epochWeight(): number {
    return this.weight;
  }

  /**
   * Closes the epoch: its record, callbacks, plateau and early stopping. Returns true when training
   * must stop. Distributed, the sums of training and validation are taken over all ranks first, so
   * every rank records the same metrics and takes the same decisions.
   */
  endEpoch(validation: { stats: LossStats; rows: number } | null): boolean {
    const { loss } = this.target.architecture;
    const outputs = this.target.outputs;
    const seconds = (performance.now() - this.started) / 1000;
    const sums = Float64Array.of(this.lossSum, this.correct, this.rows, this.weight, validation?.stats.lossSum ?? 0, validation?.stats.correct ?? 0, validation?.rows ?? 0);
    this.ranks?.sum(sums);
    const [lossSum, correct, rows, weight, valLossSum, valCorrect, valRows] = sums;
    const record: EpochRecord = {
      epoch: this.epoch, loss: lossSum / weight, learningRate: this.learningRate, seconds, samplesPerSecond: rows / Math.max(seconds, 1e-9),
    };
    if (reportsAccuracy(loss)) record.accuracy = correct / accuracyDenominator(loss, outputs, weight);
    if (validation) {
      const evaluation = evaluationFromSums(loss, outputs, valLossSum, valCorrect, valRows);
      record.valLoss = evaluation.loss;
      if (evaluation.accuracy !== undefined) record.valAccuracy = evaluation.accuracy;
    }
    if (this.diagnostics) record.diagnostics = readDiagnostics(this.diagnostics, this.target.architecture.layers.length);
    this.history.epochs.push(record);
    this.history.loss.push(record.loss);
    const logs: EpochLogs = { loss: record.loss };
    for (const key of ['accuracy', 'valLoss', 'valAccuracy'] as const) if (record[key] !== undefined) logs[key] = record[key];
    if (this.ranks) logs.rank = this.ranks.rank;
    const onEpochEnd = this.options.callbacks.onEpochEnd;
    if (onEpochEnd) this.target.duringCallback(() => onEpochEnd(this.epoch, logs));

    const metric = (monitor: 'loss' | 'valLoss'): number => (monitor === 'valLoss' ? record.valLoss! : record.loss);
    this.plateau?.observe(metric(this.plateauMonitor), this.scheduled);
    const early = this.options.earlyStopping;
    if (!early) return false;
    const value = metric(this.earlyMonitor);
    if (value < this.best - early.minDelta) {
      this.best = value;
      this.bestEpoch = this.epoch;
      this.sinceBest = 0;
      if (early.restoreBest) this.bestParams = this.target.snapshotParams();
      return false;
    }
    if (++this.sinceBest < early.patience) return false;
    this.history.stopReason = 'early-stopping';
    return true;
  }

  /** The history, with the best weights put back when early stopping asks for it. */
  finish(): History {
    if (this.options.earlyStopping && this.bestEpoch >= 0) {
      this.history.bestEpoch = this.bestEpoch;
      if (this.bestParams) this.target.restoreParams(this.bestParams);
    }
    return this.history;
  }
}
