// diagnostics.ts — per-layer numbers that show vanishing and exploding gradients (native/kernels/
// diagnostics.h), read from buffers one training step already filled.

import { ACTIVATION_CODES } from '../../codes';
import type { FloatArray } from '../../engine';
import { nrm2 } from './blas';

/**
 * Writes DIAGNOSTICS_PER_LAYER doubles for one layer to out[outOff ..]:
 * [0] ‖∂L/∂W^l‖₂ [1] ‖∂L/∂b^l‖₂ [2] mean of a^l [3] std of a^l
 * [4] fraction of units with a ≤ 0 on every row of the batch (ReLU and leaky ReLU layers; NaN otherwise).
 * `grads` holds the layer's gradient at wOff (W, units × inputs) and bOff (b); A holds a^l [B × units].
 */
export function layerDiagnostics(
  grads: FloatArray, wOff: number, bOff: number, inputs: number, units: number,
  A: FloatArray, B: number, g: number, out: Float64Array, outOff: number,
): void {
  out[outOff] = nrm2(grads, wOff, units * inputs);
  out[outOff + 1] = nrm2(grads, bOff, units);
  const n = B * units;
  let sum = 0, sumSq = 0;
  for (let k = 0; k < n; k++) {
    const a = A[k];
    sum += a;
    sumSq += a * a;
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  out[outOff + 2] = mean;
  out[outOff + 3] = Math.sqrt(variance > 0 ? variance : 0); // std::max(0.0, variance), NaN → 0 included
  if (g === ACTIVATION_CODES.relu || g === ACTIVATION_CODES['leaky-relu']) {
    let dead = 0;
    for (let j = 0; j < units; j++) {
      let everActive = false;
      for (let i = 0; i < B && !everActive; i++) everActive = A[i * units + j] > 0;
      if (!everActive) dead++;
    }
    out[outOff + 4] = dead / units;
  } else {
    out[outOff + 4] = NaN;
  }
}

