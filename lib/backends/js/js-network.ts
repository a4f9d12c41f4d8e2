// js-network.ts — a feed-forward network on the TypeScript backend: its shape, the façade's flat
// buffers, the reusable workspace (native/kernels/network.h), the whole-network passes
// (passes.h) and the mini-batch loop (training.h). Every operation runs in the same order as
// native, so both backends agree to rounding (float64) and draw identical dropout masks.

import { DIAGNOSTICS_PER_LAYER } from '../../codes';
import { DisposedError } from '../../errors';
import type {
  EngineNetwork, EngineSpec, EvaluateCall, FloatArray, LossStats, PredictCall, TrainCall,
} from '../../engine';
import { activationBackward, biasActivationForward } from './activations';
import { checkEvaluateCall, checkPredictCall, checkSpec, checkTrainCall, type CheckedShape } from '../call-checks';
import { detachBuffers } from '../detach-buffers';
import { cast, nrm2, scal, type FloatArrayConstructor } from './blas';
import { denseBackwardInput, denseBackwardParams, denseForward } from './dense';
import { layerDiagnostics } from './diagnostics';
import { dropoutBackward, dropoutForward } from './dropout';
import { outputLossDelta, weightedMeanScale, weightSum, type Targets } from './losses';
import {
  maxNormConstrain, optimizerIsFusable, optimizerUpdate, resolveOptimizer, type OptimizerConfig,
} from './optimizers';

/** Rows per chunk for the inference passes: bounds the workspace whatever the number of rows. */
export const INFERENCE_CHUNK_ROWS = 512;

/** Throws a plain Error prefixed like the native binding's messages. */
function fail(message: string): never {
  throw new Error(`blasprop js: ${message}`);
}


/**
 * A network on the pure-TypeScript backend (the counterpart of native NativeNetwork).
 * Parameters, gradients, optimizer state and the RNG state live in the EngineSpec's buffers, which
 * the network updates in place; the workspace is allocated once per batch-size capacity.
 */
export class JsNetwork implements EngineNetwork {
  // Shape. Layer l = 1..L maps sizes[l-1] inputs to sizes[l] units with activation g[l].
  private readonly L: number;
  private readonly sizes: readonly number[];
  private readonly g: readonly number[];
  /** Leaky-ReLU slope per layer, cast to the element type. */
  private readonly slope: readonly number[];
  /** dropout[l], l = 0..L-1: drop probability of a^l on its way into layer l+1. */
  private readonly dropout: readonly number[];
  private readonly loss: number;

  // The façade's flat buffers, laid out W^1 b^1 … W^L b^L; wOff[l], bOff[l] index into them.
  private readonly params: FloatArray;
  private readonly grads: FloatArray;
  private readonly optM: FloatArray;
  private readonly optV: FloatArray;
  private readonly optG: FloatArray;
  private readonly rng: Uint32Array;
  private readonly wOff: readonly number[];
  private readonly bOff: readonly number[];
  private readonly paramCount: number;
  private readonly Float: FloatArrayConstructor;
  /** What the argument checks need (call-checks.ts). */
  private readonly shape: CheckedShape;

  // Workspace for up to `capacity` rows, grown by reserve() and then reused step after step.
  private capacity = 0;
  /** Gathered input batch [B × sizes[0]]. */
  private X: FloatArray;
  /** A[l] [B × sizes[l]]: z^l, then a^l before dropout (A[0] unused: the input is X or the caller's rows). */
  private readonly A: FloatArray[];
  /** D[l]: a^l ⊙ mask where dropout[l] > 0 (D[0] is the masked input). */
  private readonly D: FloatArray[];
  /** M[l]: the dropout mask of a^l. */
  private readonly M: FloatArray[];
  /** δ^l and δ^(l-1) [B × widest layer]. */
  private delta: FloatArray;
  private deltaPrev: FloatArray;
  /** Gathered dense targets [B × sizes[L]], class labels [B] and row weights [B]. */
  private Y: FloatArray;
  private labels: Int32Array;
  private weights: FloatArray;
  /** The targets of the current pass (reused, so a step allocates nothing). */
  private readonly targets: Targets = { dense: null, denseOff: 0, labels: null, labelsOff: 0, weights: null, weightsOff: 0 };
  /** The loss sum, correct count and weight sum of the current step or chunk. */
  private readonly stepStats: LossStats = { lossSum: 0, correct: 0, weightSum: 0 };
  private disposed = false;

