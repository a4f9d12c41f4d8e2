// Numeric codes shared with the native engine (native/kernels/activations.h, losses.h, optimizers.h).
// Keep the numbers in step with the C++ enums.

/** Activation functions g in a^l = g(z^l). */
export type ActivationName = 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leaky-relu' | 'softmax';
/** Loss functions L(y, ŷ). */
export type LossName = 'mse' | 'cross-entropy' | 'binary-cross-entropy';

export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  identity: 0,
  sigmoid: 1,
  tanh: 2,
  relu: 3,
  'leaky-relu': 4,
  softmax: 5,
};

/** Every activation name, in code order. */
export const ACTIVATIONS = Object.keys(ACTIVATION_CODES) as ActivationName[];

export const LOSS_CODES: Readonly<Record<LossName, number>> = {
  mse: 0,
  'cross-entropy': 1,
  'binary-cross-entropy': 2,
};

/** Every loss name, in code order. */
export const LOSSES = Object.keys(LOSS_CODES) as LossName[];

/** The valid numeric codes, for backends checking what they are handed. */
export const ACTIVATION_CODE_VALUES: readonly number[] = Object.values(ACTIVATION_CODES);
export const LOSS_CODE_VALUES: readonly number[] = Object.values(LOSS_CODES);

export const OPTIMIZER_CODES = { sgd: 0, adam: 1, adamw: 2, rmsprop: 3, adagrad: 4 } as const;
export const OPTIMIZER_CODE_VALUES: readonly number[] = Object.values(OPTIMIZER_CODES);

/** Doubles per layer in a diagnostics record (native/kernels/diagnostics.h). */
export const DIAGNOSTICS_PER_LAYER = 5;
