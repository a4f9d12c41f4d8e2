// Network: the user-facing model. It validates every call before the backend sees it and keeps the
// network unchanged when a call is rejected; the buffers, the backend and the bookkeeping live in
// NetworkCore (network-core.ts), the training loop in fit.ts, model files in persistence/.
import { layerSizes, type Architecture, type DType, type NetworkOptions, type ParameterLayout } from './architecture';
import { floatArray } from './dtype';
import './dispose-symbol';
import { BackendError, ConfigError } from './errors';
import { runFitAsync, runFitSync, type History } from './fit';
import type { FitOptions } from './fit-options';
import { runStreamFitAsync, runStreamFitSync, type BatchSource, type StreamFitOptions, type SyncBatchSource } from './fit-stream';
import type { MatrixInput, TargetInput, Matrix } from './input';
import { checkLayerWeights, layerViews, type LayerWeights, type LayerWeightsInput } from './layer-weights';
import { checkWorkspace } from './limits';
import { evaluationFromSums, type Evaluation } from './metrics';
import { NetworkCore } from './network-core';
import type { NetworkState } from './network-state';
import { modelToOnnx, type OnnxExportOptions } from './onnx';
import type { ProductEngine } from './products';
import { checkLearningRate, resolveOptimizer, type OptimizerOptions, type RegularizationOptions } from './optimizer';
import { checkKnownKeys, describe } from './options';
import { WEIGHT_KEYS, type WeightOptions } from './row-weights';
import { loadModel, loadModelSync, modelFromBuffer, modelToBuffer, saveModel, saveModelSync, type DecodedModel, type LoadOptions } from './persistence';
import { libraryVersion } from './version';

export type { Evaluation, LayerWeights };

/** Options of a single `trainStep`; `sampleWeight` and `classWeight` weight its rows as in `fit`. */
export interface StepOptions extends RegularizationOptions, WeightOptions {
  learningRate: number;
  /** Default `sgd`. Shares optimizer state with `fit` while the settings are the same. */
  optimizer?: OptimizerOptions;
}

const STEP_KEYS = ['learningRate', 'optimizer', 'weightDecay', 'maxNorm', 'clipNorm', ...WEIGHT_KEYS] as const;

/** Reads a network's state; set by the class's static block, which can see its private field. */
let stateOf: (net: Network) => NetworkState;

/** A feed-forward network of dense layers, trained by back propagation. */
export class Network {
  readonly #core: NetworkCore;

  static {
    stateOf = (net) => net.#core.state();
  }

  /** Builds and initializes a network. Throws ConfigError for invalid options, BackendError when `backend: 'native'` cannot load. */
  constructor(options: NetworkOptions) {
    this.#core = new NetworkCore(options);
  }

  /** The validated architecture. */
  get architecture(): Architecture {
    return this.#core.architecture;
  }
  /** The seed every random choice of this network derives from. */
  get seed(): number {
    return this.#core.seed;
  }
  /** Layout of the flat parameter buffer. */
  get layout(): ParameterLayout {
    return this.#core.layout;
  }
  /** The options the network was built from (with the seed filled in). */
  get options(): NetworkOptions {
    return this.#core.options;
  }
  /** `float32` or `float64`. */
  get dtype(): DType {
    return this.#core.dtype;
  }
  /** The backend running this network. */
  get backend(): 'native' | 'wasm' | 'js' {
    return this.#core.backend;
  }
  /** The library running the matrix products (`openblas` also on the WebAssembly and TypeScript backends, which have their own). */
  get blas(): ProductEngine {
    return this.#core.productEngine;
  }
  /** Number of input features. */
  get inputs(): number {
    return this.#core.inputs;
  }
  /** Number of outputs. */
  get outputs(): number {
    return this.#core.outputs;
  }
  /** Total number of weights and biases. */
  get parameterCount(): number {
    return this.#core.layout.count;
  }
  /** True while an asynchronous `fit` runs. */
  get busy(): boolean {
    return this.#core.guard.busy;
  }

  /** The network's outputs a^L for each row of x, as a [rows × outputs] matrix in the network's dtype. */
  predict(x: MatrixInput): Matrix {
    const core = this.#core;
    core.guard.check('predict', true);
    const { data, rows } = core.features(x);
    const out = floatArray(core.dtype, rows * core.outputs);
    core.predictInto(data, rows, out);
    return { data: out, shape: [rows, core.outputs] };
  }

  /**
   * Mean loss over the rows of (x, y) and, for classification losses, accuracy. No dropout. With
   * `weights` both are weighted means, Σ w_i L_i / Σ w_i (see {@link WeightOptions}).
   */
  evaluate(x: MatrixInput, y: TargetInput, weights?: WeightOptions): Evaluation {
    const core = this.#core;
    core.guard.check('evaluate', true);
    const data = core.prepareData(x, y, '');
    const stats = core.evaluateData(data, false, core.weightsFor(data, weights, 'evaluate'));
    return evaluationFromSums(core.architecture.loss, core.outputs, stats.lossSum, stats.correct, stats.weightSum);
  }

