// The contract between the Network façade and a backend. The native addon's NativeNetwork
// (native/napi/network_wrap.cc), the WebAssembly WasmNetwork (lib/backends/wasm) and the TypeScript
// JsNetwork (lib/backends/js) implement it with identical semantics; everything here is already
// validated by the façade.
import type { DType, FloatArray } from './dtype';

export type { FloatArray };

/** What a backend network is built from. Buffers are owned by the façade and shared with the backend. */
export interface EngineSpec {
  dtype: DType;
  /** sizes[0] = inputs, sizes[l] = units of layer l (l = 1..L). */
  sizes: number[];
  /** Activation code per layer; index 0 unused (0). */
  activations: number[];
  /** Leaky-ReLU slope per layer; index 0 unused (0). */
  slopes: number[];
  /** dropout[l], l = 0..L-1: drop probability of a^l on its way into layer l+1 (0 = off). */
  dropout: number[];
  loss: number;
  /** Flat parameters W^1 b^1 … W^L b^L, W^l row-major [out × in]. */
  params: FloatArray;
  /** Gradient buffer, same layout. */
  grads: FloatArray;
  /** Optimizer state (SGD's velocity, Adam's first moment, RMSprop's momentum buffer), same layout. */
  optM: FloatArray;
  /** Optimizer state (Adam's second moment, RMSprop's mean square, Adagrad's sum of squares), same layout. */
  optV: FloatArray;
  /** Optimizer state (centered RMSprop's mean gradient), same layout. */
  optG: FloatArray;
  /** xoshiro128** state (4 words) for dropout masks; advanced by training. */
  rng: Uint32Array;
  /** The library behind the native products; default `openblas` (the TypeScript backend has its own). */
  blas?: 'openblas' | 'onednn';
  /** Training products with bfloat16 inputs (oneDNN only); default false. */
  mixedPrecision?: boolean;
  /** predict and evaluate products with bfloat16 inputs too; default false. */
  inferenceMixedPrecision?: boolean;
}

/** Optimizer settings of one training call (native OptimizerConfig). */
export interface OptimizerCall {
  /** OPTIMIZER_CODES: 0 = SGD, 1 = Adam, 2 = AdamW, 3 = RMSprop, 4 = Adagrad. */
  type: number;
  learningRate: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  alpha?: number;
  centered?: boolean;
  initialAccumulator?: number;
  /** On weights only: the L2 penalty added to the gradient, or AdamW's decoupled decay. */
  weightDecay?: number;
  maxNorm?: number;
  clipNorm?: number;
}

/** A dataset: X [rows × inputs], exactly one of Y [rows × outputs] or labels [rows], and optional row weights. */
export interface DatasetCall {
  X: FloatArray;
  Y: FloatArray | null;
  labels: Int32Array | null;
  /**
   * Optional: a weight ≥ 0 per row [rows] (sample weight × class weight, see lib/row-weights.ts).
   * Losses and gradients become weighted means Σ w_i L_i / Σ w_i; absent, every weight is 1.
   */
  weights?: FloatArray | null;
  rows: number;
}

/** Train on rows order[0..count) in batches of batchSize (the last may be smaller). */
export interface TrainCall extends DatasetCall {
  order: Int32Array;
  count: number;
  batchSize: number;
  /** 1-based optimizer step number of the first batch (Adam's t). */
  firstStep: number;
  optimizer: OptimizerCall;
  /** Optional: receives the (weighted) mean loss of each batch; 0 for a batch whose weights are all 0. */
  stepLosses: Float64Array | null;
  /** Optional: receives the Σ w of each batch (its row count without weights). */
  stepWeights?: Float64Array | null;
  /** Optional: receives DIAGNOSTICS_PER_LAYER doubles per layer for the call's last batch. */
  diagnostics: Float64Array | null;
  /** Native only, data-parallel training: the MPI module's gradient reducer (an External), which averages each step's gradient across ranks. */
  reducer?: object;
  /** With a reducer: average each layer's gradient while the layers below run backward. */
  overlap?: boolean;
  /**
   * Native only, data-parallel training: the denominator of each batch's gradient mean in place of its
   * own Σ w (DataParallel.stepDenominators: the step's Σ w over every rank ÷ ranks).
   */
  stepDenominators?: Float64Array | null;
}

export interface EvaluateCall extends DatasetCall {
  /** Also leave the gradient of the (weighted) mean loss over all rows in spec.grads. */
  gradients: boolean;
}

export interface PredictCall {
  X: FloatArray;
  rows: number;
  out: FloatArray;
}

/** Sums over the rows of a call, each row times its weight: per-example loss, correct predictions (see lib/metrics.ts), weights. */
export interface LossStats {
  lossSum: number;
  correct: number;
  /** Σ of the rows' weights: the row count without weights. */
  weightSum: number;
  /** Native: milliseconds the pass ran once the scheduler admitted it (its wait excluded); absent on the TypeScript backend. */
  runMs?: number;
}

/** A backend network. */
export interface EngineNetwork {
  trainBatches(call: TrainCall): LossStats;
  trainBatchesAsync(call: TrainCall): Promise<LossStats>;
  evaluate(call: EvaluateCall): LossStats;
  /** evaluate on the libuv thread pool (native) or the calling thread (TypeScript). */
  evaluateAsync(call: EvaluateCall): Promise<LossStats>;
  predict(call: PredictCall): void;
  /**
   * Frees the workspace and detaches the spec's params, grads, optM and optV buffers at once (their
   * memory is released); later calls throw DisposedError, a second dispose does nothing. Throws
   * BusyError while an asynchronous call runs.
   */
  dispose(): void;
}

/** A backend: builds networks. */
export interface Engine {
  readonly name: 'native' | 'wasm' | 'js';
  create(spec: EngineSpec): EngineNetwork;
}
