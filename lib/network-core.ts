// The machinery behind the Network façade: the flat buffers shared with the backend without
// copying, the backend network, optimizer-step bookkeeping, the busy guard and data conversion.
// It implements FitTarget, so the training loop drives it directly; Network holds one privately.
import { layerSizes, parameterLayout, resolveArchitecture, type Architecture, type NetworkOptions, type ParameterLayout } from './architecture';
import { resolveEngine } from './backend';
import { resolveProductEngine, type ProductEngine } from './products';
import { CallGuard } from './call-guard';
import { ACTIVATION_CODES, LOSS_CODES } from './codes';
import { floatArray, type DType, type FloatArray } from './dtype';
import type { Engine, EngineNetwork, LossStats, TrainCall } from './engine';
import { AllocationError, ConfigError } from './errors';
import type { FitTarget, FlatData, SharedState } from './fit-types';
import { fillWeights } from './initializers';
import { toFlatMatrix, toTargets, type FlatMatrix, type FlatTargets, type MatrixInput, type TargetInput } from './input';
import type { NetworkState, TrainingState } from './network-state';
import { describe } from './options';
import { Rng, seedState } from './rng';
import { checkWeightOptions, checkWeightTotal, rowWeights } from './row-weights';

/** Offsets of the random streams drawn from one seed. */
const SHUFFLE_STREAM = 0x9e3779b9;
const DROPOUT_STREAM = 0x7f4a7c15;

