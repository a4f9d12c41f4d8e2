// net.toONNX(): a trained network exported and run by the real onnxruntime gives the same
// predictions as net.predict, within 1e-5, on random inputs.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Network, type NetworkOptions } from '../lib';
import { lcg } from './helpers/reference';

const CASES: [string, NetworkOptions][] = [
  ['relu → softmax (float32)', { inputs: 6, layers: [{ units: 16, activation: 'relu', dropout: 0.2 }, { units: 4, activation: 'softmax' }], loss: 'cross-entropy', seed: 1 }],
  ['tanh, leaky-relu → sigmoid (float32)', { inputs: 6, layers: [{ units: 8, activation: 'tanh' }, { units: 8, activation: 'leaky-relu', slope: 0.1 }, { units: 2, activation: 'sigmoid' }], loss: 'binary-cross-entropy', seed: 2 }],
  ['sigmoid → identity (float64)', { inputs: 6, layers: [{ units: 5, activation: 'sigmoid' }, { units: 3, activation: 'identity' }], loss: 'mse', dtype: 'float64', seed: 3 }],
];

describe('Network.toONNX with onnxruntime-node', () => {
  it.each(CASES)('%s', async (_name, options) => {
    const rand = lcg(9);
    const net = new Network(options);
    const rows = 64;
    const x = Array.from({ length: rows }, () => Array.from({ length: 6 }, () => rand() * 4 - 2));
    const outputs = options.layers.at(-1)!.units;
    const y = options.loss === 'cross-entropy' ? x.map((r) => (r[0]! > 0 ? 1 : 0)) : x.map((r) => Array.from({ length: outputs }, (_, j) => (r[j]! > 0 ? 1 : 0)));
    net.fitSync(x, y, { epochs: 5, batchSize: 8, learningRate: 0.1 });

    const session = await ort.InferenceSession.create(net.toONNX());
    const expected = net.predict(x);
    const flat = expected.data instanceof Float64Array ? Float64Array.from(x.flat()) : Float32Array.from(x.flat());
    const result = await session.run({ input: new ort.Tensor(net.dtype, flat, [rows, 6]) });
    const got = result.output!.data as Float32Array | Float64Array;
    expect(got.length).toBe(expected.data.length);
    let worst = 0;
    got.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - expected.data[k]!))));
    expect(worst).toBeLessThan(1e-5);
  });
});
