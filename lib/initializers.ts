// Weight initializers (the lecture's list). Biases start at zero. All draws come from the network's
// seeded Rng in TypeScript, so the same seed gives the same initial weights on every backend.
import { ConfigError } from './errors';
import { checkChoice, checkKnownKeys, checkNumber } from './options';
import type { Rng } from './rng';
import type { FloatArray } from './dtype';

/** Initializer names. `xavier` = `glorot` (normal), `he` = `he-normal`. */
export type InitName =
  | 'zeros'
  | 'normal'
  | 'xavier'
  | 'glorot'
  | 'xavier-normal'
  | 'glorot-normal'
  | 'xavier-uniform'
  | 'glorot-uniform'
  | 'he'
  | 'he-normal'
  | 'he-uniform';

/** An initializer with parameters: `normal` with mean and std (default 0, 0.01), or every weight set to `value`. */
export type InitOptions =
  | { type: 'normal'; std?: number; mean?: number }
  | { type: 'constant'; value: number }
  | { type: Exclude<InitName, 'normal'> };

export type Init = InitName | InitOptions;

export const INIT_NAMES: readonly InitName[] = [
  'zeros', 'normal', 'xavier', 'glorot', 'xavier-normal', 'glorot-normal', 'xavier-uniform', 'glorot-uniform', 'he', 'he-normal', 'he-uniform',
];

/** The resolved form: a distribution and its scale. */
export type InitRule =
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'uniform'; limit: number };

/** Resolves an initializer for a layer with `fanIn` inputs and `fanOut` units. */
export function resolveInit(init: Init, fanIn: number, fanOut: number, where: string): InitRule {
  const options: InitOptions = typeof init === 'string' ? ({ type: init } as InitOptions) : init;
  if (typeof options !== 'object' || options === null) throw new ConfigError(`${where}.init must be a name or an object, got ${String(init)}`);
  const type = checkChoice(options.type, `${where}.init`, [...INIT_NAMES, 'constant'] as const);
  switch (type) {
    case 'zeros':
      checkKnownKeys(options, ['type'], `${where}.init`);
      return { kind: 'constant', value: 0 };
    case 'constant': {
      checkKnownKeys(options, ['type', 'value'], `${where}.init`);
      return { kind: 'constant', value: checkNumber((options as { value?: unknown }).value, `${where}.init.value`, -Infinity) };
    }
    case 'normal': {
      // "Small random numbers": N(0, 0.01²) by default.
      checkKnownKeys(options, ['type', 'std', 'mean'], `${where}.init`);
      const o = options as { std?: number; mean?: number };
      return { kind: 'normal', mean: checkNumber(o.mean ?? 0, `${where}.init.mean`, -Infinity), std: checkNumber(o.std ?? 0.01, `${where}.init.std`, 0) };
    }
    case 'xavier': case 'glorot': case 'xavier-normal': case 'glorot-normal':
      // Glorot & Bengio 2010: Var(W) = 2 / (n_in + n_out).
      checkKnownKeys(options, ['type'], `${where}.init`);
      return { kind: 'normal', mean: 0, std: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'xavier-uniform': case 'glorot-uniform':
      checkKnownKeys(options, ['type'], `${where}.init`);
      return { kind: 'uniform', limit: Math.sqrt(6 / (fanIn + fanOut)) };
    case 'he': case 'he-normal':
      // He et al. 2015: Var(W) = 2 / n_in, for ReLU layers.
      checkKnownKeys(options, ['type'], `${where}.init`);
      return { kind: 'normal', mean: 0, std: Math.sqrt(2 / fanIn) };
    case 'he-uniform':
      checkKnownKeys(options, ['type'], `${where}.init`);
      return { kind: 'uniform', limit: Math.sqrt(6 / fanIn) };
  }
}

/** Fills W (row-major [out × in]) by the rule, drawing from rng in order. */
export function fillWeights(W: FloatArray, rule: InitRule, rng: Rng): void {
  for (let k = 0; k < W.length; k++) {
    W[k] = rule.kind === 'constant' ? rule.value : rule.kind === 'normal' ? rule.mean + rule.std * rng.normal() : (2 * rng.uniform() - 1) * rule.limit;
  }
}
