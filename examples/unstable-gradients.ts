// Prints per-layer gradient and activation statistics of 10-layer networks at initialization, so
// vanishing and exploding gradients (the lecture's "unstable gradients") can be seen in numbers.
// Run: npx tsx examples/unstable-gradients.ts
import { Network, type ActivationName, type Init, type LayerDiagnostics } from '../lib';

function diagnostics(activation: ActivationName, init: Init, width: number): LayerDiagnostics[] {
  let s = 77;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  const x = Array.from({ length: 256 }, () => Array.from({ length: width }, rand));
  const y = x.map((r) => (r[0]! > 0 ? 1 : 0));
  const hidden = Array.from({ length: 9 }, () => ({ units: width, activation, init }));
  const net = new Network({ inputs: width, layers: [...hidden, { units: 2, activation: 'softmax', init }], loss: 'cross-entropy', dtype: 'float64', seed: 3 });
  return net.fitSync(x, y, { epochs: 1, batchSize: 256, learningRate: 1e-12, diagnostics: true }).epochs[0]!.diagnostics!;
}

function table(title: string, rows: LayerDiagnostics[]): void {
  console.log(`\n${title}`);
  console.log('layer  ‖∂L/∂W‖     ‖∂L/∂b‖     mean a      std a       dead');
  rows.forEach((d, l) => {
    const dead = d.deadFraction === null ? '–' : `${(100 * d.deadFraction).toFixed(0)}%`;
    const cells = [d.weightGradNorm, d.biasGradNorm, d.activationMean, d.activationStd].map((v) => v.toExponential(2).padEnd(11));
    console.log(`${String(l + 1).padStart(5)}  ${cells.join(' ')} ${dead}`);
  });
}

table('sigmoid, N(0, 1) weights, width 4 — gradients vanish toward the input', diagnostics('sigmoid', { type: 'normal', std: 1 }, 4));
table('sigmoid, N(0, 1) weights, width 32 — still vanishing, less (wider layers have larger ‖W‖)', diagnostics('sigmoid', { type: 'normal', std: 1 }, 32));
table('ReLU, He init, width 32 — norms stay within a small factor', diagnostics('relu', 'he', 32));
table('ReLU, N(0, 100²) weights, width 32 — activations and gradients explode', diagnostics('relu', { type: 'normal', std: 100 }, 32));
