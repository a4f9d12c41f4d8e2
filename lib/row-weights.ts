// Weights for imbalanced data: `sampleWeight` (one weight per row) times `classWeight` (one weight
// per class), resolved into the weight per row that the backends take (DatasetCall.weights).
// With weights, losses and gradients are weighted means, Σ w_i L_i / Σ w_i: the weights are
// normalized by their sum, as torch.nn.CrossEntropyLoss(weight=…) does, so scaling every weight by
// the same factor changes nothing and weights of 1 give the plain mean.
import type { LossName } from './codes';
import { floatArray, type DType, type FloatArray } from './dtype';
import { ConfigError, ShapeError } from './errors';
import type { FlatTargets } from './input';
import { checkKnownKeys, describe } from './options';

/**
 * Weights per row for `fit`, `evaluate` and `gradients`. A row's weight is its sample weight times
 * the weight of its class; losses and gradients become weighted means Σ w_i L_i / Σ w_i (each
 * training batch normalized by its own Σ w_i), and accuracy counts each row with its weight.
 */
export interface WeightOptions {
  /** One weight ≥ 0 per row of x (an array or a typed array). Default: every row weighs 1. */
  sampleWeight?: ArrayLike<number>;
  /**
   * A weight ≥ 0 per class label, for `cross-entropy` and `binary-cross-entropy` with a single
   * output; classes not listed weigh 1. A row's class is its label, the argmax of its target row
   * (cross-entropy), or its target ≥ 0.5 (binary cross-entropy: classes 0 and 1).
   */
  classWeight?: Readonly<Record<number, number>>;
}

/** The option keys of WeightOptions. */
export const WEIGHT_KEYS = ['sampleWeight', 'classWeight'] as const;

/** The network facts that weights are checked against. */
export interface WeightTarget {
  loss: LossName;
  outputs: number;
  dtype: DType;
}

/** The class weights as an array indexed by class (1 where not listed); throws ConfigError for a bad map. */
function classWeights(classWeight: unknown, target: WeightTarget, name: string): Float64Array {
  if (typeof classWeight !== 'object' || classWeight === null || Array.isArray(classWeight) || ArrayBuffer.isView(classWeight)) {
    throw new ConfigError(`${name}classWeight must be an object { [label]: weight }, got ${describe(classWeight)}`);
  }
  if (target.loss === 'mse') throw new ConfigError(`${name}classWeight needs loss 'cross-entropy' or 'binary-cross-entropy', not 'mse'`);
  if (target.loss === 'binary-cross-entropy' && target.outputs !== 1) {
    throw new ConfigError(`${name}classWeight with binary-cross-entropy needs a single output (classes 0 and 1); this network has ${target.outputs} outputs`);
  }
  const classes = target.loss === 'binary-cross-entropy' ? 2 : target.outputs;
  const weights = new Float64Array(classes).fill(1);
  for (const [key, value] of Object.entries(classWeight)) {
    const label = Number(key);
    if (!/^(0|[1-9][0-9]*)$/.test(key) || label >= classes) {
      throw new ConfigError(`${name}classWeight has the unknown class label '${key}'; labels are the integers 0 to ${classes - 1}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`${name}classWeight[${key}] is ${describe(value)}; weights must be finite numbers ≥ 0`);
    }
    weights[label] = value;
  }
  return weights;
}

/** The class of row r: its label, the argmax of its target row, or (binary cross-entropy) target ≥ 0.5. */
function rowClass(targets: FlatTargets, r: number, outputs: number): number {
  if (targets.labels) return targets.labels[r]!;
  const Y = targets.Y!;
  if (outputs === 1) return Y[r]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let j = 1; j < outputs; j++) if (Y[r * outputs + j]! > Y[r * outputs + best]!) best = j;
  return best;
}

/**
 * The weight of each of `rows` rows from `sampleWeight` × `classWeight`, in the network's dtype, or
 * null when neither is given (every row weighs 1). `name` prefixes error messages, which call the
 * sample weights `field` (a streamed batch's `w`). Throws ConfigError for a bad weight or class
 * map, ShapeError for sample weights of the wrong length.
 */
export function rowWeights(options: WeightOptions, target: WeightTarget, targets: FlatTargets, rows: number, name = '', field = 'sampleWeight'): FloatArray | null {
  const { sampleWeight, classWeight } = options;
  if (sampleWeight === undefined && classWeight === undefined) return null;
  const perClass = classWeight === undefined ? null : classWeights(classWeight, target, name);
  if (sampleWeight !== undefined) {
    const arrayLike = Array.isArray(sampleWeight) || (ArrayBuffer.isView(sampleWeight) && !(sampleWeight instanceof DataView));
    if (!arrayLike) throw new ConfigError(`${name}${field} must be an array or typed array of numbers, one per row, got ${describe(sampleWeight)}`);
    if (sampleWeight.length !== rows) throw new ShapeError(`${name}${field} has ${sampleWeight.length} weights but x has ${rows} rows`);
  }
  const weights = floatArray(target.dtype, rows);
  for (let r = 0; r < rows; r++) {
    const s: unknown = sampleWeight === undefined ? 1 : sampleWeight[r];
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
      throw new ConfigError(`${name}${field}[${r}] is ${describe(s)}; weights must be finite numbers ≥ 0`);
    }
    weights[r] = perClass === null ? s : s * perClass[rowClass(targets, r, target.outputs)]!;
    if (!Number.isFinite(weights[r]!)) throw new ConfigError(`${name}the weight of row ${r} (${s} × its class weight) overflows ${target.dtype}`);
  }
  return weights;
}

/**
 * Σ w of each of the first `steps` steps of `batchSize` rows (the last may be smaller) among `count`
 * rows, taken through `order` when given, into out[0 .. steps): the row counts without weights.
 */
export function stepWeightSums(out: Float64Array, steps: number, count: number, batchSize: number, weights: FloatArray | null, order: Int32Array | null = null): Float64Array {
  for (let k = 0; k < steps; k++) {
    const start = k * batchSize;
    const end = Math.min(start + batchSize, count);
    let sum = end - start;
    if (weights) {
      sum = 0;
      for (let i = start; i < end; i++) sum += weights[order ? order[i]! : i]!;
    }
    out[k] = sum;
  }
  return out;
}

/** Σ of weights[0 .. rows). */
export function weightTotal(weights: FloatArray, rows: number): number {
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += weights[r]!;
  return sum;
}

/** Σ of weights[0 .. rows); throws ConfigError when it is 0, for there is no weighted mean then. */
export function checkWeightTotal(weights: FloatArray, rows: number, what: string): number {
  const sum = weightTotal(weights, rows);
  if (!(sum > 0)) throw new ConfigError(`sampleWeight × classWeight gives every row of ${what} the weight 0; at least one weight must be > 0`);
  return sum;
}

/** Checks that `options` is an object with at most the WeightOptions keys; `where` names the call. */
export function checkWeightOptions(options: unknown, where: string): WeightOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new ConfigError(`${where}: weights must be an object { sampleWeight?, classWeight? }, got ${describe(options)}`);
  checkKnownKeys(options, WEIGHT_KEYS, where);
  return options as WeightOptions;
}
