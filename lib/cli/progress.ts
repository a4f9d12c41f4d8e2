// Progress of a training run in the terminal, as fit callbacks. Three modes:
// - human: per epoch a progress bar on stderr (samples/s, running loss, ETA of the epoch and of the
//   whole run), redrawn by cli-progress on a timer while `fit` runs on the libuv thread pool, then
//   one line per epoch on stdout with the training and validation metrics;
// - json: one JSON object per line on stdout per epoch (for logs), no bar;
// - quiet: nothing (the command prints only its final result).
// The bar is only drawn when stderr is a terminal, so redirected output stays clean.
import { SingleBar } from 'cli-progress';

import type { BatchLogs, EpochLogs, FitCallbacks } from '../fit-options';
import { duration, integer, metric, percent, seconds } from './format';

/** How a command reports: human-readable with bars, JSON lines, or only the final result. */
export type OutputMode = 'human' | 'json' | 'quiet';

/** The mode chosen by the `--quiet` and `--json` flags (human output when neither is given). */
export function outputMode(flags: { quiet?: boolean; json?: boolean }): OutputMode {
  return flags.json ? 'json' : flags.quiet ? 'quiet' : 'human';
}

/** Options of {@link TrainingProgress}. */
export interface TrainingProgressOptions {
  mode: OutputMode;
  /** Epochs of the fit. */
  epochs: number;
  /** Training rows per epoch (after any validation split). */
  trainRows: number;
  /** Name of the held-out set in epoch lines: `val` (a validation split) or `test`. */
  heldOutName?: string;
  /** The learning rate of an epoch (0-based), for the epoch lines. */
  learningRate?: (epoch: number) => number;
  /** Writes one line of results (default: process.stdout). */
  writeLine?: (line: string) => void;
  /** Where the bar is drawn (default: process.stderr). */
  barStream?: NodeJS.WritableStream;
}

/** One epoch as reported in JSON lines and kept for the final summary. */
export interface EpochProgress extends EpochLogs {
  event: 'epoch';
  /** 1-based. */
  epoch: number;
  epochs: number;
  learningRate?: number;
  /** Wall-clock seconds of the epoch's training steps, as measured by the progress reporter. */
  seconds: number;
  samplesPerSecond: number;
}

/** Progress reporting for one fit call; pass {@link TrainingProgress.callbacks} to fit and call {@link TrainingProgress.stop} afterwards. */
export class TrainingProgress {
  private readonly bar: SingleBar | null;
  private readonly writeLine: (line: string) => void;
  private readonly heldOut: string;
  private barRunning = false;
  private epoch = 0;
  private samples = 0;
  private lossSum = 0;
  private epochStart = 0;
  private lastBatchAt = 0;
  private readonly runStart: number;
  /** Wall-clock seconds of completed epochs, validation included (for the run's ETA). */
  private completedWall = 0;

  constructor(private readonly options: TrainingProgressOptions) {
    this.writeLine = options.writeLine ?? ((line) => process.stdout.write(`${line}\n`));
    this.heldOut = options.heldOutName ?? 'val';
    const stream = options.barStream ?? process.stderr;
    const tty = (stream as NodeJS.WriteStream).isTTY === true;
    this.bar = options.mode === 'human' && tty
      ? new SingleBar({
          stream,
          format: 'epoch {epoch} {bar} {percentage}% | {rate} samples/s | loss {loss} | ETA {etaEpoch} (run {etaRun})',
          barsize: 24,
          barCompleteChar: '█',
          barIncompleteChar: '░',
          clearOnComplete: true,
          hideCursor: true,
          // Ctrl-C is handled by the command (it aborts the fit and stops the bar).
          gracefulExit: false,
          fps: 8,
        })
      : null;
    this.runStart = performance.now();
    this.epochStart = this.runStart;
  }

  /** The callbacks to pass to `fit`. */
  get callbacks(): FitCallbacks {
    return {
      onBatchEnd: (_batch, logs) => this.onBatchEnd(logs),
      onEpochEnd: (epoch, logs) => this.onEpochEnd(epoch, logs),
    };
  }

  private epochLabel(): string {
    const width = String(this.options.epochs).length;
    return `${String(this.epoch + 1).padStart(width)}/${this.options.epochs}`;
  }

  private onBatchEnd(logs: BatchLogs): void {
    this.lastBatchAt = performance.now();
    this.samples += logs.size;
    this.lossSum += logs.loss * logs.size;
    if (!this.bar) return;
    const elapsed = (this.lastBatchAt - this.epochStart) / 1000;
    const rate = this.samples / Math.max(elapsed, 1e-9);
    const remaining = (this.options.trainRows - this.samples) / rate;
    const epochsLeft = this.options.epochs - this.epoch - 1;
    const perEpoch = this.epoch > 0 ? this.completedWall / this.epoch : this.options.trainRows / rate;
    const payload = {
      epoch: this.epochLabel(),
      rate: integer(rate),
      loss: metric(this.lossSum / this.samples),
      etaEpoch: duration(remaining),
      etaRun: duration(remaining + epochsLeft * perEpoch),
    };
    if (!this.barRunning) {
      this.bar.start(this.options.trainRows, this.samples, payload);
      this.barRunning = true;
    } else {
      this.bar.update(this.samples, payload);
    }
  }

  private onEpochEnd(epoch: number, logs: EpochLogs): void {
    this.stop();
    const now = performance.now();
    const trainSeconds = ((this.lastBatchAt || now) - this.epochStart) / 1000;
    const record: EpochProgress = {
      event: 'epoch',
      epoch: epoch + 1,
      epochs: this.options.epochs,
      ...logs,
      ...(this.options.learningRate ? { learningRate: this.options.learningRate(epoch) } : {}),
      seconds: trainSeconds,
      samplesPerSecond: this.options.trainRows / Math.max(trainSeconds, 1e-9),
    };
    this.completedWall += (now - this.epochStart) / 1000;
    this.epoch = epoch + 1;
    this.samples = 0;
    this.lossSum = 0;
    this.epochStart = now;
    if (this.options.mode === 'json') this.writeLine(JSON.stringify(record));
    else if (this.options.mode === 'human') this.writeLine(this.epochLine(record));
  }

  /** `epoch  3/10  loss 0.0712  acc 97.91% | val loss 0.0810  val acc 97.62% | lr 0.0905 | 14,210 samples/s  4.21 s` */
  private epochLine(r: EpochProgress): string {
    const parts = [`epoch ${String(r.epoch).padStart(String(r.epochs).length)}/${r.epochs}`, `loss ${metric(r.loss)}`];
    if (r.accuracy !== undefined) parts.push(`acc ${percent(r.accuracy)}`);
    const held: string[] = [];
    if (r.valLoss !== undefined) held.push(`${this.heldOut} loss ${metric(r.valLoss)}`);
    if (r.valAccuracy !== undefined) held.push(`${this.heldOut} acc ${percent(r.valAccuracy)}`);
    const tail = [`${integer(r.samplesPerSecond)} samples/s`, seconds(r.seconds)];
    if (r.learningRate !== undefined) tail.unshift(`lr ${Number(r.learningRate.toPrecision(3))}`);
    return [parts.join('  '), ...(held.length ? [held.join('  ')] : []), tail.join('  ')].join(' | ');
  }

  /** Stops and clears the bar (call after fit, also when it failed or was aborted). */
  stop(): void {
    if (this.bar && this.barRunning) {
      this.bar.stop();
      this.barRunning = false;
    }
  }
}
