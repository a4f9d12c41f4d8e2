// Optimizer and regularization options of fit/trainStep, resolved into the backends' OptimizerCall.
import { OPTIMIZER_CODES } from './codes';
import type { OptimizerCall } from './engine';
import { ConfigError } from './errors';
import { checkChoice, checkKnownKeys, checkNumber, describe } from './options';

/**
 * SGD, with optional momentum (Polyak 1964) or Nesterov momentum (Sutskever et al. 2013). Momentum
 * follows PyTorch: v ← μ v + g; the step is v (or g + μ v with Nesterov). Default learning rate 0.01.
 */
export interface SgdOptions {
  type: 'sgd';
  /** μ in [0, 1). Default 0 (plain SGD). */
  momentum?: number;
  /** Default false; needs momentum > 0. */
  nesterov?: boolean;
}

/**
 * Adam (Kingma & Ba 2015), as torch.optim.Adam: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g²,
 * p ← p − η m̂ / (√v̂ + ε) with the bias corrections m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ).
 * The fit option `weightDecay` adds λW to g (L2). Default learning rate 0.001.
 */
export interface AdamOptions {
  type: 'adam';
  /** In [0, 1). Default 0.9. */
  beta1?: number;
  /** In [0, 1). Default 0.999. */
  beta2?: number;
  /** > 0. Default 1e-8. */
  epsilon?: number;
}

/**
 * AdamW (Loshchilov & Hutter 2019), as torch.optim.AdamW: Adam with decoupled weight decay. Each
 * step first shrinks the weights, W ← W − η λ W (biases are not decayed), then takes the Adam step
 * on the gradient without any L2 term. Default learning rate 0.001.
 */
export interface AdamWOptions {
  type: 'adamw';
  /** In [0, 1). Default 0.9. */
  beta1?: number;
  /** In [0, 1). Default 0.999. */
  beta2?: number;
  /** > 0. Default 1e-8. */
  epsilon?: number;
  /** The decoupled decay λ ≥ 0, on weights only. Default 0.01. Replaces the fit option `weightDecay`, which AdamW refuses. */
  weightDecay?: number;
}

/**
 * RMSprop (Hinton 2012; centered: Graves 2013), as torch.optim.RMSprop: v ← α v + (1 − α) g²;
 * centered, a ← α a + (1 − α) g and the denominator uses v − a²; d = √v + ε (ε outside the root);
 * p ← p − η g / d, or with momentum m ← μ m + g / d, p ← p − η m. The fit option `weightDecay`
 * adds λW to g (L2), as PyTorch's weight_decay. Default learning rate 0.01.
 */
export interface RMSpropOptions {
  type: 'rmsprop';
  /** Smoothing constant in [0, 1). Default 0.99. */
  alpha?: number;
  /** > 0. Default 1e-8. */
  epsilon?: number;
  /** In [0, 1). Default 0. */
  momentum?: number;
  /** Normalize by an estimate of the variance instead of the mean square. Default false. */
  centered?: boolean;
}

/**
 * Adagrad (Duchi et al. 2011), as torch.optim.Adagrad with lr_decay 0 (use a `schedule` instead):
 * s ← s + g² with s starting at initialAccumulator, p ← p − η g / (√s + ε). The fit option
 * `weightDecay` adds λW to g (L2), as PyTorch's weight_decay. Default learning rate 0.01.
 */
export interface AdagradOptions {
  type: 'adagrad';
  /** > 0. Default 1e-10. */
  epsilon?: number;
  /** The value ≥ 0 the sum of squared gradients starts from. Default 0. */
  initialAccumulator?: number;
}

/** An optimizer by name (with its defaults) or with settings. Names and defaults follow torch.optim. */
export type OptimizerOptions =
  | 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad'
  | SgdOptions | AdamOptions | AdamWOptions | RMSpropOptions | AdagradOptions;

/** Every optimizer name. */
const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;

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

/** A number in [0, 1): a momentum, β or α. */
function checkFraction(value: unknown, fallback: number, name: string): number {
  return checkNumber(value ?? fallback, name, 0, 1, true);
}

/** A number > 0: ε. */
function checkEpsilon(value: unknown, fallback: number): number {
  const epsilon = checkNumber(value ?? fallback, 'optimizer.epsilon', 0);
  if (epsilon === 0) throw new ConfigError('optimizer.epsilon must be > 0');
  return epsilon;
}

function checkBoolean(value: unknown, fallback: boolean, name: string): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new ConfigError(`${name} must be a boolean, got ${describe(value)}`);
  return (value as boolean | undefined) ?? fallback;
}