  /** Builds the network over the spec's buffers (which it keeps and updates in place). */
  constructor(spec: EngineSpec) {
    const { Float } = checkSpec(fail, spec);
    this.Float = Float;
    const L = spec.sizes.length - 1;
    this.L = L;
    this.sizes = spec.sizes.slice();
    this.g = spec.activations.slice();
    this.dropout = spec.dropout.slice();
    this.loss = spec.loss;
    this.shape = { sizes: this.sizes, loss: this.loss, Float };

    const wOff: number[] = new Array<number>(L + 1).fill(0);
    const bOff: number[] = new Array<number>(L + 1).fill(0);
    let offset = 0;
    for (let l = 1; l <= L; l++) {
      wOff[l] = offset;
      offset += this.sizes[l] * this.sizes[l - 1];
      bOff[l] = offset;
      offset += this.sizes[l];
    }
    this.wOff = wOff;
    this.bOff = bOff;
    this.paramCount = offset;
    this.params = spec.params;
    this.grads = spec.grads;
    this.optM = spec.optM;
    this.optV = spec.optV;
    this.optG = spec.optG;
    this.rng = spec.rng;
    this.slope = spec.slopes.map((s) => cast(spec.params, s)); // T(slopes[l])

    const empty = new Float(0);
    this.X = empty;
    this.A = new Array<FloatArray>(L + 1).fill(empty);
    this.D = new Array<FloatArray>(L + 1).fill(empty);
    this.M = new Array<FloatArray>(L + 1).fill(empty);
    this.delta = empty;
    this.deltaPrev = empty;
    this.Y = empty;
    this.labels = new Int32Array(0);
    this.weights = empty;
  }

  // ---------------------------------------------------------------------------------------------
  // Calls (the EngineNetwork contract)

  /**
   * Trains on the rows order[0..count) in batches of batchSize (the last may be smaller): per batch
   * forward with dropout, loss, backward and update. Returns the loss sum and correct count over all rows.
   */
  trainBatches(call: TrainCall): LossStats {
    this.checkAlive();
    checkTrainCall(fail, this.shape, call);
    const c = resolveOptimizer(call.optimizer);
    return this.trainBatchLoop(call, c);
  }

  /**
   * trainBatches as a promise. The TypeScript backend trains synchronously on the main thread and
   * returns an already-settled promise; the façade splits a fit into chunks of steps so the event
   * loop still gets turns. Invalid arguments throw synchronously, as with the native binding.
   */
  trainBatchesAsync(call: TrainCall): Promise<LossStats> {
    return Promise.resolve(this.trainBatches(call));
  }

  /**
   * Loss sum and correct count over all rows without dropout, in chunks of INFERENCE_CHUNK_ROWS rows;
   * with `gradients` the gradient of the mean loss over all rows is left in spec.grads.
   */
  evaluate(call: EvaluateCall): LossStats {
    this.checkAlive();
    checkEvaluateCall(fail, this.shape, call);
    const rows = call.rows;
    const L = this.L, inputs = this.sizes[0], out = this.sizes[L];
    const gradients = Boolean(call.gradients);
    this.reserve(Math.min(rows, INFERENCE_CHUNK_ROWS));
    if (gradients) this.grads.fill(0, 0, this.paramCount);
    const weights = call.weights ?? null;
    const total: LossStats = { lossSum: 0, correct: 0, weightSum: weightSum(weights, 0, rows) };
    const deltaScale = cast(this.params, weightedMeanScale(total.weightSum)); // gradients are (weighted) means over all rows
    const y = this.targets;
    for (let r = 0; r < rows; r += INFERENCE_CHUNK_ROWS) {
      const B = Math.min(INFERENCE_CHUNK_ROWS, rows - r);
      const inOff = r * inputs;
      this.forward(call.X, inOff, B, false);
      y.dense = call.Y;
      y.denseOff = r * out;
      y.labels = call.labels;
      y.labelsOff = r;
      y.weights = weights;
      y.weightsOff = r;
      outputLossDelta(this.loss, this.g[L], this.slope[L], this.A[L], this.params, this.bOff[L], y,
        gradients ? this.delta : null, B, out, deltaScale, this.stepStats);
      if (gradients) this.backward(call.X, inOff, B, false, -1, 0);
      total.lossSum += this.stepStats.lossSum;
      total.correct += this.stepStats.correct;
    }
    this.releaseTargets();
    return total;
  }