  /**
   * ∂L/∂W^l and ∂L/∂b^l of the mean loss over the rows of (x, y) (the weighted mean with
   * `weights`), per layer, without updating the network (no dropout). For checking and teaching.
   */
  gradients(x: MatrixInput, y: TargetInput, weights?: WeightOptions): LayerWeights[] {
    const core = this.#core;
    core.guard.check('gradients', true);
    const data = core.prepareData(x, y, '');
    core.evaluateData(data, true, core.weightsFor(data, weights, 'gradients'));
    return layerViews(core.architecture, core.layout, core.grads.slice());
  }

  /** Copies of the weights per layer, W^l row-major [units × inputs]. */
  getWeights(): LayerWeights[] {
    const core = this.#core;
    core.guard.check('getWeights', true);
    return layerViews(core.architecture, core.layout, core.params.slice());
  }

  /** Replaces the weights; each layer's arrays must have the sizes getWeights returns. Checked fully before anything is written. */
  setWeights(layers: LayerWeightsInput): void {
    const core = this.#core;
    core.guard.check('setWeights');
    const views = layerViews(core.architecture, core.layout, core.params);
    checkLayerWeights(layers, views, core.dtype);
    layers.forEach((layer, l) => {
      views[l]!.weight.set(layer.weight);
      views[l]!.bias.set(layer.bias);
    });
  }

  /**
   * One SGD (or given optimizer) step on all rows of (x, y) as one batch. Returns the batch's mean
   * (or weighted mean) loss, measured before the update.
   */
  trainStep(x: MatrixInput, y: TargetInput, learningRate: number | StepOptions): number {
    const core = this.#core;
    core.guard.check('trainStep');
    const options: StepOptions = typeof learningRate === 'number' ? { learningRate } : learningRate;
    if (typeof options !== 'object' || options === null) throw new ConfigError(`trainStep: learningRate must be a number or an options object, got ${describe(learningRate)}`);
    checkKnownKeys(options, STEP_KEYS, 'trainStep options');
    const lr = checkLearningRate(options.learningRate);
    const optimizer = resolveOptimizer(options.optimizer, options);
    const data = core.prepareData(x, y, '');
    checkWorkspace(layerSizes(core.architecture), data.rows, 'trainStep');
    const weights = core.weightsFor(data, { sampleWeight: options.sampleWeight, classWeight: options.classWeight }, 'trainStep');
    core.prepareOptimizer(optimizer.stateKey);
    const order = new Int32Array(data.rows);
    for (let i = 0; i < data.rows; i++) order[i] = i;
    const stats = core.trainBatches({
      X: data.X, rows: data.rows, ...data.targets, weights, order, count: data.rows, batchSize: data.rows,
      optimizer: { ...optimizer.call, learningRate: lr }, firstStep: 0, stepLosses: null, diagnostics: null,
    });
    return stats.lossSum / stats.weightSum;
  }

  /**
   * Trains with mini-batch gradient descent and resolves with the history, one entry per epoch.
   * Native networks train on the libuv thread pool, so the event loop stays free; other calls on
   * this network meanwhile throw BusyError.
   *
   * The second form trains from a stream: `source()` is called once per epoch and returns an
   * iterable or async iterable of `{ x, y }` batches (any form `x` and `y` take here). Each source
   * batch is one step, or `batchSize` re-batches the rows; `shuffleBuffer: n` shuffles within a
   * seeded buffer of n rows. While a chunk of steps trains, the next batches are pulled and
   * converted. A bad batch, or a source that throws, ends the fit with that error and the network
   * as it was after the last completed step; an epoch without rows is a ConfigError.
   */
  fit(x: MatrixInput, y: TargetInput, options?: FitOptions): Promise<History>;
  fit(source: BatchSource, options?: StreamFitOptions): Promise<History>;
  fit(x: MatrixInput | BatchSource, y?: TargetInput | StreamFitOptions, options: FitOptions = {}): Promise<History> {
    const core = this.#core;
    if (typeof x === 'function') return core.guard.exclusive('fit', () => runStreamFitAsync(core, x, (y ?? {}) as StreamFitOptions));
    return core.guard.exclusive('fit', () => runFitAsync(core, x, y as TargetInput, options));
  }

