// Optimizer and regularization options of fit/trainStep, resolved into the backends' OptimizerCall.
import { OPTIMIZER_CODES } from './codes';
import type { OptimizerCall } from './engine';
import { ConfigError } from './errors';
import { checkChoice, checkKnownKeys, checkNumber, describe } from './options';

/**
 * `sgd` (with optional momentum, Nesterov: Sutskever et al. 2013) or `adam` (Kingma & Ba 2015).
 * Momentum follows PyTorch: v ← μ v + g; the step is v (or g + μ v with Nesterov).
 */
export type OptimizerOptions =
  | 'sgd'
  | 'adam'
  | { type: 'sgd'; momentum?: number; nesterov?: boolean }
  | { type: 'adam'; beta1?: number; beta2?: number; epsilon?: number };

/** Regularization applied by the optimizer step. */
export interface RegularizationOptions {
  /** L2 penalty λ: adds λW to the gradient of the weights (not the biases), i.e. ½λ‖W‖² to the loss. Default 0. */
  weightDecay?: number;
  /** Max-norm constraint: after each step every unit's incoming weight vector is rescaled to norm ≤ maxNorm (Srivastava et al. 2014). Default off. */
  maxNorm?: number;
  /** Gradient clipping: the whole gradient is rescaled to global L2 norm ≤ clipNorm before the step (Pascanu et al. 2013). Default off. */
  clipNorm?: number;
}

/** An optimizer resolved: the backend call without the learning rate, and a key that changes when its state must be reset. */
export interface ResolvedOptimizer {
  call: Omit<OptimizerCall, 'learningRate'>;
  /** Optimizer state persists across fit calls while this key stays the same. */
  stateKey: string;
  defaultLearningRate: number;
}

export function resolveOptimizer(optimizer: OptimizerOptions | undefined, reg: RegularizationOptions): ResolvedOptimizer {
  const options = typeof optimizer === 'string' ? { type: optimizer } : (optimizer ?? { type: 'sgd' as const });
  if (typeof options !== 'object' || options === null) throw new ConfigError(`optimizer must be 'sgd', 'adam' or an object, got ${describe(optimizer)}`);
  const type = checkChoice(options.type, 'optimizer', ['sgd', 'adam'] as const);
  const regularization = {
    weightDecay: checkNumber(reg.weightDecay ?? 0, 'weightDecay', 0),
    maxNorm: checkNumber(reg.maxNorm ?? 0, 'maxNorm', 0),
    clipNorm: checkNumber(reg.clipNorm ?? 0, 'clipNorm', 0),
  };
  if (type === 'sgd') {
    checkKnownKeys(options, ['type', 'momentum', 'nesterov'], 'optimizer');
    const o = options as { momentum?: number; nesterov?: boolean };
    const momentum = checkNumber(o.momentum ?? 0, 'optimizer.momentum', 0, 1, true);
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') throw new ConfigError(`optimizer.nesterov must be a boolean, got ${describe(o.nesterov)}`);
    const nesterov = o.nesterov ?? false;
    if (nesterov && momentum === 0) throw new ConfigError('optimizer.nesterov needs momentum > 0');
    return {
      call: { type: OPTIMIZER_CODES.sgd, momentum, nesterov, ...regularization },
      stateKey: JSON.stringify(['sgd', momentum, nesterov]),
      defaultLearningRate: 0.01,
    };
  }
  checkKnownKeys(options, ['type', 'beta1', 'beta2', 'epsilon'], 'optimizer');
  const o = options as { beta1?: number; beta2?: number; epsilon?: number };
  const beta1 = checkNumber(o.beta1 ?? 0.9, 'optimizer.beta1', 0, 1, true);
  const beta2 = checkNumber(o.beta2 ?? 0.999, 'optimizer.beta2', 0, 1, true);
  const epsilon = checkNumber(o.epsilon ?? 1e-8, 'optimizer.epsilon', 0);
  if (epsilon === 0) throw new ConfigError('optimizer.epsilon must be > 0');
  return {
    call: { type: OPTIMIZER_CODES.adam, beta1, beta2, epsilon, ...regularization },
    stateKey: JSON.stringify(['adam', beta1, beta2, epsilon]),
    defaultLearningRate: 0.001,
  };
}

/** Checks a learning rate: finite and > 0. */
export function checkLearningRate(value: unknown, name = 'learningRate'): number {
  const lr = checkNumber(value, name, 0);
  if (lr === 0) throw new ConfigError(`${name} must be > 0`);
  return lr;
}
