// The addon's timing of a training step by phase (native/kernels/step_phases.h), which
// bench/engines.ts prints: every step is counted, each phase is charged where its work runs (the
// optimizer only when there is an update outside the products, operand copies only on oneDNN), the
// phases add up to no more than the call's wall time, and nothing is timed while it is off.
import { afterEach, describe, expect, it } from 'vitest';
import { Network, backendInfo, type FitOptions, type NetworkOptions } from '../lib';
import { STEP_PHASES, loadNative, type NativeBinding } from '../lib/backends/native';

const native = loadNative();
const binding = 'binding' in native ? (native.binding as NativeBinding) : null;
const onednn = backendInfo().blas?.onednn ?? null;

const ROWS = 1000, INPUTS = 64, BATCH = 128;  // 8 steps, the last partial
const X = new Float32Array(ROWS * INPUTS).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
const LABELS = new Int32Array(ROWS).map((_, i) => (i * 31) % 10);
const STEPS = Math.ceil(ROWS / BATCH);

function timedFit(options: Partial<NetworkOptions>, fit: FitOptions): { seconds: Record<string, number>; steps: number; wall: number } {
  const net = new Network({ inputs: INPUTS, layers: [{ units: 96, activation: 'relu', dropout: 0.1 }, { units: 10 }], loss: 'cross-entropy', seed: 1, backend: 'native', ...options });
  binding!.stepPhaseTimes(true);
  const started = performance.now();
  net.fitSync({ data: X, shape: [ROWS, INPUTS] }, LABELS, { epochs: 1, batchSize: BATCH, ...fit });
  const wall = (performance.now() - started) / 1000;
  const t = binding!.stepPhaseTimes(false);
  net.dispose();
  return { ...t, wall };
}

describe.runIf(binding)('step phase timing', () => {
  afterEach(() => binding!.stepPhaseTimes(false));

  const engines: [string, Partial<NetworkOptions>][] = [
    ['OpenBLAS', { blas: 'openblas' }],
    ...(onednn ? [['oneDNN float32', { blas: 'onednn' }] as [string, Partial<NetworkOptions>]] : []),
    ...(onednn?.bf16 ? [['oneDNN bfloat16', { mixedPrecision: 'bfloat16' }] as [string, Partial<NetworkOptions>]] : []),
  ];

  it.each(engines)('%s: every step counted, each phase where its work runs, the sum within the wall time', (name, options) => {
    const momentum = timedFit(options, { learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 } });
    expect(momentum.steps).toBe(STEPS);
    expect(Object.keys(momentum.seconds).sort()).toEqual([...STEP_PHASES].sort());
    for (const phase of ['products', 'gather', 'biasActivation', 'loss', 'dropout', 'biasGradient', 'zeroGradients', 'optimizer'])
      expect(momentum.seconds[phase], phase).toBeGreaterThan(0);
    // oneDNN copies δ transposed for the weight gradient (and rounds operands in bf16); OpenBLAS copies nothing.
    if (name === 'OpenBLAS') expect(momentum.seconds.operandCopies).toBe(0);
    else expect(momentum.seconds.operandCopies).toBeGreaterThan(0);
    const total = Object.values(momentum.seconds).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(momentum.wall);
    // Plain SGD is fused into the products: no gradient buffer to clear, no update pass.
    const sgd = timedFit(options, { learningRate: 0.05 });
    expect(sgd.steps).toBe(STEPS);
    expect(sgd.seconds.zeroGradients).toBe(0);
    expect(sgd.seconds.optimizer).toBe(0);
    expect(sgd.seconds.products).toBeGreaterThan(0);
  });

  it('nothing is timed or counted while the timing is off', () => {
    binding!.stepPhaseTimes(false);
    const net = new Network({ inputs: INPUTS, layers: [{ units: 10 }], loss: 'cross-entropy', seed: 1, backend: 'native' });
    net.fitSync({ data: X, shape: [ROWS, INPUTS] }, LABELS, { epochs: 1, batchSize: BATCH, learningRate: 0.05 });
    const t = binding!.stepPhaseTimes(false);
    expect(t.steps).toBe(0);
    for (const phase of STEP_PHASES) expect(t.seconds[phase]).toBe(0);
  });
});