function checkSeed(seed: unknown): number | undefined {
  if (seed !== undefined && !(typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new ConfigError(`seed must be an integer in [0, 2^32), got ${describe(seed)}`);
  }
  return seed;
}

export class NetworkCore implements FitTarget {
  readonly architecture: Architecture;
  readonly seed: number;
  readonly layout: ParameterLayout;
  /** The options the network was built from, with the seed filled in. */
  readonly options: NetworkOptions;
  readonly guard = new CallGuard();
  readonly params: FloatArray;
  readonly grads: FloatArray;
  readonly shuffler: Rng;
  private readonly engine: Engine;
  /** The library running the matrix products (lib/products.ts). */
  readonly productEngine: ProductEngine;
  private readonly handle: EngineNetwork;
  private readonly optM: FloatArray;
  private readonly optV: FloatArray;
  private readonly optG: FloatArray;
  private readonly dropoutRng: Uint32Array;
  private optimizerStep = 0;
  private optimizerKey: string | null = null;

  /** Validates the options, initializes the weights from the seed and builds the backend network. */
  constructor(options: NetworkOptions) {
    this.architecture = resolveArchitecture(options);
    this.seed = checkSeed(options.seed) ?? Math.floor(Math.random() * 2 ** 32);
    this.options = { ...options, seed: this.seed };
    this.engine = resolveEngine(options.backend ?? 'auto');
    this.productEngine = resolveProductEngine(options.blas ?? 'auto', this.architecture, this.engine);
    this.layout = parameterLayout(this.architecture);
    const count = this.layout.count;
    const make = (): FloatArray => {
      try {
        return floatArray(this.dtype, count);
      } catch (e) {
        throw new AllocationError(`cannot allocate ${count} ${this.dtype} parameters: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    this.params = make();
    this.grads = make();
    this.optM = make();
    this.optV = make();
    this.optG = make();
    this.dropoutRng = seedState((this.seed + DROPOUT_STREAM) >>> 0);
    this.shuffler = new Rng((this.seed + SHUFFLE_STREAM) >>> 0);
    const initRng = new Rng(this.seed);
    this.architecture.layers.forEach((layer, l) => {
      fillWeights(this.params.subarray(this.layout.weightOffsets[l]!, this.layout.biasOffsets[l]!), layer.init, initRng);
    });
    const a = this.architecture;
    this.handle = this.engine.create({
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
      optG: this.optG,
      rng: this.dropoutRng,
      blas: this.productEngine,
      mixedPrecision: a.mixedPrecision === 'bfloat16',
      inferenceMixedPrecision: a.mixedPrecision === 'bfloat16' && a.inferencePrecision === 'bfloat16',
    });
  }

  get dtype(): DType {
    return this.architecture.dtype;
  }
  get backend(): 'native' | 'wasm' | 'js' {
    return this.engine.name;
  }
  get inputs(): number {
    return this.architecture.inputs;
  }
  get outputs(): number {
    return this.architecture.layers[this.architecture.layers.length - 1]!.units;
  }

  /** Converts features, checking the column count and values. */
  features(x: MatrixInput, name = 'x'): FlatMatrix {
    return toFlatMatrix(x, this.dtype, this.inputs, name);
  }

  targets(y: TargetInput, rows: number, name = 'y'): FlatTargets {
    return toTargets(y, this.architecture.loss, this.outputs, rows, this.dtype, name);
  }

  prepareData(x: MatrixInput, y: TargetInput, name: string): FlatData {
    const { data, rows } = this.features(x, `${name}x`);
    return { X: data, rows, targets: this.targets(y, rows, `${name}y`) };
  }

  /** a^L for every row of X into `out` [rows × outputs]. */
  predictInto(X: FloatArray, rows: number, out: FloatArray): void {
    this.handle.predict({ X, rows, out });
  }

  /** Loss and correct sums over the data; `weights` (one per row, or null) makes them weighted. */
  evaluateData(data: FlatData, gradients = false, weights: FloatArray | null = null): LossStats {
    return this.handle.evaluate({ X: data.X, rows: data.rows, ...data.targets, weights, gradients });
  }

  /**
   * The row weights from a call's `{ sampleWeight, classWeight }` (null when neither is given),
   * checked against the data; `where` names the call in error messages.
   */
  weightsFor(data: FlatData, options: unknown, where: string): FloatArray | null {
    const weights = rowWeights(checkWeightOptions(options, where), { loss: this.architecture.loss, outputs: this.outputs, dtype: this.dtype }, data.targets, data.rows, `${where}: `);
    if (weights) checkWeightTotal(weights, data.rows, 'x');
    return weights;
  }

  evaluateDataAsync(data: FlatData): Promise<LossStats> {
    return this.handle.evaluateAsync({ X: data.X, rows: data.rows, ...data.targets, gradients: false });
  }

  trainBatches(call: TrainCall): LossStats {
    const stats = this.handle.trainBatches({ ...call, firstStep: this.optimizerStep + 1 });
    this.optimizerStep += Math.ceil(call.count / call.batchSize);
    return stats;
  }

  async trainBatchesAsync(call: TrainCall): Promise<LossStats> {
    const steps = Math.ceil(call.count / call.batchSize);
    const stats = await this.handle.trainBatchesAsync({ ...call, firstStep: this.optimizerStep + 1 });
    this.optimizerStep += steps;
    return stats;
  }

  prepareOptimizer(stateKey: string): void {
    if (this.optimizerKey === stateKey) return;
    this.optM.fill(0);
    this.optV.fill(0);
    this.optG.fill(0);
    this.optimizerStep = 0;
    this.optimizerKey = stateKey;
  }

  duringCallback(callback: () => void): void {
    this.guard.duringCallback(callback);
  }

  /** Frees the buffers and the backend's workspace at once (Network.dispose); a second call does nothing. */
  dispose(): void {
    if (this.guard.disposed) return;
    this.guard.check('dispose');
    this.handle.dispose();
    this.guard.disposed = true;
  }

  snapshotParams(): FloatArray {
    return this.params.slice();
  }

  restoreParams(snapshot: FloatArray): void {
    this.params.set(snapshot);
  }

  shareTrainingState(share: (state: SharedState) => void): void {
    const state: SharedState = {
      arrays: [this.params, this.optM, this.optV], shuffleRng: this.shuffler.state, dropoutRng: this.dropoutRng, optimizerStep: this.optimizerStep,
    };
    share(state);
    this.optimizerStep = state.optimizerStep;
  }

  /** The full state, for persistence (the arrays are the live buffers, not copies). */
  state(): NetworkState {
    return {
      options: this.options,
      seed: this.seed,
      params: this.params,
      optM: this.optM,
      optV: this.optV,
      optG: this.optG,
      dropoutRng: this.dropoutRng,
      shuffleRng: this.shuffler.state,
      optimizerStep: this.optimizerStep,
      optimizerKey: this.optimizerKey,
    };
  }

  /** Puts back a state read from a model file of the same architecture. */
  restoreState(state: TrainingState): void {
    this.params.set(state.params);
    this.optM.set(state.optM);
    this.optV.set(state.optV);
    this.optG.set(state.optG);
    this.dropoutRng.set(state.dropoutRng);
    this.shuffler.state.set(state.shuffleRng);
    this.optimizerStep = state.optimizerStep;
    this.optimizerKey = state.optimizerKey;
  }
}