/** Checks optimizer and regularization options and fills in the defaults; throws ConfigError naming the first problem. */
export function resolveOptimizer(optimizer: OptimizerOptions | undefined, reg: RegularizationOptions): ResolvedOptimizer {
  const options = typeof optimizer === 'string' ? { type: optimizer } : (optimizer ?? { type: 'sgd' as const });
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(`optimizer must be one of ${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')} or an object, got ${describe(optimizer)}`);
  }
  const type = checkChoice(options.type, 'optimizer', OPTIMIZER_NAMES);
  const regularization = {
    weightDecay: checkNumber(reg.weightDecay ?? 0, 'weightDecay', 0),
    maxNorm: checkNumber(reg.maxNorm ?? 0, 'maxNorm', 0),
    clipNorm: checkNumber(reg.clipNorm ?? 0, 'clipNorm', 0),
  };
  const o = options as Partial<Record<'momentum' | 'nesterov' | 'beta1' | 'beta2' | 'epsilon' | 'weightDecay' | 'alpha' | 'centered' | 'initialAccumulator', unknown>>;
  switch (type) {
    case 'sgd': {
      checkKnownKeys(options, ['type', 'momentum', 'nesterov'], 'optimizer');
      const momentum = checkFraction(o.momentum, 0, 'optimizer.momentum');
      const nesterov = checkBoolean(o.nesterov, false, 'optimizer.nesterov');
      if (nesterov && momentum === 0) throw new ConfigError('optimizer.nesterov needs momentum > 0');
      return {
        call: { type: OPTIMIZER_CODES.sgd, momentum, nesterov, ...regularization },
        stateKey: JSON.stringify(['sgd', momentum, nesterov]),
        defaultLearningRate: 0.01,
      };
    }
    case 'adam':
    case 'adamw': {
      const decoupled = type === 'adamw';
      checkKnownKeys(options, ['type', 'beta1', 'beta2', 'epsilon', ...(decoupled ? ['weightDecay'] : [])], 'optimizer');
      const beta1 = checkFraction(o.beta1, 0.9, 'optimizer.beta1');
      const beta2 = checkFraction(o.beta2, 0.999, 'optimizer.beta2');
      const epsilon = checkEpsilon(o.epsilon, 1e-8);
      let weightDecay = regularization.weightDecay;
      if (decoupled) {
        if (weightDecay !== 0) {
          throw new ConfigError("weightDecay (an L2 penalty added to the gradient) does not combine with optimizer 'adamw'; give AdamW's decoupled decay as optimizer.weightDecay");
        }
        weightDecay = checkNumber(o.weightDecay ?? 0.01, 'optimizer.weightDecay', 0);
      }
      return {
        call: { type: OPTIMIZER_CODES[type], beta1, beta2, epsilon, ...regularization, weightDecay },
        stateKey: JSON.stringify([type, beta1, beta2, epsilon]),
        defaultLearningRate: 0.001,
      };
    }
    case 'rmsprop': {
      checkKnownKeys(options, ['type', 'alpha', 'epsilon', 'momentum', 'centered'], 'optimizer');
      const alpha = checkFraction(o.alpha, 0.99, 'optimizer.alpha');
      const epsilon = checkEpsilon(o.epsilon, 1e-8);
      const momentum = checkFraction(o.momentum, 0, 'optimizer.momentum');
      const centered = checkBoolean(o.centered, false, 'optimizer.centered');
      return {
        call: { type: OPTIMIZER_CODES.rmsprop, alpha, epsilon, momentum, centered, ...regularization },
        stateKey: JSON.stringify(['rmsprop', alpha, epsilon, momentum, centered]),
        defaultLearningRate: 0.01,
      };
    }
    case 'adagrad': {
      checkKnownKeys(options, ['type', 'epsilon', 'initialAccumulator'], 'optimizer');
      const epsilon = checkEpsilon(o.epsilon, 1e-10);
      const initialAccumulator = checkNumber(o.initialAccumulator ?? 0, 'optimizer.initialAccumulator', 0);
      return {
        call: { type: OPTIMIZER_CODES.adagrad, epsilon, initialAccumulator, ...regularization },
        stateKey: JSON.stringify(['adagrad', epsilon, initialAccumulator]),
        defaultLearningRate: 0.01,
      };
    }
  }
}

/** Checks a learning rate: finite and > 0. */
export function checkLearningRate(value: unknown, name = 'learningRate'): number {
  const lr = checkNumber(value, name, 0);
  if (lr === 0) throw new ConfigError(`${name} must be > 0`);
  return lr;
}
