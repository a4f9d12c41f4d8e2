// The network definition users write (NetworkOptions), validated and resolved into the
// Architecture the backends, persistence and ONNX export share.
import { ACTIVATIONS, LOSSES, type ActivationName, type LossName } from './codes';
import { DTYPES, type DType } from './dtype';
import { ConfigError } from './errors';
import { resolveInit, type Init, type InitRule } from './initializers';
import { checkInferenceWorkspace, checkParameterCount } from './limits';
import { checkChoice, checkInteger, checkKnownKeys, checkNumber } from './options';

export type { DType };
/** Every backend choice. */
export const BACKEND_CHOICES = ['auto', 'native', 'wasm', 'js'] as const;
/**
 * Which backend runs the math: `auto` prefers native, then WebAssembly (with one warning), then TypeScript;
 * `native`, `wasm` and `js` ask for one and throw BackendError when it cannot load.
 */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** Every choice of the library behind the native matrix products. */
export const BLAS_CHOICES = ['auto', 'openblas', 'onednn'] as const;
/**
 * Which library runs the native backend's matrix products: `auto` picks the faster for the dtype,
 * the CPU and the network's size (see lib/products.ts for the rule and the measurements behind it).
 */
export type BlasChoice = (typeof BLAS_CHOICES)[number];
/** Every mixed-precision setting. */
export const MIXED_PRECISIONS = ['none', 'bfloat16'] as const;
/** `bfloat16`: the products take bf16 inputs and accumulate in float32; everything else stays float32. */
export type MixedPrecision = (typeof MIXED_PRECISIONS)[number];
/** Every precision of predict and evaluate in a mixed-precision network. */
export const INFERENCE_PRECISIONS = ['bfloat16', 'float32'] as const;
/** Precision of predict and evaluate in a mixed-precision network. */
export type InferencePrecision = (typeof INFERENCE_PRECISIONS)[number];

/** One dense layer. */
export interface LayerOptions {
  /** Number of units (outputs) of the layer. */
  units: number;
  /** Activation g. Default: `relu` for hidden layers; for the output layer `softmax` with cross-entropy, `sigmoid` with binary cross-entropy, `identity` with mse. */
  activation?: ActivationName;
  /** Negative-side slope of `leaky-relu` (default 0.01). */
  slope?: number;
  /** Weight initializer. Default: He for ReLU-family layers, Xavier (Glorot) normal otherwise. */
  init?: Init;
  /** Dropout probability applied to this hidden layer's output during training (Srivastava et al. 2014). Default 0. */
  dropout?: number;
}

/** Options of `new Network(...)`. */
export interface NetworkOptions {
  /** Number of input features. */
  inputs: number;
  /** Hidden layers then the output layer. */
  layers: LayerOptions[];
  /** Loss: `mse` (½ Σ (y − a)²), `cross-entropy` (softmax output), `binary-cross-entropy` (sigmoid output). Means over the batch. */
  loss: LossName;
  /** Default `float32`. */
  dtype?: DType;
  /** Seed of every random choice (initial weights, shuffling, dropout masks). Default: a random seed, readable as `network.seed`. */
  seed?: number;
  /** Default `auto` (or the BLASPROP_BACKEND environment variable). */
  backend?: BackendChoice;
  /** Dropout probability applied to the input features during training. Default 0. */
  inputDropout?: number;
  /** The library behind the native products. Default `auto` (or the BLASPROP_BLAS environment variable). */
  blas?: BlasChoice;
  /**
   * `bfloat16` (float32 networks only): the products of training, predict and evaluate take
   * bfloat16 inputs (rounded to nearest even, 8 significant bits) and accumulate in float32, on
   * oneDNN; master weights, gradients, optimizer state, losses and saved models stay float32.
   * Needs a CPU where oneDNN has bf16 kernels (avx512_core_bf16 or avx512_core_amx), else BackendError.
   * Default `none`.
   */
  mixedPrecision?: MixedPrecision;
  /** With `mixedPrecision: 'bfloat16'`: run predict and evaluate in `float32` instead. Default `bfloat16`. */
  inferencePrecision?: InferencePrecision;
}

/** A resolved layer. */
export interface ResolvedLayer {
  units: number;
  activation: ActivationName;
  slope: number;
  init: InitRule;
  dropout: number;
}

/** The validated shape of a network. */
export interface Architecture {
  inputs: number;
  layers: ResolvedLayer[];
  loss: LossName;
  dtype: DType;
  inputDropout: number;
  mixedPrecision: MixedPrecision;
  inferencePrecision: InferencePrecision;
}

const LAYER_KEYS = ['units', 'activation', 'slope', 'init', 'dropout'] as const;
const NETWORK_KEYS = ['inputs', 'layers', 'loss', 'dtype', 'seed', 'backend', 'inputDropout', 'blas', 'mixedPrecision', 'inferencePrecision'] as const;
/** Largest layer width the native engine accepts (native/napi/network_wrap.cc). */
const MAX_UNITS = 1 << 24;

function defaultOutputActivation(loss: LossName): ActivationName {
  return loss === 'cross-entropy' ? 'softmax' : loss === 'binary-cross-entropy' ? 'sigmoid' : 'identity';
}