  /**
   * evaluate as a promise. The TypeScript backend evaluates synchronously on the calling thread and
   * returns an already-settled promise; invalid arguments throw synchronously, as with the native binding.
   */
  evaluateAsync(call: EvaluateCall): Promise<LossStats> {
    return Promise.resolve(this.evaluate(call));
  }

  /** out[rows × outputs] = the network's output for X[rows × inputs], in chunks of INFERENCE_CHUNK_ROWS rows. */
  predict(call: PredictCall): void {
    this.checkAlive();
    checkPredictCall(fail, this.shape, call);
    const rows = call.rows;
    const L = this.L, inputs = this.sizes[0], out = this.sizes[L];
    if (rows === 0) return;
    this.reserve(Math.min(rows, INFERENCE_CHUNK_ROWS));
    const AL = this.A[L];
    for (let r = 0; r < rows; r += INFERENCE_CHUNK_ROWS) {
      const B = Math.min(INFERENCE_CHUNK_ROWS, rows - r);
      this.forward(call.X, r * inputs, B, false);
      biasActivationForward(this.g[L], this.slope[L], AL, this.params, this.bOff[L], B, out);
      const n = B * out, dst = r * out, Y = call.out;
      for (let k = 0; k < n; k++) Y[dst + k] = AL[k];
    }
  }

  /**
   * Drops the workspace and detaches the spec's parameter, gradient and optimizer buffers, as the
   * native binding does; later calls throw DisposedError, a second dispose does nothing.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    detachBuffers([this.params, this.grads, this.optM, this.optV, this.optG]);
    const empty = new this.Float(0);
    this.X = this.delta = this.deltaPrev = this.Y = empty;
    this.A.fill(empty);
    this.D.fill(empty);
    this.M.fill(empty);
    this.labels = new Int32Array(0);
    this.capacity = 0;
  }

  private checkAlive(): void {
    if (this.disposed) throw new DisposedError('blasprop js: the network was disposed');
  }

  // ---------------------------------------------------------------------------------------------
  // Workspace (network_reserve)

  /** Grows the workspace to hold B rows. Allocates only when B exceeds every earlier batch size. */
  private reserve(B: number): void {
    if (B <= this.capacity) return;
    const Float = this.Float, sizes = this.sizes, L = this.L;
    let widest = 0;
    for (let l = 0; l <= L; l++) widest = sizes[l] > widest ? sizes[l] : widest;
    this.X = new Float(B * sizes[0]);
    for (let l = 0; l <= L; l++) {
      const n = B * sizes[l];
      if (l > 0) this.A[l] = new Float(n);
      if (l < L && this.dropout[l] > 0) {
        this.D[l] = new Float(n);
        this.M[l] = new Float(n);
      }
    }
    this.delta = new Float(B * widest);
    this.deltaPrev = new Float(B * widest);
    this.Y = new Float(B * sizes[L]);
    this.labels = new Int32Array(B);
    this.weights = new Float(B);
    this.capacity = B;
  }

  // ---------------------------------------------------------------------------------------------
  // Passes (passes.h)

  /** The rows layer l reads in the last forward pass: the input or a^(l-1), after dropout when training. */
  private layerInput(l: number, input: FloatArray, training: boolean): FloatArray {
    const k = l - 1;
    if (training && this.dropout[k] > 0) return this.D[k];
    return k === 0 ? input : this.A[k];
  }

  /** The index where layerInput(l, …) starts: inOff for the caller's input, 0 for a workspace buffer. */
  private layerInputOffset(l: number, inOff: number, training: boolean): number {
    const k = l - 1;
    return k === 0 && !(training && this.dropout[0] > 0) ? inOff : 0;
  }

  /**
   * Forward through layers 1..L−1 (bias, g, and dropout when training) and the output layer's product:
   * afterwards A[L] holds A^(L-1) (W^L)ᵀ without bias, for outputLossDelta or predict.
   */
  private forward(input: FloatArray, inOff: number, B: number, training: boolean): void {
    const L = this.L, sizes = this.sizes, params = this.params;
    for (let l = 1; l <= L; l++) {
      const inputs = sizes[l - 1], out = sizes[l];
      const p = this.dropout[l - 1];
      if (training && p > 0) {
        // D^(l-1) = a^(l-1) ⊙ mask, one draw per element in row-major order.
        if (l === 1) dropoutForward(p, this.rng, input, inOff, this.M[0], this.D[0], B * inputs);
        else dropoutForward(p, this.rng, this.A[l - 1], 0, this.M[l - 1], this.D[l - 1], B * inputs);
      }
      const src = this.layerInput(l, input, training);
      const srcOff = this.layerInputOffset(l, inOff, training);
      denseForward(src, srcOff, params, this.wOff[l], this.A[l], 0, B, inputs, out); // z^l = W^l a^(l-1)
      if (l < L) biasActivationForward(this.g[l], this.slope[l], this.A[l], params, this.bOff[l], B, out); // a^l = g(z^l + b^l)
    }
  }

