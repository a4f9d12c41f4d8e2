// wasm-network.ts — a network on the WebAssembly engine: the C++ kernels (native/kernels/)
// compiled to wasm32 with SIMD128 (native/wasm/). The façade owns the parameter and state buffers
// in JavaScript memory, as with every engine; the network keeps its own copies in the module's
// memory (which can grow, and so cannot back the façade's arrays) and copies them in before a call
// and out after it. A training call copies the rows it trains on, in their order, so the module
// never holds the whole dataset. Synchronous and single-threaded, like the TypeScript engine.
import type { EngineNetwork, EngineSpec, EvaluateCall, FloatArray, LossStats, PredictCall, TrainCall } from '../../engine';
import { DIAGNOSTICS_PER_LAYER } from '../../codes';
import { DisposedError } from '../../errors';
import { checkEvaluateCall, checkPredictCall, checkSpec, checkTrainCall, type CheckedShape } from '../call-checks';
import { detachBuffers } from '../detach-buffers';
import { resolveOptimizer } from '../js/optimizers';
import type { FloatArrayConstructor } from '../js/blas';
import { Scratch, WasmMemory } from './memory';
import { isTrap, type Pointer } from './module';

/** Throws a plain Error prefixed like the native binding's messages. */
function fail(message: string): never {
  throw new Error(`blasprop wasm: ${message}`);
}

/** The staging buffers of one module, shared by its networks (calls never overlap: one thread). */
export class WasmStaging {
  readonly X: Scratch;
  readonly Y: Scratch;
  readonly labels: Scratch;
  readonly weights: Scratch;
  readonly order: Scratch;
  readonly out: Scratch;
  readonly stepLosses: Scratch;
  readonly stepWeights: Scratch;
  /** The optimizer's thirteen settings, the three stats doubles and a diagnostics record. */
  readonly small: Scratch;
  private identityGeneration = 0;
  private identityRows = 0;

  constructor(readonly memory: WasmMemory) {
    this.X = new Scratch(memory);
    this.Y = new Scratch(memory);
    this.labels = new Scratch(memory);
    this.weights = new Scratch(memory);
    this.order = new Scratch(memory);
    this.out = new Scratch(memory);
    this.stepLosses = new Scratch(memory);
    this.stepWeights = new Scratch(memory);
    this.small = new Scratch(memory);
  }

  /** The order 0, 1, …, count − 1 (training calls get their rows already gathered in order). */
  identityOrder(count: number): Pointer {
    const pointer = this.order.reserve(4 * count);
    if (this.order.generation !== this.identityGeneration) {
      this.identityGeneration = this.order.generation;
      this.identityRows = 0;
    }
    if (this.identityRows < count) {
      const order = this.memory.view(Int32Array, pointer, count);
      for (let k = this.identityRows; k < count; k++) order[k] = k;
      this.identityRows = count;
    }
    return pointer;
  }
}

/** Frees a collected network's memory in the module. */
const collector = new FinalizationRegistry<{ memory: WasmMemory; handle: Pointer; block: Pointer }>(({ memory, handle, block }) => {
  memory.exports.blasprop_destroy(handle);
  memory.free(block);
});

/** Copies rows order[0..count) of src (width values each) to dst, one after the other. */
function gatherRows(src: ArrayLike<number>, order: Int32Array, count: number, width: number, dst: { [k: number]: number }): void {
  for (let k = 0, d = 0; k < count; k++) {
    const s = order[k]! * width;
    for (let j = 0; j < width; j++) dst[d++] = src[s + j]!;
  }
}

export class WasmNetwork implements EngineNetwork {
  private readonly shape: CheckedShape;
  private readonly Float: FloatArrayConstructor;
  private readonly bytes: number;
  private readonly paramCount: number;
  private readonly L: number;
  private readonly memory: WasmMemory;
  // The façade's buffers.
  private readonly params: FloatArray;
  private readonly grads: FloatArray;
  private readonly optM: FloatArray;
  private readonly optV: FloatArray;
  private readonly optG: FloatArray;
  private readonly rng: Uint32Array;
  // Their copies in the module: one block, params | grads | optM | optV | optG | rng.
  private readonly block: Pointer;
  private readonly handle: Pointer;
  private disposed = false;