/** Validates NetworkOptions, sizes included (lib/limits.ts); throws ConfigError naming the first problem. */
export function resolveArchitecture(options: NetworkOptions): Architecture {
  if (typeof options !== 'object' || options === null) throw new ConfigError('new Network(options): options must be an object');
  checkKnownKeys(options, NETWORK_KEYS, 'Network options');
  const inputs = checkInteger(options.inputs, 'inputs', 1, MAX_UNITS);
  const loss = checkChoice(options.loss, 'loss', LOSSES);
  const dtype = checkChoice(options.dtype ?? 'float32', 'dtype', DTYPES);
  const inputDropout = checkNumber(options.inputDropout ?? 0, 'inputDropout', 0, 1, true);
  checkChoice(options.backend ?? 'auto', 'backend', BACKEND_CHOICES);
  checkChoice(options.blas ?? 'auto', 'blas', BLAS_CHOICES);
  const mixedPrecision = checkChoice(options.mixedPrecision ?? 'none', 'mixedPrecision', MIXED_PRECISIONS);
  if (mixedPrecision === 'bfloat16' && dtype !== 'float32') throw new ConfigError(`mixedPrecision 'bfloat16' needs dtype 'float32', got '${dtype}'`);
  if (options.inferencePrecision !== undefined && mixedPrecision === 'none') {
    throw new ConfigError("inferencePrecision only applies with mixedPrecision: 'bfloat16'");
  }
  const inferencePrecision = checkChoice(options.inferencePrecision ?? (mixedPrecision === 'bfloat16' ? 'bfloat16' : 'float32'), 'inferencePrecision', INFERENCE_PRECISIONS);
  if (!Array.isArray(options.layers) || options.layers.length === 0) throw new ConfigError('layers must be a non-empty array of { units, activation }');
  const L = options.layers.length;
  let fanIn = inputs;
  const layers = options.layers.map((layer, index): ResolvedLayer => {
    const where = `layers[${index}]`;
    const isOutput = index === L - 1;
    if (typeof layer !== 'object' || layer === null) throw new ConfigError(`${where} must be an object { units, activation }`);
    checkKnownKeys(layer, LAYER_KEYS, where);
    const units = checkInteger(layer.units, `${where}.units`, 1, MAX_UNITS);
    const activation = checkChoice(layer.activation ?? (isOutput ? defaultOutputActivation(loss) : 'relu'), `${where}.activation`, ACTIVATIONS);
    if (activation === 'softmax' && !isOutput) throw new ConfigError(`${where}: softmax is only allowed on the output layer`);
    const slope = checkNumber(layer.slope ?? 0.01, `${where}.slope`, 0);
    if (layer.slope !== undefined && activation !== 'leaky-relu') throw new ConfigError(`${where}.slope only applies to 'leaky-relu', not '${activation}'`);
    const dropout = checkNumber(layer.dropout ?? 0, `${where}.dropout`, 0, 1, true);
    if (isOutput && dropout > 0) throw new ConfigError(`${where}: dropout applies to hidden layers and the input (inputDropout), not to the output layer`);
    const reluFamily = activation === 'relu' || activation === 'leaky-relu';
    const init = resolveInit(layer.init ?? (reluFamily ? 'he' : 'xavier'), fanIn, units, where);
    fanIn = units;
    return { units, activation, slope: activation === 'leaky-relu' ? slope : 0, init, dropout };
  });
  const output = layers[L - 1]!;
  if (loss === 'cross-entropy' && output.activation !== 'softmax') {
    throw new ConfigError(`loss 'cross-entropy' needs a 'softmax' output layer, got '${output.activation}'`);
  }
  if (output.activation === 'softmax' && loss !== 'cross-entropy') {
    throw new ConfigError(`a 'softmax' output layer needs loss 'cross-entropy', got '${loss}'`);
  }
  if (loss === 'binary-cross-entropy' && output.activation !== 'sigmoid') {
    throw new ConfigError(`loss 'binary-cross-entropy' needs a 'sigmoid' output layer, got '${output.activation}'`);
  }
  if (output.activation === 'softmax' && output.units < 2) throw new ConfigError('a softmax output needs at least 2 units');
  const architecture: Architecture = { inputs, layers, loss, dtype, inputDropout, mixedPrecision, inferencePrecision };
  // Sizes last, before anything is allocated (lib/limits.ts).
  checkParameterCount(parameterLayout(architecture).count, dtype);
  checkInferenceWorkspace(layerSizes(architecture));
  return architecture;
}

/** sizes[0] = inputs, sizes[l] = units of layer l. */
export function layerSizes(arch: Architecture): number[] {
  return [arch.inputs, ...arch.layers.map((l) => l.units)];
}

/** Offsets of W^l and b^l in the flat parameter buffer (W^1 b^1 W^2 b^2 …), l = 1..L at index l − 1. */
export interface ParameterLayout {
  weightOffsets: number[];
  biasOffsets: number[];
  count: number;
}

export function parameterLayout(arch: Architecture): ParameterLayout {
  const sizes = layerSizes(arch);
  const weightOffsets: number[] = [];
  const biasOffsets: number[] = [];
  let offset = 0;
  for (let l = 1; l < sizes.length; l++) {
    weightOffsets.push(offset);
    offset += sizes[l]! * sizes[l - 1]!;
    biasOffsets.push(offset);
    offset += sizes[l]!;
  }
  return { weightOffsets, biasOffsets, count: offset };
}
