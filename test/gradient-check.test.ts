// Analytic gradients of both backends (float64) against central finite differences of the loss (five-point stencil),
// for every allowed activation × loss pairing, depths 1–4 and batch sizes 1, 3 and 16.
import { describe, expect, it } from 'vitest';
import { Network, type ActivationName, type LossName, type NetworkOptions, type WeightOptions } from '../lib';
import { resolveArchitecture } from '../lib/architecture';
import { ACTIVATIONS, LOSSES } from '../lib/codes';
import { BACKENDS } from './helpers/backends';
import { lcg, randomRows } from './helpers/reference';

/** Every activation a hidden layer may have (softmax is output-only), from lib/codes.ts. */
const HIDDEN = ACTIVATIONS.filter((a): a is Exclude<ActivationName, 'softmax'> => a !== 'softmax');
/**
 * Every allowed output activation and loss pairing, found by asking the architecture rules
 * (labels for cross-entropy checked separately): a new activation or loss is checked without
 * editing this file.
 */
const OUTPUTS: { activation: ActivationName; loss: LossName }[] = ACTIVATIONS.flatMap((activation) =>
  LOSSES.filter((loss) => {
    try {
      resolveArchitecture({ inputs: 2, layers: [{ units: 2, activation }], loss });
      return true;
    } catch {
      return false;
    }
  }).map((loss) => ({ activation, loss })),
);
/** Step of the five-point stencil f' ≈ (8(f(h) − f(−h)) − (f(2h) − f(−2h))) / 12h: O(h⁴) truncation, so h can be large enough to keep round-off small. */
const H = 2e-5;

function targetsFor(loss: LossName, rows: number, outputs: number, rand: () => number, labels: boolean): number[][] | number[] {
  if (loss === 'cross-entropy') {
    const classes = Array.from({ length: rows }, () => Math.floor(rand() * outputs));
    return labels ? classes : classes.map((c) => Array.from({ length: outputs }, (_, j) => (j === c ? 1 : 0)));
  }
  if (loss === 'binary-cross-entropy') return randomRows(rows, outputs, rand).map((r) => r.map((v) => (v > 0 ? 1 : 0)));
  return randomRows(rows, outputs, rand);
}

/**
 * The worst, over every layer's W and b, of the relative error ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖),
 * and the worst element error |analytic − numeric| / (max(|analytic|, |numeric|) + 1e-4), which bounds
 * single entries too (the floor is the accuracy finite differences can give on entries near zero).
 */
function gradientError(net: Network, x: number[][], y: number[][] | number[], rowWeights?: WeightOptions): { vector: number; element: number; kinks: number; entries: number } {
  const analytic = net.gradients(x, y, rowWeights);
  const weights = net.getWeights();
  let vector = 0, element = 0, kinks = 0, entries = 0;
  weights.forEach((layer, l) => {
    for (const part of ['weight', 'bias'] as const) {
      const values = layer[part];
      let diff2 = 0, a2 = 0, n2 = 0;
      entries += values.length;
      for (let k = 0; k < values.length; k++) {
        const original = values[k]!;
        const lossAt = (delta: number): number => {
          values[k] = original + delta;
          net.setWeights(weights);
          return net.evaluate(x, y, rowWeights).loss;
        };
        const near = (lossAt(H) - lossAt(-H)) / (2 * H);
        const far = (lossAt(2 * H) - lossAt(-2 * H)) / (4 * H);
        values[k] = original;
        // A ReLU kink inside [−2h, 2h] makes the two central differences disagree far beyond their
        // O(h²) truncation; finite differences say nothing there, so such entries are counted, not compared.
        if (Math.abs(far - near) > 1e-4 * Math.max(Math.abs(near), Math.abs(far)) + 1e-8) {
          if (process.env.DEBUG_KINKS) console.log({ l, part, k, near, far, a: analytic[l]![part][k] });
          kinks++;
          continue;
        }
        const numeric = (4 * near - far) / 3; // Richardson: the five-point stencil
        const a = analytic[l]![part][k]!;
        diff2 += (a - numeric) ** 2;
        a2 += a * a;
        n2 += numeric * numeric;
        element = Math.max(element, Math.abs(a - numeric) / (Math.max(Math.abs(a), Math.abs(numeric)) + 1e-4));
      }
      if (a2 + n2 > 0) vector = Math.max(vector, Math.sqrt(diff2) / Math.sqrt(Math.max(a2, n2)));
    }
  });
  net.setWeights(weights);
  return { vector, element, kinks, entries };
}

