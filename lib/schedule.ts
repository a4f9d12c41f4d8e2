// Learning-rate schedules: a rate per epoch (epoch counted from 0 within one fit call), with an
// optional linear warmup in front, per epoch or per step.
import { ConfigError } from './errors';
import { checkChoice, checkInteger, checkKnownKeys, checkNumber, describe } from './options';

/** Linear warmup in front of any schedule. */
export interface WarmupOptions {
  /**
   * Epochs 0 … W−1 train at base·(e+1)/W, then the schedule starts, counted from the end of the
   * warmup (so `cosine` decays over the epochs after it), as Hugging Face's cosine-with-warmup.
   */
  warmupEpochs?: number;
  /** Step s (0-based, counted over the whole fit) trains at rate·min(1, (s+1)/S): a per-step ramp. */
  warmupSteps?: number;
}

/**
 * - `constant`: η.
 * - `step`: η · gamma^floor(epoch / stepSize) (gamma default 0.1).
 * - `exponential`: η · gamma^epoch.
 * - `cosine`: minLearningRate + (η − minLearningRate) · (1 + cos(π · epoch / epochs)) / 2 (Loshchilov & Hutter 2017, without restarts); epochs defaults to the fit's epochs (less any warmup epochs).
 *
 * Each takes {@link WarmupOptions}: `{ type: 'cosine', warmupEpochs: 2 }`.
 */
export type ScheduleOptions =
  | 'constant'
  | ({ type: 'constant' } & WarmupOptions)
  | ({ type: 'step'; stepSize: number; gamma?: number } & WarmupOptions)
  | ({ type: 'exponential'; gamma: number } & WarmupOptions)
  | ({ type: 'cosine'; epochs?: number; minLearningRate?: number } & WarmupOptions);

/** A resolved schedule. */
export interface Schedule {
  /** The rate of global step `step` (0-based over the fit) in `epoch`, for base rate `base`. */
  rate(base: number, epoch: number, step: number): number;
  /** Steps before the rate stops changing from step to step (the per-step warmup); 0 when it never does. */
  readonly perStepUntil: number;
}

const WARMUP_KEYS = ['warmupEpochs', 'warmupSteps'] as const;

/** The per-epoch rate of a schedule without warmup. */
function epochRate(options: { type: string }, type: 'constant' | 'step' | 'exponential' | 'cosine', epochs: number): (base: number, epoch: number) => number {
  switch (type) {
    case 'constant':
      checkKnownKeys(options, ['type', ...WARMUP_KEYS], 'schedule');
      return (base) => base;
    case 'step': {
      checkKnownKeys(options, ['type', 'stepSize', 'gamma', ...WARMUP_KEYS], 'schedule');
      const o = options as { stepSize?: number; gamma?: number };
      const stepSize = checkInteger(o.stepSize, 'schedule.stepSize', 1);
      const gamma = checkNumber(o.gamma ?? 0.1, 'schedule.gamma', 0, 1);
      return (base, epoch) => base * gamma ** Math.floor(epoch / stepSize);
    }
    case 'exponential': {
      checkKnownKeys(options, ['type', 'gamma', ...WARMUP_KEYS], 'schedule');
      const gamma = checkNumber((options as { gamma?: number }).gamma, 'schedule.gamma', 0, 1);
      return (base, epoch) => base * gamma ** epoch;
    }
    case 'cosine': {
      checkKnownKeys(options, ['type', 'epochs', 'minLearningRate', ...WARMUP_KEYS], 'schedule');
      const o = options as { epochs?: number; minLearningRate?: number };
      const period = checkInteger(o.epochs ?? epochs, 'schedule.epochs', 1);
      const min = checkNumber(o.minLearningRate ?? 0, 'schedule.minLearningRate', 0);
      return (base, epoch) => min + ((base - min) * (1 + Math.cos((Math.PI * Math.min(epoch, period)) / period))) / 2;
    }
  }
}

/** Resolves a schedule for a fit of `totalEpochs` epochs. */
export function resolveSchedule(schedule: ScheduleOptions | undefined, totalEpochs: number): Schedule {
  const options = typeof schedule === 'string' ? { type: schedule } : (schedule ?? { type: 'constant' as const });
  if (typeof options !== 'object' || options === null) throw new ConfigError(`schedule must be a name or an object, got ${describe(schedule)}`);
  const type = checkChoice(options.type, 'schedule', ['constant', 'step', 'exponential', 'cosine'] as const);
  const warmup = options as WarmupOptions;
  if (warmup.warmupEpochs !== undefined && warmup.warmupSteps !== undefined) throw new ConfigError('schedule: give warmupEpochs or warmupSteps, not both');
  const warmupEpochs = warmup.warmupEpochs === undefined ? 0 : checkInteger(warmup.warmupEpochs, 'schedule.warmupEpochs', 1);
  const warmupSteps = warmup.warmupSteps === undefined ? 0 : checkInteger(warmup.warmupSteps, 'schedule.warmupSteps', 1);
  const inner = epochRate(options, type, Math.max(totalEpochs - warmupEpochs, 1));
  return {
    perStepUntil: warmupSteps,
    rate(base, epoch, step) {
      if (epoch < warmupEpochs) return (base * (epoch + 1)) / warmupEpochs;
      const rate = inner(base, epoch - warmupEpochs);
      return step < warmupSteps ? (rate * (step + 1)) / warmupSteps : rate;
    },
  };
}
