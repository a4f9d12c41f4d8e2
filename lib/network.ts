// Network: the user-facing model. It owns the parameter and optimizer buffers (shared with the
// backend without copying), validates every call before the backend sees it, and keeps the
// network unchanged when a call is rejected.
import { layerSizes, parameterLayout, resolveArchitecture, type Architecture, type DType, type NetworkOptions, type ParameterLayout } from './architecture';
import { resolveEngine } from './backend';
import { ACTIVATION_CODES, LOSS_CODES } from './codes';
import type { Engine, EngineNetwork, EngineSpec, FloatArray, TrainCall } from './engine';
import { AllocationError, BusyError, ConfigError, DisposedError, DTypeError, NonFiniteError, ShapeError } from './errors';
import { runFit, type FitOptions, type History } from './fit';
import { fillWeights } from './initializers';
import { toFlatMatrix, toTargets, type FlatTargets, type Matrix, type MatrixInput, type TargetInput } from './input';
import { accuracyDenominator, reportsAccuracy } from './metrics';
import './dispose-symbol';
import { checkWorkspace } from './limits';
import { checkLearningRate, resolveOptimizer, type OptimizerOptions, type RegularizationOptions } from './optimizer';
import { checkKnownKeys, describe } from './options';
import { modelToOnnx, type OnnxExportOptions } from './onnx';
import { Rng, seedState } from './rng';
import { libraryVersion } from './version';
// Persistence (lib/persistence) ─ start
import { loadNetwork, loadNetworkSync, networkFromBuffer, networkToBuffer, saveNetwork, saveNetworkSync, type LoadOptions } from './persistence';
// Persistence ─ end

/** Weights of one layer: W^l row-major [units × inputs] (like PyTorch's Linear) and b^l [units]. */
export interface LayerWeights<A extends FloatArray = FloatArray> {
  weight: A;
  bias: A;
}

/** Loss (mean over rows) and, for classification losses, accuracy. */
export interface Evaluation {
  loss: number;
  accuracy?: number;
}

/** Options of a single `trainStep`. */
export interface StepOptions extends RegularizationOptions {
  learningRate: number;
  /** Default `sgd`. Shares optimizer state with `fit` while the settings are the same. */
  optimizer?: OptimizerOptions;
}

/** Everything that defines a network's state, for persistence. */
export interface NetworkState {
  options: NetworkOptions;
  seed: number;
  params: FloatArray;
  optM: FloatArray;
  optV: FloatArray;
  dropoutRng: Uint32Array;
  shuffleRng: Uint32Array;
  optimizerStep: number;
  optimizerKey: string | null;
}

/** Offsets of the random streams drawn from one seed. */
const SHUFFLE_STREAM = 0x9e3779b9;
const DROPOUT_STREAM = 0x7f4a7c15;

/** A feed-forward network of dense layers, trained by back propagation. */
export class Network {
  /** The validated architecture. */
  readonly architecture: Architecture;
  /** The seed every random choice of this network derives from. */
  readonly seed: number;
  /** Layout of the flat parameter buffer. */
  readonly layout: ParameterLayout;
  /** The options the network was built from (with the seed filled in). */
  readonly options: NetworkOptions;
  private readonly engine: Engine;
  private readonly handle: EngineNetwork;
  private readonly params: FloatArray;
  private readonly grads: FloatArray;
  private readonly optM: FloatArray;
  private readonly optV: FloatArray;
  private readonly dropoutRng: Uint32Array;
  private readonly shuffleRng: Rng;
  private optimizerStep = 0;
  private optimizerKey: string | null = null;
  private busyWith: string | null = null;
  private disposed = false;
  /** True while fit runs a callback: training is paused, so read-only calls are safe. */
  private inCallback = false;