  constructor(private readonly staging: WasmStaging, spec: EngineSpec) {
    const { Float, paramCount } = checkSpec(fail, spec);
    for (const p of spec.dropout) if (!(p >= 0 && p < 1)) fail('dropout probabilities must be in [0, 1)');
    this.Float = Float;
    this.paramCount = paramCount;
    this.shape = { sizes: spec.sizes.slice(), loss: spec.loss, Float };
    this.L = spec.sizes.length - 1;
    this.bytes = spec.dtype === 'float64' ? 8 : 4;
    this.memory = staging.memory;
    this.params = spec.params;
    this.grads = spec.grads;
    this.optM = spec.optM;
    this.optV = spec.optV;
    this.optG = spec.optG;
    this.rng = spec.rng;
    const memory = this.memory;
    const L = this.L;
    const n = paramCount * this.bytes;
    this.block = memory.alloc(5 * n + 16);
    // The shape, only for blasprop_create, which copies it.
    const shapeBytes = 8 * (L + 1) + 8 * (L + 1) + 8 * L + 8 * (L + 1);
    const shapeBlock = memory.alloc(shapeBytes);
    try {
      const sizes = shapeBlock, activations = sizes + 4 * (L + 1), slopes = shapeBlock + 8 * (L + 1), dropout = slopes + 8 * (L + 1);
      memory.view(Int32Array, sizes, L + 1).set(spec.sizes);
      memory.view(Int32Array, activations, L + 1).set(spec.activations);
      memory.view(Float64Array, slopes, L + 1).set(spec.slopes);
      memory.view(Float64Array, dropout, L).set(spec.dropout);
      const b = this.block;
      this.handle = memory.exports.blasprop_create(spec.dtype === 'float64' ? 1 : 0, L, sizes, activations, slopes, dropout, spec.loss, b, b + n, b + 2 * n, b + 3 * n, b + 4 * n, b + 5 * n);
    } finally {
      memory.free(shapeBlock);
    }
    if (this.handle === 0) {
      memory.free(this.block);
      fail('out of memory for the network');
    }
    collector.register(this, { memory, handle: this.handle, block: this.block }, this);
  }

  /**
   * Frees the network's memory in the module (its workspace and its copies of the parameters and
   * optimizer state) and detaches the façade's parameter, gradient and optimizer buffers, as the
   * native binding does; later calls throw DisposedError, a second dispose does nothing.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    collector.unregister(this);
    this.memory.exports.blasprop_destroy(this.handle);
    this.memory.free(this.block);
    detachBuffers([this.params, this.grads, this.optM, this.optV, this.optG]);
  }

  private checkAlive(): void {
    if (this.disposed) throw new DisposedError('blasprop wasm: the network was disposed');
  }

  /** A view of part `k` of the block (0 params, 1 grads, 2 optM, 3 optV, 4 optG). */
  private part(k: number): FloatArray {
    return this.memory.view(this.Float, this.block + k * this.paramCount * this.bytes, this.paramCount);
  }

  private copyIn(all: boolean): void {
    this.part(0).set(this.params.subarray(0, this.paramCount));
    if (!all) return;
    this.part(2).set(this.optM.subarray(0, this.paramCount));
    this.part(3).set(this.optV.subarray(0, this.paramCount));
    this.part(4).set(this.optG.subarray(0, this.paramCount));
    this.memory.view(Uint32Array, this.block + 5 * this.paramCount * this.bytes, 4).set(this.rng.subarray(0, 4));
  }

  private copyOut(parts: number[]): void {
    const targets = [this.params, this.grads, this.optM, this.optV, this.optG];
    for (const k of parts) targets[k]!.set(this.part(k));
    if (parts.includes(2)) this.rng.set(this.memory.view(Uint32Array, this.block + 5 * this.paramCount * this.bytes, 4));
  }

  /** Calls into the module; a trap (out of memory in the workspace) becomes an Error and changes no façade buffer. */
  private enter<R>(work: () => R): R {
    try {
      return work();
    } catch (e) {
      if (isTrap(e)) fail(`the engine stopped (${e.message}); most likely out of memory for the workspace`);
      throw e;
    }
  }

  private stats(pointer: Pointer): LossStats {
    const s = this.memory.view(Float64Array, pointer, 3);
    return { lossSum: s[0]!, correct: s[1]!, weightSum: s[2]! };
  }

