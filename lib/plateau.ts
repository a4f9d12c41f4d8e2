// Reduce the learning rate when a metric stops improving, as Keras's ReduceLROnPlateau and
// PyTorch's ReduceLROnPlateau (mode 'min', absolute threshold) do.
import { ConfigError } from './errors';
import { checkInteger, checkKnownKeys, checkNumber, describe } from './options';

/** Options of `reduceOnPlateau` in fit. */
export interface ReduceOnPlateauOptions {
  /** The metric to watch. Default `valLoss` when there is validation data, else `loss`. */
  monitor?: 'loss' | 'valLoss';
  /** The rate is multiplied by this when the metric has not improved for `patience` epochs. Default 0.1. */
  factor?: number;
  /** Epochs without improvement after which the rate is reduced (Keras's meaning). Default 10. */
  patience?: number;
  /** An improvement is a decrease by more than this. Default 1e-4. */
  minDelta?: number;
  /** Epochs after a reduction before the count starts again. Default 0. */
  cooldown?: number;
  /** The rate is never reduced below this. Default 0. */
  minLearningRate?: number;
}

/** Checked options with defaults (the monitor is settled once validation is known). */
export interface ResolvedPlateau {
  monitor: 'loss' | 'valLoss' | undefined;
  factor: number;
  patience: number;
  minDelta: number;
  cooldown: number;
  minLearningRate: number;
}

export function resolvePlateau(value: unknown): ResolvedPlateau | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null) throw new ConfigError(`reduceOnPlateau must be an object, got ${describe(value)}`);
  checkKnownKeys(value, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLearningRate'], 'reduceOnPlateau');
  const o = value as ReduceOnPlateauOptions;
  if (o.monitor !== undefined && o.monitor !== 'loss' && o.monitor !== 'valLoss') {
    throw new ConfigError(`reduceOnPlateau.monitor must be 'loss' or 'valLoss', got ${describe(o.monitor)}`);
  }
  return {
    monitor: o.monitor,
    factor: checkNumber(o.factor ?? 0.1, 'reduceOnPlateau.factor', 0, 1, true),
    patience: checkInteger(o.patience ?? 10, 'reduceOnPlateau.patience', 0),
    minDelta: checkNumber(o.minDelta ?? 1e-4, 'reduceOnPlateau.minDelta', 0),
    cooldown: checkInteger(o.cooldown ?? 0, 'reduceOnPlateau.cooldown', 0),
    minLearningRate: checkNumber(o.minLearningRate ?? 0, 'reduceOnPlateau.minLearningRate', 0),
  };
}

/** The multiplier reduceOnPlateau applies to the scheduled rate, updated once per epoch. */
export class PlateauReducer {
  /** Multiplies the scheduled learning rate. */
  scale = 1;
  private best = Infinity;
  private wait = 0;
  private cooling = 0;

  constructor(private readonly options: ResolvedPlateau) {}

  /** The rate to train at: the scheduled rate times the scale, never below minLearningRate (unless the schedule is). */
  apply(scheduled: number): number {
    return Math.max(scheduled * this.scale, Math.min(scheduled, this.options.minLearningRate));
  }

  /** Takes an epoch's value of the monitored metric; `scheduled` is the rate the epoch had before scaling. Keras's order of checks. */
  observe(value: number, scheduled: number): void {
    if (this.cooling > 0) {
      this.cooling--;
      this.wait = 0;
    }
    if (value < this.best - this.options.minDelta) {
      this.best = value;
      this.wait = 0;
    } else if (this.cooling === 0 && ++this.wait >= this.options.patience) {
      if (this.apply(scheduled) > this.options.minLearningRate) this.scale *= this.options.factor;
      this.cooling = this.options.cooldown;
      this.wait = 0;
    }
  }
}
