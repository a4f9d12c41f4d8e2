// optimizers.ts — parameter updates from a gradient buffer, one flat loop per parameter segment
// (native/kernels/optimizers.h), and the max-norm constraint.

import { OPTIMIZER_CODE_VALUES, OPTIMIZER_CODES } from '../../codes';
import type { FloatArray, OptimizerCall } from '../../engine';
import { cast, nrm2, scal } from './blas';

/** An OptimizerCall with every default filled in (native OptimizerConfig / parse_optimizer). */
export interface OptimizerConfig {
  /** OPTIMIZER_CODES: 0 = SGD, 1 = Adam, 2 = AdamW, 3 = RMSprop, 4 = Adagrad. */
  type: number;
  learningRate: number;
  /** SGD: 0 is plain SGD; RMSprop: momentum of the scaled step. */
  momentum: number;
  /** SGD: Nesterov momentum (Sutskever et al. 2013), PyTorch's formulation. */
  nesterov: boolean;
  /** Adam, AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019). */
  beta1: number;
  beta2: number;
  /** Adam, AdamW, RMSprop, Adagrad: added to the root in the denominator. */
  epsilon: number;
  /** RMSprop (Hinton 2012): smoothing of the mean square. */
  alpha: number;
  /** RMSprop: divide by the root of the variance estimate (Graves 2013). */
  centered: boolean;
  /** Adagrad (Duchi et al. 2011): the sum of squares starts here. */
  initialAccumulator: number;
  /**
   * On weights, not biases: the L2 penalty ½λ‖W‖² added to the gradient (λW), except for AdamW,
   * where it is the decoupled decay W ← W − ηλW applied before the Adam step.
   */
  weightDecay: number;
  /** > 0: each unit's incoming weight vector is rescaled to at most this norm. */
  maxNorm: number;
  /** > 0: the whole gradient is rescaled to at most this global L2 norm. */
  clipNorm: number;
}

/** The value of an optional setting, or `fallback` when it is absent (undefined or null), as native reads it. */
function orDefault(v: number | undefined | null, fallback: number): number {
  return v === undefined || v === null ? fallback : v;
}

/**
 * Fills in the defaults of an optimizer call as native does: momentum 0, β1 0.9, β2 0.999, ε 1e-8,
 * α 0.99, not centered, accumulator 0, no decay, max-norm or clipping.
 */
export function resolveOptimizer(c: OptimizerCall): OptimizerConfig {
  if (!OPTIMIZER_CODE_VALUES.includes(c.type)) throw new Error(`blasprop js: unknown optimizer type ${c.type}`);
  return {
    type: c.type,
    learningRate: c.learningRate,
    momentum: orDefault(c.momentum, 0),
    nesterov: Boolean(c.nesterov),
    beta1: orDefault(c.beta1, 0.9),
    beta2: orDefault(c.beta2, 0.999),
    epsilon: orDefault(c.epsilon, 1e-8),
    alpha: orDefault(c.alpha, 0.99),
    centered: Boolean(c.centered),
    initialAccumulator: orDefault(c.initialAccumulator, 0),
    weightDecay: orDefault(c.weightDecay, 0),
    maxNorm: orDefault(c.maxNorm, 0),
    clipNorm: orDefault(c.clipNorm, 0),
  };
}

/**
 * Plain SGD without momentum or clipping needs no gradient buffer: the update is fused into the
 * backward pass (alpha = −η). The caller also requires that no diagnostics are wanted for the step.
 */
export function optimizerIsFusable(c: OptimizerConfig): boolean {
  return c.type === OPTIMIZER_CODES.sgd && c.momentum === 0 && c.clipNorm === 0;
}

/**
 * One step on the segment p[off .. off+n) from its gradient g. m, v and a are the optimizer's state
 * for the segment (same layout as p):
 *   SGD      m: velocity
 *   Adam(W)  m: first moment, v: second moment
 *   RMSprop  m: momentum buffer, v: mean square, a: mean gradient (centered)
 *   Adagrad  v: sum of squares
 * `decay` is the segment's weight decay (0 for biases); t is the 1-based step count since the state
 * was last reset (Adam's bias correction; Adagrad's accumulator starts at initialAccumulator at t = 1).
 */