describe.each(BACKENDS)('gradient check, %s backend, float64', (backend) => {
  const cases: { hidden: ActivationName; depth: number; out: (typeof OUTPUTS)[number]; batch: number }[] = [];
  for (const out of OUTPUTS) {
    for (const batch of [1, 3, 16]) {
      cases.push({ hidden: 'identity', depth: 1, out, batch });
      for (const hidden of HIDDEN) for (const depth of [2, 3, 4]) cases.push({ hidden, depth, out, batch });
    }
  }

  it.each(cases)('$hidden × $depth layers → $out.activation + $out.loss, batch $batch', ({ hidden, depth, out, batch }) => {
    const rand = lcg(depth * 1000 + batch * 7 + (HIDDEN as readonly ActivationName[]).indexOf(hidden) * 31 + OUTPUTS.indexOf(out) * 131);
    const outputs = 3;
    const layers: NetworkOptions['layers'] = [];
    for (let l = 0; l < depth - 1; l++) layers.push({ units: 4 + l, activation: hidden, init: { type: 'normal', std: 0.8 } });
    layers.push({ units: outputs, activation: out.activation, init: { type: 'normal', std: 0.8 } });
    const net = new Network({ inputs: 3, layers, loss: out.loss, dtype: 'float64', seed: 42 + depth, backend });
    // Non-zero biases so that every bias gradient path is exercised.
    const w = net.getWeights();
    w.forEach((layer) => layer.bias.forEach((_, j) => (layer.bias[j] = rand() - 0.5)));
    net.setWeights(w);
    const x = randomRows(batch, 3, rand, 1.5);
    const y = targetsFor(out.loss, batch, outputs, rand, false);
    const piecewise = [hidden, out.activation].some((a) => a === 'relu' || a === 'leaky-relu');
    const check = (result: ReturnType<typeof gradientError>): void => {
      expect(result.vector).toBeLessThan(1e-6);
      expect(result.element).toBeLessThan(1e-6);
      // Kinks only exist in ReLU-family networks, and are rare there.
      expect(result.kinks).toBeLessThanOrEqual(piecewise ? Math.ceil(0.02 * result.entries) : 0);
    };
    check(gradientError(net, x, y));
    if (out.loss === 'cross-entropy') check(gradientError(net, x, targetsFor(out.loss, batch, outputs, rand, true)));
  });
});

describe.each(BACKENDS)('gradient check of the weighted loss Σ w_i L_i / Σ w_i, %s backend, float64', (backend) => {
  const cases = OUTPUTS.filter((o) => o.loss !== 'mse' || o.activation === 'tanh');
  it.each(cases)('tanh × 3 layers → $activation + $loss, sampleWeight (and classWeight for classification)', ({ activation, loss }) => {
    const rand = lcg(9000 + ACTIVATIONS.indexOf(activation) * 7 + LOSSES.indexOf(loss) * 17);
    const outputs = loss === 'binary-cross-entropy' ? 1 : 3;
    const net = new Network({
      inputs: 3, loss, dtype: 'float64', seed: 77, backend,
      layers: [{ units: 5, activation: 'tanh', init: { type: 'normal', std: 0.8 } }, { units: 4, activation: 'tanh', init: { type: 'normal', std: 0.8 } }, { units: outputs, activation, init: { type: 'normal', std: 0.8 } }],
    });
    const rows = 12;
    const x = randomRows(rows, 3, rand, 1.5);
    const y = targetsFor(loss, rows, outputs, rand, false);
    const sampleWeight = Array.from({ length: rows }, (_, r) => (r % 4 === 0 ? 0 : 0.2 + 2 * ((rand() + 1) / 2)));
    const check = (result: ReturnType<typeof gradientError>): void => {
      expect(result.vector).toBeLessThan(1e-6);
      expect(result.element).toBeLessThan(1e-6);
      expect(result.kinks).toBe(0);
    };
    check(gradientError(net, x, y, { sampleWeight }));
    if (loss !== 'mse') check(gradientError(net, x, y, { sampleWeight, classWeight: { 0: 3, 1: 0.5 } }));
    if (loss === 'cross-entropy') check(gradientError(net, x, targetsFor(loss, rows, outputs, rand, true), { classWeight: { 2: 4 } }));
    // The weights matter: the weighted gradient differs from the unweighted one.
    const plain = net.gradients(x, y)[0]!.weight;
    const weighted = net.gradients(x, y, { sampleWeight })[0]!.weight;
    expect(Math.max(...plain.map((v, k) => Math.abs(v - weighted[k]!)))).toBeGreaterThan(1e-3 * Math.max(...plain.map(Math.abs)));
  });
});