  /**
   * Backward from δ^L (in this.delta) down to layer 1. With fusedLr ≥ 0 each layer's plain SGD update
   * (W ← (1 − ηλ) W − η ∂L/∂W, b ← b − η ∂L/∂b) is applied as soon as δ^(l-1) no longer needs the
   * old W^l; otherwise the gradient is accumulated into spec.grads.
   */
  private backward(input: FloatArray, inOff: number, B: number, training: boolean, fusedLr: number, weightDecay: number): void {
    const sizes = this.sizes, params = this.params;
    let delta = this.delta, deltaPrev = this.deltaPrev;
    for (let l = this.L; l >= 1; l--) {
      const inputs = sizes[l - 1], out = sizes[l];
      const W = this.wOff[l];
      if (l > 1) {
        // δ^(l-1) = δ^l W^l ⊙ (dropout mask) ⊙ g'(z^(l-1)); layer 1's input needs no delta.
        const n = B * inputs;
        denseBackwardInput(delta, 0, params, W, deltaPrev, 0, B, inputs, out);
        if (training && this.dropout[l - 1] > 0) dropoutBackward(this.M[l - 1], deltaPrev, n);
        activationBackward(this.g[l - 1], this.slope[l - 1], this.A[l - 1], 0, deltaPrev, 0, n);
      }
      const src = this.layerInput(l, input, training);
      const srcOff = this.layerInputOffset(l, inOff, training);
      if (fusedLr >= 0) {
        if (weightDecay > 0) scal(params, W, out * inputs, cast(params, 1 - fusedLr * weightDecay)); // W ← (1 − ηλ) W
        denseBackwardParams(delta, 0, src, srcOff, params, W, params, this.bOff[l], B, inputs, out, cast(params, -fusedLr));
      } else {
        denseBackwardParams(delta, 0, src, srcOff, this.grads, W, this.grads, this.bOff[l], B, inputs, out, 1);
      }
      const t = delta;
      delta = deltaPrev;
      deltaPrev = t;
    }
  }

  /**
   * Applies the optimizer to every layer from the gradients in spec.grads (clipped to the global norm
   * first if asked): weights with weight decay, biases without. t is the 1-based step count.
   */
  private applyGradients(c: OptimizerConfig, t: number): void {
    const n = this.paramCount;
    const params = this.params, grads = this.grads, m = this.optM, v = this.optV, a = this.optG;
    if (c.clipNorm > 0) {
      const norm = nrm2(grads, 0, n);
      if (norm > c.clipNorm) scal(grads, 0, n, cast(grads, c.clipNorm / norm));
    }
    for (let l = 1; l <= this.L; l++) {
      const w = this.wOff[l], b = this.bOff[l];
      const nW = this.sizes[l] * this.sizes[l - 1];
      optimizerUpdate(c, params, grads, m, v, a, w, nW, c.weightDecay, t);
      optimizerUpdate(c, params, grads, m, v, a, b, this.sizes[l], 0, t);
    }
  }

  /** Rescales every unit's incoming weight vector to at most maxNorm (no-op for maxNorm ≤ 0). */
  private applyMaxNorm(maxNorm: number): void {
    if (maxNorm <= 0) return;
    for (let l = 1; l <= this.L; l++) maxNormConstrain(this.params, this.wOff[l], this.sizes[l], this.sizes[l - 1], maxNorm);
  }