  /** Builds and initializes a network. Throws ConfigError for invalid options, BackendError when `backend: 'native'` cannot load. */
  constructor(options: NetworkOptions) {
    this.architecture = resolveArchitecture(options);
    if (options.seed !== undefined && !(Number.isInteger(options.seed) && options.seed >= 0 && options.seed < 2 ** 32)) {
      throw new ConfigError(`seed must be an integer in [0, 2^32), got ${describe(options.seed)}`);
    }
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.options = { ...options, seed: this.seed };
    this.engine = resolveEngine(options.backend ?? 'auto');
    this.layout = parameterLayout(this.architecture);
    const make = (n: number): FloatArray => {
      try {
        return this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      } catch (e) {
        throw new AllocationError(`cannot allocate ${n} ${this.dtype} parameters: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    this.params = make(this.layout.count);
    this.grads = make(this.layout.count);
    this.optM = make(this.layout.count);
    this.optV = make(this.layout.count);
    this.dropoutRng = seedState((this.seed + DROPOUT_STREAM) >>> 0);
    this.shuffleRng = new Rng((this.seed + SHUFFLE_STREAM) >>> 0);
    const initRng = new Rng(this.seed);
    this.architecture.layers.forEach((layer, l) => fillWeights(this.weightView(l), layer.init, initRng));
    this.handle = this.engine.create(this.engineSpec());
  }

  /** `float32` or `float64`. */
  get dtype(): DType {
    return this.architecture.dtype;
  }
  /** The backend running this network. */
  get backend(): 'native' | 'js' {
    return this.engine.name;
  }
  /** Number of input features. */
  get inputs(): number {
    return this.architecture.inputs;
  }
  /** Number of outputs. */
  get outputs(): number {
    return this.architecture.layers[this.architecture.layers.length - 1]!.units;
  }
  /** Total number of weights and biases. */
  get parameterCount(): number {
    return this.layout.count;
  }
  /** True while an asynchronous `fit` runs. */
  get busy(): boolean {
    return this.busyWith !== null;
  }

  private engineSpec(): EngineSpec {
    const a = this.architecture;
    return {
      dtype: a.dtype,
      sizes: layerSizes(a),
      activations: [0, ...a.layers.map((l) => ACTIVATION_CODES[l.activation])],
      slopes: [0, ...a.layers.map((l) => l.slope)],
      dropout: [a.inputDropout, ...a.layers.slice(0, -1).map((l) => l.dropout)],
      loss: LOSS_CODES[a.loss],
      params: this.params,
      grads: this.grads,
      optM: this.optM,
      optV: this.optV,
      rng: this.dropoutRng,
    };
  }

  private weightView(l: number): FloatArray {
    const start = this.layout.weightOffsets[l]!;
    return this.params.subarray(start, this.layout.biasOffsets[l]!);
  }

  private layerViews(buffer: FloatArray): LayerWeights[] {
    return this.architecture.layers.map((layer, l) => {
      const w = this.layout.weightOffsets[l]!;
      const b = this.layout.biasOffsets[l]!;
      return { weight: buffer.subarray(w, b), bias: buffer.subarray(b, b + layer.units) };
    });
  }

  /** Throws DisposedError after dispose(), BusyError while an asynchronous fit runs (read-only calls are allowed inside its callbacks). */
  private checkIdle(call: string, readOnly = false): void {
    if (this.disposed) throw new DisposedError(`${call}() was called on a disposed network`);
    if (this.busyWith !== null && !(readOnly && this.inCallback)) {
      throw new BusyError(`${call}() was called while ${this.busyWith}() is running on this network; await it (or abort it) first`);
    }
  }

  /** Marks the network busy for the duration of an asynchronous operation. */
  private async exclusive<T>(call: string, work: () => Promise<T>): Promise<T> {
    this.checkIdle(call);
    this.busyWith = call;
    try {
      return await work();
    } finally {
      this.busyWith = null;
    }
  }

  /** Converts features, checking the column count and values. */
  private features(x: MatrixInput, name = 'x'): { data: FloatArray; rows: number } {
    return toFlatMatrix(x, this.dtype, this.inputs, name);
  }

  private targets(y: TargetInput, rows: number, name = 'y'): FlatTargets {
    return toTargets(y, this.architecture.loss, this.outputs, rows, this.dtype, name);
  }

  /** The network's outputs a^L for each row of x, as a [rows × outputs] matrix in the network's dtype. */
  predict(x: MatrixInput): Matrix {
    this.checkIdle('predict', true);
    const { data, rows } = this.features(x);
    const out = this.dtype === 'float64' ? new Float64Array(rows * this.outputs) : new Float32Array(rows * this.outputs);
    this.handle.predict({ X: data, rows, out });
    return { data: out, shape: [rows, this.outputs] };
  }

  /** Mean loss over the rows of (x, y) and, for classification losses, accuracy. No dropout. */
  evaluate(x: MatrixInput, y: TargetInput): Evaluation {
    this.checkIdle('evaluate', true);
    const { data, rows } = this.features(x);
    const targets = this.targets(y, rows);
    const stats = this.handle.evaluate({ X: data, rows, ...targets, gradients: false });
    return this.evaluation(stats.lossSum, stats.correct, rows);
  }

  /** @internal Loss and accuracy from a backend's sums. */
  evaluation(lossSum: number, correct: number, rows: number): Evaluation {
    const result: Evaluation = { loss: lossSum / rows };
    if (reportsAccuracy(this.architecture.loss)) result.accuracy = correct / accuracyDenominator(this.architecture.loss, this.outputs, rows);
    return result;
  }

  /**
   * ∂L/∂W^l and ∂L/∂b^l of the mean loss over the rows of (x, y), per layer, without updating the
   * network (no dropout). For checking and teaching.
   */
  gradients(x: MatrixInput, y: TargetInput): LayerWeights[] {
    this.checkIdle('gradients', true);
    const { data, rows } = this.features(x);
    const targets = this.targets(y, rows);
    this.handle.evaluate({ X: data, rows, ...targets, gradients: true });
    return this.layerViews(this.grads.slice());
  }

  /** Copies of the weights per layer, W^l row-major [units × inputs]. */
  getWeights(): LayerWeights[] {
    this.checkIdle('getWeights', true);
    return this.layerViews(this.params.slice());
  }

  /** Replaces the weights; each layer's arrays must have the sizes getWeights returns. Checked fully before anything is written. */
  setWeights(layers: readonly LayerWeights<FloatArray | Float32Array | Float64Array>[] | readonly { weight: ArrayLike<number>; bias: ArrayLike<number> }[]): void {
    this.checkIdle('setWeights');
    const views = this.layerViews(this.params);
    if (!Array.isArray(layers) || layers.length !== views.length) {
      throw new ShapeError(`setWeights needs ${views.length} layers, got ${Array.isArray(layers) ? layers.length : describe(layers)}`);
    }
    layers.forEach((layer, l) => {
      for (const part of ['weight', 'bias'] as const) {
        const source: unknown = layer?.[part];
        const target = views[l]![part];
        if (!(ArrayBuffer.isView(source) || Array.isArray(source))) throw new DTypeError(`setWeights: layers[${l}].${part} must be an array of numbers, got ${describe(source)}`);
        const values = source as ArrayLike<unknown>;
        if (values.length !== target.length) throw new ShapeError(`setWeights: layers[${l}].${part} has ${values.length} values, expected ${target.length}`);
        for (let k = 0; k < values.length; k++) {
          const v = values[k];
          if (typeof v !== 'number') throw new DTypeError(`setWeights: layers[${l}].${part}[${k}] is ${describe(v)}, not a number`);
          if (!Number.isFinite(v) || (this.dtype === 'float32' && !Number.isFinite(Math.fround(v)))) {
            throw new NonFiniteError(`setWeights: layers[${l}].${part}[${k}] = ${v} is not finite${this.dtype === 'float32' ? ' in float32' : ''}`);
          }
        }
      }
    });
    layers.forEach((layer, l) => {
      views[l]!.weight.set(layer.weight as ArrayLike<number>);
      views[l]!.bias.set(layer.bias as ArrayLike<number>);
    });
  }

  /**
   * One SGD (or given optimizer) step on all rows of (x, y) as one batch. Returns the batch's mean
   * loss, measured before the update.
   */
  trainStep(x: MatrixInput, y: TargetInput, learningRate: number | StepOptions): number {
    this.checkIdle('trainStep');
    const options: StepOptions = typeof learningRate === 'number' ? { learningRate } : learningRate;
    if (typeof options !== 'object' || options === null) throw new ConfigError(`trainStep: learningRate must be a number or an options object, got ${describe(learningRate)}`);
    checkKnownKeys(options, ['learningRate', 'optimizer', 'weightDecay', 'maxNorm', 'clipNorm'], 'trainStep options');
    const lr = checkLearningRate(options.learningRate);
    const optimizer = resolveOptimizer(options.optimizer, options);
    const { data, rows } = this.features(x);
    const targets = this.targets(y, rows);
    checkWorkspace(layerSizes(this.architecture), rows, 'trainStep');
    this.prepareOptimizer(optimizer.stateKey);
    const order = new Int32Array(rows);
    for (let i = 0; i < rows; i++) order[i] = i;
    const stats = this.trainBatches({
      X: data, rows, ...targets, order, count: rows, batchSize: rows,
      optimizer: { ...optimizer.call, learningRate: lr }, firstStep: 0, stepLosses: null, diagnostics: null,
    });
    return stats.lossSum / rows;
  }

  /** @internal Runs a training call and advances the optimizer step count. */
  trainBatches(call: TrainCall): { lossSum: number; correct: number } {
    const stats = this.handle.trainBatches({ ...call, firstStep: this.optimizerStep + 1 });
    this.optimizerStep += Math.ceil(call.count / call.batchSize);
    return stats;
  }

  /** @internal The asynchronous form of trainBatches. */
  async trainBatchesAsync(call: TrainCall): Promise<{ lossSum: number; correct: number }> {
    const steps = Math.ceil(call.count / call.batchSize);
    const stats = await this.handle.trainBatchesAsync({ ...call, firstStep: this.optimizerStep + 1 });
    this.optimizerStep += steps;
    return stats;
  }

  /** @internal Resets optimizer state when the optimizer's settings changed since the last call. */
  prepareOptimizer(stateKey: string): void {
    if (this.optimizerKey === stateKey) return;
    this.optM.fill(0);
    this.optV.fill(0);
    this.optimizerStep = 0;
    this.optimizerKey = stateKey;
  }

  /** @internal Runs a fit callback; read-only calls on the network are allowed inside it. */
  runCallback(callback: () => void): void {
    const outer = this.inCallback;
    this.inCallback = true;
    try {
      callback();
    } finally {
      this.inCallback = outer;
    }
  }

  /** @internal The shuffling generator. */
  get shuffler(): Rng {
    return this.shuffleRng;
  }

  /** @internal Copies of the parameters (for restoring the best weights). */
  snapshotParams(): FloatArray {
    return this.params.slice();
  }

  /** @internal Restores parameters from snapshotParams. */
  restoreParams(snapshot: FloatArray): void {
    this.params.set(snapshot);
  }

  /** @internal Evaluates on already converted data. */
  evaluateFlat(X: FloatArray, rows: number, targets: FlatTargets): { lossSum: number; correct: number } {
    return this.handle.evaluate({ X, rows, ...targets, gradients: false });
  }

  /** @internal evaluateFlat off the main thread where the backend can. */
  evaluateFlatAsync(X: FloatArray, rows: number, targets: FlatTargets): Promise<{ lossSum: number; correct: number }> {
    return this.handle.evaluateAsync({ X, rows, ...targets, gradients: false });
  }

  /** @internal Converts data for fit. */
  prepareData(x: MatrixInput, y: TargetInput, name: string): { X: FloatArray; rows: number; targets: FlatTargets } {
    const { data, rows } = this.features(x, `${name}x`);
    return { X: data, rows, targets: this.targets(y, rows, `${name}y`) };
  }

  /**
   * Trains with mini-batch gradient descent and resolves with the history, one entry per epoch.
   * Native networks train on the libuv thread pool, so the event loop stays free; other calls on
   * this network meanwhile throw BusyError.
   */
  fit(x: MatrixInput, y: TargetInput, options: FitOptions = {}): Promise<History> {
    return this.exclusive('fit', () => runFit(this, x, y, options, true) as Promise<History>);
  }

  /** `fit` on the calling thread, for scripts. */
  fitSync(x: MatrixInput, y: TargetInput, options: FitOptions = {}): History {
    this.checkIdle('fitSync');
    return runFit(this, x, y, options, false) as History;
  }

  /**
   * The inference graph as the bytes of an ONNX model (one Gemm per layer and its activation;
   * opset 17 by default), for onnxruntime and other ONNX tools. Dropout is the identity at inference
   * and is not part of the graph.
   */
  toONNX(options: OnnxExportOptions = {}): Uint8Array {
    this.checkIdle('toONNX', true);
    const a = this.architecture;
    return modelToOnnx(
      { dtype: a.dtype, sizes: layerSizes(a), activations: a.layers.map((l) => l.activation), slopes: a.layers.map((l) => l.slope), params: this.params },
      { producerVersion: libraryVersion(), ...options },
    );
  }

  /** @internal The full state, for persistence. */
  state(): NetworkState {
    return {
      options: this.options,
      seed: this.seed,
      params: this.params,
      optM: this.optM,
      optV: this.optV,
      dropoutRng: this.dropoutRng,
      shuffleRng: this.shuffleRng.state,
      optimizerStep: this.optimizerStep,
      optimizerKey: this.optimizerKey,
    };
  }

  // ── Disposal ─ start

  /**
   * Frees the network's memory at once — parameters, gradients, optimizer state and the backend's
   * workspace — instead of when the garbage collector finds the network unreachable (which it also
   * does, without this call). Afterwards every call throws DisposedError; a second dispose() does
   * nothing. `using net = new Network(…)` calls it at the end of the scope.
   *
   * @throws BusyError while an asynchronous fit runs on this network.
   */
  dispose(): void {
    if (this.disposed) return;
    this.checkIdle('dispose');
    this.handle.dispose();
    this.disposed = true;
  }

  /** {@link Network.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ── Disposal ─ end

  // ── Persistence (lib/persistence; the file format is described in lib/persistence/format.ts) ─ start

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
    this.checkIdle('save', true);
    await saveNetwork(this, path);
  }

  /** {@link Network.save} on the calling thread. */
  saveSync(path: string): void {
    this.checkIdle('saveSync', true);
    saveNetworkSync(this, path);
  }

  /** The bytes of the model file {@link Network.save} would write; read them back with {@link Network.fromBuffer}. */
  toBuffer(): Buffer {
    this.checkIdle('toBuffer', true);
    return networkToBuffer(this);
  }

  /**
   * Loads a network saved by {@link Network.save}: same architecture, seed, weights, optimizer
   * state and random generator states, on the backend chosen by `options.backend`.
   *
   * @param path - The model file.
   * @param options - `backend`: `auto` (default), `native` or `js`, whichever backend saved the file.
   * @throws FormatError naming the file and byte position when the file is not a valid model
   *   (foreign, truncated, corrupted, or of a newer format version); ConfigError for bad options;
   *   BackendError when `backend: 'native'` cannot load; the system error when the file cannot be read.
   */
  static load(path: string, options?: LoadOptions): Promise<Network> {
    return loadNetwork(path, options, (o) => new Network(o));
  }

  /** {@link Network.load} on the calling thread. */
  static loadSync(path: string, options?: LoadOptions): Network {
    return loadNetworkSync(path, options, (o) => new Network(o));
  }

  /** {@link Network.load} from the bytes of a model file ({@link Network.toBuffer}); errors name "buffer". */
  static fromBuffer(buffer: Uint8Array, options?: LoadOptions): Network {
    return networkFromBuffer(buffer, options, (o) => new Network(o));
  }

  // ── Persistence ─ end

  /** @internal Restores state produced by state() on a network of the same architecture. */
  restoreState(state: Omit<NetworkState, 'options' | 'seed'>): void {
    this.params.set(state.params);
    this.optM.set(state.optM);
    this.optV.set(state.optV);
    this.dropoutRng.set(state.dropoutRng);
    this.shuffleRng.state.set(state.shuffleRng);
    this.optimizerStep = state.optimizerStep;
    this.optimizerKey = state.optimizerKey;
  }
}

