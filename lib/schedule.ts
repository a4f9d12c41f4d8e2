// Learning-rate schedules, evaluated once per epoch (epoch counted from 0 within one fit call).
import { ConfigError } from './errors';
import { checkChoice, checkInteger, checkKnownKeys, checkNumber, describe } from './options';

/**
 * - `constant`: η.
 * - `step`: η · gamma^floor(epoch / stepSize) (gamma default 0.1).
 * - `exponential`: η · gamma^epoch.
 * - `cosine`: minLearningRate + (η − minLearningRate) · (1 + cos(π · epoch / epochs)) / 2 (Loshchilov & Hutter 2017, without restarts); epochs defaults to the fit's epochs.
 */
export type ScheduleOptions =
  | 'constant'
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma?: number }
  | { type: 'exponential'; gamma: number }
  | { type: 'cosine'; epochs?: number; minLearningRate?: number };

/** Returns the learning rate of each epoch for a base rate and the fit's epoch count. */
export function resolveSchedule(schedule: ScheduleOptions | undefined, totalEpochs: number): (base: number, epoch: number) => number {
  const options = typeof schedule === 'string' ? { type: schedule } : (schedule ?? { type: 'constant' as const });
  if (typeof options !== 'object' || options === null) throw new ConfigError(`schedule must be a name or an object, got ${describe(schedule)}`);
  const type = checkChoice(options.type, 'schedule', ['constant', 'step', 'exponential', 'cosine'] as const);
  switch (type) {
    case 'constant':
      checkKnownKeys(options, ['type'], 'schedule');
      return (base) => base;
    case 'step': {
      checkKnownKeys(options, ['type', 'stepSize', 'gamma'], 'schedule');
      const o = options as { stepSize?: number; gamma?: number };
      const stepSize = checkInteger(o.stepSize, 'schedule.stepSize', 1);
      const gamma = checkNumber(o.gamma ?? 0.1, 'schedule.gamma', 0, 1);
      return (base, epoch) => base * gamma ** Math.floor(epoch / stepSize);
    }
    case 'exponential': {
      checkKnownKeys(options, ['type', 'gamma'], 'schedule');
      const gamma = checkNumber((options as { gamma?: number }).gamma, 'schedule.gamma', 0, 1);
      return (base, epoch) => base * gamma ** epoch;
    }
    case 'cosine': {
      checkKnownKeys(options, ['type', 'epochs', 'minLearningRate'], 'schedule');
      const o = options as { epochs?: number; minLearningRate?: number };
      const period = checkInteger(o.epochs ?? totalEpochs, 'schedule.epochs', 1);
      const min = checkNumber(o.minLearningRate ?? 0, 'schedule.minLearningRate', 0);
      return (base, epoch) => min + ((base - min) * (1 + Math.cos((Math.PI * Math.min(epoch, period)) / period))) / 2;
    }
  }
}