  /**
   * One training step on the B gathered rows in this.X and this.targets: forward with dropout, loss,
   * backward, update, max-norm. The gradient is of the batch's weighted mean loss (the mean without
   * weights). `diagnostics` (or null) receives the step's per-layer statistics. Leaves the step's
   * loss sum, correct count and weight sum in this.stepStats.
   */
  private trainStep(B: number, c: OptimizerConfig, t: number, diagnostics: Float64Array | null): void {
    const L = this.L, X = this.X, y = this.targets;
    this.forward(X, 0, B, true);
    const scale = cast(this.params, weightedMeanScale(weightSum(y.weights, y.weightsOff, B)));
    outputLossDelta(this.loss, this.g[L], this.slope[L], this.A[L], this.params, this.bOff[L], y,
      this.delta, B, this.sizes[L], scale, this.stepStats);
    const fused = optimizerIsFusable(c) && diagnostics === null;
    if (fused) {
      this.backward(X, 0, B, true, c.learningRate, c.weightDecay);
    } else {
      this.grads.fill(0, 0, this.paramCount);
      this.backward(X, 0, B, true, -1, 0);
      if (diagnostics !== null) this.writeDiagnostics(B, diagnostics);
      this.applyGradients(c, t);
    }
    this.applyMaxNorm(c.maxNorm);
  }

  /** DIAGNOSTICS_PER_LAYER doubles per layer from the gradient and activations of the last step. */
  private writeDiagnostics(B: number, out: Float64Array): void {
    for (let l = 1; l <= this.L; l++) {
      layerDiagnostics(this.grads, this.wOff[l], this.bOff[l], this.sizes[l - 1], this.sizes[l],
        this.A[l], B, this.g[l], out, (l - 1) * DIAGNOSTICS_PER_LAYER);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The mini-batch loop (training.h)

  /** Copies the rows order[start .. start+B) of the call's dataset into X and the targets and weights workspace. */
  private gatherBatch(call: TrainCall, start: number, B: number): void {
    const inputs = this.sizes[0], out = this.sizes[this.L];
    const order = call.order, src = call.X, X = this.X;
    for (let i = 0; i < B; i++) {
      const from = order[start + i] * inputs, to = i * inputs;
      for (let j = 0; j < inputs; j++) X[to + j] = src[from + j];
    }
    const y = this.targets;
    y.denseOff = 0;
    y.labelsOff = 0;
    if (call.labels !== null && call.labels !== undefined) {
      const labels = this.labels, srcLabels = call.labels;
      for (let i = 0; i < B; i++) labels[i] = srcLabels[order[start + i]];
      y.labels = labels;
      y.dense = null;
    } else {
      const Y = this.Y, srcY = call.Y as FloatArray;
      for (let i = 0; i < B; i++) {
        const from = order[start + i] * out, to = i * out;
        for (let j = 0; j < out; j++) Y[to + j] = srcY[from + j];
      }
      y.dense = Y;
      y.labels = null;
    }
    y.weightsOff = 0;
    y.weights = null;
    if (call.weights !== null && call.weights !== undefined) {
      const weights = this.weights, srcWeights = call.weights;
      for (let i = 0; i < B; i++) weights[i] = srcWeights[order[start + i]];
      y.weights = weights;
    }
  }

  /** The batch loop of trainBatches over already checked arguments. */
  private trainBatchLoop(call: TrainCall, c: OptimizerConfig): LossStats {
    const { count, batchSize } = call;
    const stepLosses = call.stepLosses ?? null;
    const stepWeights = call.stepWeights ?? null;
    const diagnostics = call.diagnostics ?? null;
    this.reserve(Math.min(count, batchSize));
    const total: LossStats = { lossSum: 0, correct: 0, weightSum: 0 };
    let step = 0;
    for (let start = 0; start < count; start += batchSize, step++) {
      const B = Math.min(batchSize, count - start);
      this.gatherBatch(call, start, B);
      const last = start + batchSize >= count;
      this.trainStep(B, c, call.firstStep + step, last ? diagnostics : null);
      const s = this.stepStats;
      if (stepLosses !== null) stepLosses[step] = s.weightSum > 0 ? s.lossSum / s.weightSum : 0;
      if (stepWeights !== null) stepWeights[step] = s.weightSum;
      total.lossSum += s.lossSum;
      total.correct += s.correct;
      total.weightSum += s.weightSum;
    }
    this.releaseTargets();
    return total;
  }

  // ---------------------------------------------------------------------------------------------
  // Argument checks: only what keeps the loops in bounds (the façade validates values).

  /** Drops the references to the caller's arrays that a pass left in this.targets. */
  private releaseTargets(): void {
    this.targets.dense = null;
    this.targets.labels = null;
    this.targets.weights = null;
  }
}
