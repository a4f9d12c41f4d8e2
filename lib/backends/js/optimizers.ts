// optimizers.ts — parameter updates from a gradient buffer, one flat loop per parameter segment
// (native/kernels/optimizers.h), and the max-norm constraint.

import { OPTIMIZER_CODES } from '../../codes';
import type { FloatArray, OptimizerCall } from '../../engine';
import { cast, nrm2, scal } from './blas';

/** An OptimizerCall with every default filled in (native OptimizerConfig / parse_optimizer). */
export interface OptimizerConfig {
  /** 0 = SGD, 1 = Adam. */
  type: number;
  learningRate: number;
  /** SGD: 0 is plain SGD. */
  momentum: number;
  /** SGD: Nesterov momentum (Sutskever et al. 2013), PyTorch's formulation. */
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 penalty ½λ‖W‖² on weights (not biases), added to the gradient. */
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

/** Fills in the defaults of an optimizer call: momentum 0, β1 0.9, β2 0.999, ε 1e-8, no decay, max-norm or clipping. */
export function resolveOptimizer(c: OptimizerCall): OptimizerConfig {
  return {
    type: c.type,
    learningRate: c.learningRate,
    momentum: orDefault(c.momentum, 0),
    nesterov: Boolean(c.nesterov),
    beta1: orDefault(c.beta1, 0.9),
    beta2: orDefault(c.beta2, 0.999),
    epsilon: orDefault(c.epsilon, 1e-8),
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
 * p[off .. off+n) −= step(g + decay · p). m and v are the optimizer's state for the segment (same
 * layout as p); t is the 1-based step count, for Adam's bias correction.
 */
export function optimizerUpdate(
  c: OptimizerConfig, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray,
  off: number, n: number, decay: number, t: number,
): void {
  const lr = cast(p, c.learningRate), wd = cast(p, decay);
  const end = off + n;
  if (c.type === OPTIMIZER_CODES.sgd) {
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
  // Adam (Kingma & Ba 2015): m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², p ← p − η m̂ / (√v̂ + ε).
  const b1 = cast(p, c.beta1), b2 = cast(p, c.beta2), eps = cast(p, c.epsilon);
  const oneMinusB1 = cast(p, 1 - b1), oneMinusB2 = cast(p, 1 - b2);
  const mCorrection = cast(p, 1 / (1 - Math.pow(c.beta1, t)));
  const vCorrection = cast(p, 1 / (1 - Math.pow(c.beta2, t)));
  for (let k = off; k < end; k++) {
    const gk = g[k] + wd * p[k];
    m[k] = b1 * m[k] + oneMinusB1 * gk;
    v[k] = b2 * v[k] + oneMinusB2 * gk * gk;
    p[k] -= lr * (m[k] * mCorrection) / (Math.sqrt(v[k] * vCorrection) + eps);
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