  /** `fit` on the calling thread, for scripts; a streamed fitSync takes a synchronous iterable. */
  fitSync(x: MatrixInput, y: TargetInput, options?: FitOptions): History;
  fitSync(source: SyncBatchSource, options?: StreamFitOptions): History;
  fitSync(x: MatrixInput | SyncBatchSource, y?: TargetInput | StreamFitOptions, options: FitOptions = {}): History {
    this.#core.guard.check('fitSync');
    if (typeof x === 'function') return runStreamFitSync(this.#core, x, (y ?? {}) as StreamFitOptions);
    return runFitSync(this.#core, x, y as TargetInput, options);
  }

  /**
   * The inference graph as the bytes of an ONNX model (one Gemm per layer and its activation;
   * opset 17 by default), for onnxruntime and other ONNX tools. Dropout is the identity at inference
   * and is not part of the graph.
   */
  toONNX(options: OnnxExportOptions = {}): Uint8Array {
    const core = this.#core;
    core.guard.check('toONNX', true);
    const a = core.architecture;
    return modelToOnnx(
      { dtype: a.dtype, sizes: layerSizes(a), activations: a.layers.map((l) => l.activation), slopes: a.layers.map((l) => l.slope), params: core.params },
      { producerVersion: libraryVersion(), ...options },
    );
  }

  /**
   * Frees the network's memory at once — parameters, gradients, optimizer state and the backend's
   * workspace — instead of when the garbage collector finds the network unreachable (which it also
   * does, without this call). Afterwards every call throws DisposedError; a second dispose() does
   * nothing. `using net = new Network(…)` calls it at the end of the scope.
   *
   * @throws BusyError while an asynchronous fit runs on this network.
   */
  dispose(): void {
    this.#core.dispose();
  }

  /** {@link Network.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Saves the network — architecture, seed, weights, optimizer state and random generator
   * states — to a `.blasprop` model file, so that {@link Network.load} gives back a network that
   * predicts and continues training exactly as this one would. The state is captured when the
   * call is made; the file is replaced atomically (temporary file, fsync, rename), so on failure
   * an existing file is left untouched. Allowed inside fit callbacks (checkpoints, e.g. in
   * `onEpochEnd`).
   *
   * @param path - The file to write (created or replaced).
   * @throws BusyError (rejection) while an asynchronous fit runs, outside its callbacks;
   *   ConfigError for a bad path; an Error naming the file, with the system error's `code` and
   *   `cause`, when writing fails.
   */
  async save(path: string): Promise<void> {
    this.#core.guard.check('save', true);
    await saveModel(this.#core.state(), path);
  }

  /** {@link Network.save} on the calling thread. */
  saveSync(path: string): void {
    this.#core.guard.check('saveSync', true);
    saveModelSync(this.#core.state(), path);
  }

  /** The bytes of the model file {@link Network.save} would write; read them back with {@link Network.fromBuffer}. */
  toBuffer(): Buffer {
    this.#core.guard.check('toBuffer', true);
    return modelToBuffer(this.#core.state());
  }

  /**
   * Loads a network saved by {@link Network.save}: same architecture, seed, weights, optimizer
   * state and random generator states, on the backend chosen by `options.backend`.
   *
   * @param path - The model file.
   * @param options - `backend`: `auto` (default), `native`, `wasm` or `js`, whichever backend saved the file;
   *   `blas`: the product engine (default `auto`). A model saved with `mixedPrecision: 'bfloat16'` loads
   *   with that setting where the CPU and backend can run it, and in float32 with a warning elsewhere.
   * @throws FormatError naming the file and byte position when the file is not a valid model
   *   (foreign, truncated, corrupted, or of a newer format version); ConfigError for bad options;
   *   BackendError when `backend: 'native'` cannot load; the system error when the file cannot be read.
   */
  static async load(path: string, options?: LoadOptions): Promise<Network> {
    return Network.#fromModel(await loadModel(path, options));
  }

  /** {@link Network.load} on the calling thread. */
  static loadSync(path: string, options?: LoadOptions): Network {
    return Network.#fromModel(loadModelSync(path, options));
  }

  /** {@link Network.load} from the bytes of a model file ({@link Network.toBuffer}); errors name "buffer". */
  static fromBuffer(buffer: Uint8Array, options?: LoadOptions): Network {
    return Network.#fromModel(modelFromBuffer(buffer, options));
  }

  static #fromModel(model: DecodedModel): Network {
    const net = Network.#buildLoaded(model.options);
    net.#core.restoreState(model.state);
    return net;
  }

  /**
   * A model trained with mixedPrecision 'bfloat16' is a float32 model: where this machine or backend
   * has no bfloat16 products it loads in float32, with a warning, instead of failing.
   */
  static #buildLoaded(options: NetworkOptions): Network {
    try {
      return new Network(options);
    } catch (e) {
      if (!(e instanceof BackendError) || options.mixedPrecision !== 'bfloat16') throw e;
      const { mixedPrecision: _bf16, inferencePrecision: _inference, ...float32 } = options;
      process.emitWarning(`blasprop: a model trained with mixedPrecision 'bfloat16' runs in float32 here because ${e.message}`, { code: 'BLASPROP_NO_BF16' });
      return new Network(float32);
    }
  }
}

/**
 * @internal The complete state of a network (its live buffers), for tests and tools inside this
 * package; not part of the public API.
 */
export function networkState(net: Network): NetworkState {
  return stateOf(net);
}
