// brain.js 1.x `NeuralNetwork`: hidden ReLU layers of the same sizes, trained with its own
// `train(data, { iterations: 1 })` per epoch. What it cannot match:
//  - one example per update (no mini-batches): only the batch-1 case is comparable;
//  - its output layer uses the hidden activation (ReLU here) with the squared-error delta, not softmax + cross-entropy;
//  - momentum must be in (0, 1): 1e-9 is used (≈ plain SGD, but the momentum term is still computed);
//  - no shuffling; float32 weight storage, float64 arithmetic in JavaScript, single-threaded.
import * as fs from 'node:fs';
import { CASES, CLASSES, LEARNING_RATE } from '../configs';
import { makeDataset } from '../data';
import type { BenchSystem, Trainer } from '../protocol';

interface BrainNetwork {
  train(data: { input: number[]; output: number[] }[], options: Record<string, unknown>): { error: number; iterations: number };
}
interface BrainModule {
  NeuralNetwork: new (options: Record<string, unknown>) => BrainNetwork;
}

let brain: BrainModule;

export const system: BenchSystem = {
  async setup() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    brain = require('brain.js') as BrainModule;
    const manifest = require.resolve('brain.js/package.json');
    return {
      version: JSON.parse(fs.readFileSync(manifest, 'utf8')).version,
      dtype: 'float32 storage, float64 math',
      threads: 1,
      notes: [
        'NeuralNetwork: per-example updates only (batch 1)',
        'output layer = ReLU with squared-error delta (no softmax + cross-entropy)',
        'momentum 1e-9 (brain.js rejects 0)',
        'no shuffling',
      ],
    };
  },

  async prepare(caseId) {
    const c = CASES.find((k) => k.id === caseId);
    if (!c) return { unsupported: `unknown case ${caseId}` };
    if (c.batchSize !== 1) return { unsupported: 'brain.js NeuralNetwork updates after every example; it has no mini-batch training' };
    const data = makeDataset(c.sizes[0]!);
    // brain.js formats Array inputs (typed arrays would be read as key/value objects).
    const examples = Array.from({ length: data.rows }, (_, r) => {
      const output = new Array<number>(CLASSES).fill(0);
      output[data.labels[r]!] = 1;
      return { input: Array.from(data.X.subarray(r * data.inputs, (r + 1) * data.inputs)), output };
    });
    const net = new brain.NeuralNetwork({ hiddenLayers: c.sizes.slice(1, -1), activation: 'relu' });
    const options = { iterations: 1, errorThresh: 1e-9, learningRate: LEARNING_RATE, momentum: 1e-9, log: false };
    const trainer: Trainer = {
      batchSize: 1,
      epoch(rows) {
        net.train(examples.slice(0, rows), options);
      },
    };
    return trainer;
  },
};