export function optimizerUpdate(
  c: OptimizerConfig, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, a: FloatArray,
  off: number, n: number, decay: number, t: number,
): void {
  const lr = cast(p, c.learningRate), wd = cast(p, decay);
  const end = off + n;
  switch (c.type) {
    case OPTIMIZER_CODES.sgd: {
      const mu = cast(p, c.momentum);
      if (c.momentum === 0) {
        for (let k = off; k < end; k++) p[k] -= lr * (g[k] + wd * p[k]); // W ← W − η(∇ + λW)
      } else if (c.nesterov) {
        for (let k = off; k < end; k++) {
          const gk = g[k] + wd * p[k];
          m[k] = mu * m[k] + gk; // v ← μv + g
          p[k] -= lr * (gk + mu * m[k]); // step g + μv
        }
      } else {
        for (let k = off; k < end; k++) {
          const gk = g[k] + wd * p[k];
          m[k] = mu * m[k] + gk; // v ← μv + g
          p[k] -= lr * m[k]; // step v
        }
      }
      return;
    }
    case OPTIMIZER_CODES.adam:
    case OPTIMIZER_CODES.adamw: {
      // m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², p ← p − η m̂ / (√v̂ + ε).
      // Adam adds λp to g; AdamW instead first shrinks p ← (1 − ηλ) p, as torch.optim.AdamW.
      const decoupled = c.type === OPTIMIZER_CODES.adamw;
      const l2 = decoupled ? 0 : wd;
      const shrink = decoupled ? cast(p, 1 - c.learningRate * decay) : 1;
      const b1 = cast(p, c.beta1), b2 = cast(p, c.beta2), eps = cast(p, c.epsilon);
      const oneMinusB1 = cast(p, 1 - b1), oneMinusB2 = cast(p, 1 - b2);
      const mCorrection = cast(p, 1 / (1 - Math.pow(c.beta1, t)));
      const vCorrection = cast(p, 1 / (1 - Math.pow(c.beta2, t)));
      for (let k = off; k < end; k++) {
        const gk = g[k] + l2 * p[k];
        m[k] = b1 * m[k] + oneMinusB1 * gk;
        v[k] = b2 * v[k] + oneMinusB2 * gk * gk;
        p[k] = p[k] * shrink - (lr * (m[k] * mCorrection)) / (Math.sqrt(v[k] * vCorrection) + eps);
      }
      return;
    }
    case OPTIMIZER_CODES.rmsprop: {
      // v ← α v + (1 − α) g²; centered: a ← α a + (1 − α) g and the root is of v − a² (clamped at 0
      // against rounding); d = √· + ε. Without momentum p ← p − η g / d; with it m ← μ m + g / d, p ← p − η m.
      const alpha = cast(p, c.alpha), oneMinusAlpha = cast(p, 1 - alpha), eps = cast(p, c.epsilon), mu = cast(p, c.momentum);
      for (let k = off; k < end; k++) {
        const gk = g[k] + wd * p[k];
        v[k] = alpha * v[k] + oneMinusAlpha * gk * gk;
        let square = v[k];
        if (c.centered) {
          a[k] = alpha * a[k] + oneMinusAlpha * gk;
          square = Math.max(cast(p, square - a[k] * a[k]), 0);
        }
        const scaled = cast(p, gk / (Math.sqrt(square) + eps));
        if (c.momentum > 0) {
          m[k] = mu * m[k] + scaled;
          p[k] -= lr * m[k];
        } else {
          p[k] -= lr * scaled;
        }
      }
      return;
    }
    case OPTIMIZER_CODES.adagrad: {
      // v ← v + g² (v = initialAccumulator before the first step), p ← p − η g / (√v + ε).
      const eps = cast(p, c.epsilon), initial = cast(p, c.initialAccumulator);
      const first = t === 1;
      for (let k = off; k < end; k++) {
        const gk = g[k] + wd * p[k];
        v[k] = (first ? initial : v[k]) + gk * gk;
        p[k] -= lr * (gk / (Math.sqrt(v[k]) + eps));
      }
      return;
    }
  }
}

/** Rescales each row of W[out × in] (from index wOff) whose L2 norm exceeds maxNorm down to maxNorm. */
export function maxNormConstrain(W: FloatArray, wOff: number, out: number, inputs: number, maxNorm: number): void {
  for (let r = 0; r < out; r++) {
    const row = wOff + r * inputs;
    const norm = nrm2(W, row, inputs);
    if (norm > maxNorm) scal(W, row, inputs, cast(W, maxNorm / norm));
  }
}