  trainBatches(call: TrainCall): LossStats {
    this.checkAlive();
    checkTrainCall(fail, this.shape, call);
    const c = resolveOptimizer(call.optimizer);
    const { count, order } = call;
    const st = this.staging, memory = this.memory;
    const inputs = this.shape.sizes[0]!, outputs = this.shape.sizes[this.L]!;
    const steps = Math.ceil(count / call.batchSize);
    // Every reservation first: one can grow the memory, which detaches earlier views (but moves no data).
    const X = st.X.reserve(count * inputs * this.bytes);
    const Y = call.Y ? st.Y.reserve(count * outputs * this.bytes) : 0;
    const labels = call.labels ? st.labels.reserve(4 * count) : 0;
    const weights = call.weights ? st.weights.reserve(count * this.bytes) : 0;
    const orderPointer = st.identityOrder(count);
    const stepLosses = call.stepLosses ? st.stepLosses.reserve(8 * steps) : 0;
    const stepWeights = call.stepWeights ? st.stepWeights.reserve(8 * steps) : 0;
    const small = st.small.reserve(8 * (16 + this.L * DIAGNOSTICS_PER_LAYER));
    const optimizer = small, stats = small + 104, diagnostics = call.diagnostics ? small + 128 : 0;

    gatherRows(call.X, order, count, inputs, memory.view(this.Float, X, count * inputs));
    if (call.Y) gatherRows(call.Y, order, count, outputs, memory.view(this.Float, Y, count * outputs));
    if (call.labels) gatherRows(call.labels, order, count, 1, memory.view(Int32Array, labels, count));
    if (call.weights) gatherRows(call.weights, order, count, 1, memory.view(this.Float, weights, count));
    memory.view(Float64Array, optimizer, 13).set([
      c.type, c.learningRate, c.momentum, c.nesterov ? 1 : 0, c.beta1, c.beta2, c.epsilon, c.weightDecay, c.maxNorm, c.clipNorm,
      c.alpha, c.centered ? 1 : 0, c.initialAccumulator,
    ]);
    this.copyIn(true);
    this.enter(() =>
      memory.exports.blasprop_train(this.handle, X, Y, labels, weights, count, orderPointer, count, call.batchSize, call.firstStep, optimizer, stepLosses, stepWeights, diagnostics, stats),
    );
    this.copyOut([0, 1, 2, 3, 4]);
    if (call.stepLosses) call.stepLosses.set(memory.view(Float64Array, stepLosses, steps));
    if (call.stepWeights) call.stepWeights.set(memory.view(Float64Array, stepWeights, steps));
    if (call.diagnostics) call.diagnostics.set(memory.view(Float64Array, diagnostics, this.L * DIAGNOSTICS_PER_LAYER));
    return this.stats(stats);
  }

  /** trainBatches as an already-settled promise: the engine runs on the calling thread (the façade chunks long fits). */
  trainBatchesAsync(call: TrainCall): Promise<LossStats> {
    return Promise.resolve(this.trainBatches(call));
  }

  evaluate(call: EvaluateCall): LossStats {
    this.checkAlive();
    checkEvaluateCall(fail, this.shape, call);
    const st = this.staging, memory = this.memory, rows = call.rows;
    const inputs = this.shape.sizes[0]!, outputs = this.shape.sizes[this.L]!;
    const X = st.X.reserve(rows * inputs * this.bytes);
    const Y = call.Y ? st.Y.reserve(rows * outputs * this.bytes) : 0;
    const labels = call.labels ? st.labels.reserve(4 * rows) : 0;
    const weights = call.weights ? st.weights.reserve(rows * this.bytes) : 0;
    const stats = st.small.reserve(8 * (16 + this.L * DIAGNOSTICS_PER_LAYER)) + 104;
    memory.view(this.Float, X, rows * inputs).set(call.X.subarray(0, rows * inputs));
    if (call.Y) memory.view(this.Float, Y, rows * outputs).set(call.Y.subarray(0, rows * outputs));
    if (call.labels) memory.view(Int32Array, labels, rows).set(call.labels.subarray(0, rows));
    if (call.weights) memory.view(this.Float, weights, rows).set(call.weights.subarray(0, rows));
    this.copyIn(false);
    this.enter(() => memory.exports.blasprop_evaluate(this.handle, X, Y, labels, weights, rows, call.gradients ? 1 : 0, stats));
    if (call.gradients) this.copyOut([1]);
    return this.stats(stats);
  }

  /** evaluate as an already-settled promise. */
  evaluateAsync(call: EvaluateCall): Promise<LossStats> {
    return Promise.resolve(this.evaluate(call));
  }

  predict(call: PredictCall): void {
    this.checkAlive();
    checkPredictCall(fail, this.shape, call);
    const rows = call.rows;
    if (rows === 0) return;
    const st = this.staging, memory = this.memory;
    const inputs = this.shape.sizes[0]!, outputs = this.shape.sizes[this.L]!;
    const X = st.X.reserve(rows * inputs * this.bytes);
    const out = st.out.reserve(rows * outputs * this.bytes);
    memory.view(this.Float, X, rows * inputs).set(call.X.subarray(0, rows * inputs));
    this.copyIn(false);
    this.enter(() => memory.exports.blasprop_predict(this.handle, X, rows, out));
    call.out.set(memory.view(this.Float, out, rows * outputs));
  }
}
