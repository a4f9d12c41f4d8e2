// Every kind of bad input throws the documented error class with a message naming the problem,
// and leaves the network exactly as it was: same weights, and training afterwards gives the same
// result as on a twin network that never saw the bad call.
import { describe, expect, it } from 'vitest';
import {
  ConfigError, DTypeError, LabelError, Network, NonFiniteError, ShapeError, type NetworkOptions,
} from '../lib';
import { BACKENDS } from './helpers/backends';

const OPTIONS: NetworkOptions = {
  inputs: 3,
  layers: [{ units: 4, activation: 'relu', dropout: 0.2 }, { units: 3, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: 17,
};
const X = [[1, 2, 3], [0, -1, 0.5], [2, 2, 2], [-1, 0, 1]];
const Y = [0, 2, 1, 2];

function bytesOf(net: Network): string {
  return net.getWeights().map((l) => `${Array.from(l.weight).join(',')}|${Array.from(l.bias).join(',')}`).join(';');
}

type Case = [string, (net: Network) => unknown, new (...args: never[]) => Error, RegExp];

const CASES: Case[] = [
  ['x with too few columns', (n) => n.fitSync([[1, 2]], [0]), ShapeError, /x\[0\] has 2 values, the network expects 3/],
  ['matrix data length ≠ shape', (n) => n.predict({ data: new Float32Array(5), shape: [2, 3] }), ShapeError, /x has shape \[2, 3\] \(6 elements\) but its data has 5 elements/],
  ['matrix with wrong column count', (n) => n.evaluate({ data: new Float32Array(8), shape: [2, 4] }, [0, 1]), ShapeError, /4 columns, the network expects 3/],
  ['labels count ≠ rows', (n) => n.fitSync(X, [0, 1]), ShapeError, /2 labels but x has 4 rows/],
  ['target rows with the wrong width', (n) => n.trainStep(X, X.map((r) => r.slice(0, 2)), 0.1), ShapeError, /y\[0\] has 2 values, the network expects 3/],
  ['integer matrix data', (n) => n.predict({ data: new Int32Array(6) as unknown as Float32Array, shape: [2, 3] }), DTypeError, /Float32Array or Float64Array/],
  ['a string in a row', (n) => n.predict([[1, '2' as unknown as number, 3]]), DTypeError, /x\[0\]\[1\] must be a number, got '2'/],
  ['x is not an array', (n) => n.predict('abc' as unknown as number[][]), DTypeError, /x must be/],
  ['NaN in x', (n) => n.fitSync([[1, NaN, 3], ...X.slice(1)], Y), NonFiniteError, /NaN at row 0, column 1/],
  ['Infinity in a Float64Array matrix', (n) => n.evaluate({ data: Float64Array.from([1, 2, Infinity]), shape: [1, 3] }, [0]), NonFiniteError, /Infinity at row 0, column 2/],
  ['float64 value that overflows float32', (n) => n.predict({ data: Float64Array.from([1, 1e39, 0]), shape: [1, 3] }), NonFiniteError, /as float32/],
  ['NaN in dense targets', (n) => n.trainStep([[1, 2, 3]], [[0, NaN, 1]], 0.1), NonFiniteError, /y holds NaN at row 0, column 1/],
  ['label out of range', (n) => n.fitSync(X, [0, 1, 3, 0]), LabelError, /y\[2\] = 3 is outside \[0, 3\)/],
  ['negative label', (n) => n.evaluate(X, [0, -1, 1, 1]), LabelError, /y\[1\] = -1/],
  ['non-integer label', (n) => n.fitSync(X, [0, 1.5, 1, 0]), LabelError, /1\.5 is not an integer class label/],
  ['batch size 0', (n) => n.fitSync(X, Y, { batchSize: 0 }), ConfigError, /batchSize must be in \[1/],
  ['fractional batch size', (n) => n.fitSync(X, Y, { batchSize: 2.5 }), ConfigError, /batchSize must be an integer/],
  ['empty data', (n) => n.fitSync([], []), ShapeError, /x is empty/],
  ['empty matrix', (n) => n.predict({ data: new Float32Array(0), shape: [0, 3] }), ShapeError, /empty/],
  ['NaN learning rate', (n) => n.fitSync(X, Y, { learningRate: NaN }), ConfigError, /learningRate must be a finite number, got NaN/],
  ['infinite learning rate in trainStep', (n) => n.trainStep(X, Y, Infinity), ConfigError, /learningRate must be a finite number/],
  ['negative learning rate', (n) => n.fitSync(X, Y, { learningRate: -0.1 }), ConfigError, /learningRate must be in/],
  ['unknown fit option', (n) => n.fitSync(X, Y, { batchsize: 3 } as never), ConfigError, /unknown option 'batchsize' \(did you mean 'batchSize'\?\)/],
  ['setWeights with a wrong-size layer', (n) => n.setWeights([{ weight: [1, 2], bias: [0] }, { weight: [], bias: [] }]), ShapeError, /layers\[0\]\.weight has 2 values, expected 12/],
  ['setWeights with NaN', (n) => {
    const w = n.getWeights();
    w[1]!.bias[2] = NaN;
    n.setWeights(w);
  }, NonFiniteError, /layers\[1\]\.bias\[2\] = NaN/],
  ['an RMSprop alpha of 1', (n) => n.fitSync(X, Y, { optimizer: { type: 'rmsprop', alpha: 1 } }), ConfigError, /optimizer\.alpha must be in \[0, 1\)/],
  ['AdamW with the L2 weightDecay', (n) => n.trainStep(X, Y, { learningRate: 0.1, optimizer: 'adamw', weightDecay: 0.1 }), ConfigError, /does not combine with optimizer 'adamw'/],
  ['a negative sample weight', (n) => n.fitSync(X, Y, { sampleWeight: [1, -1, 1, 1] }), ConfigError, /sampleWeight\[1\] is -1; weights must be finite numbers ≥ 0/],
  ['sampleWeight of the wrong length', (n) => n.fitSync(X, Y, { sampleWeight: new Float32Array(5) }), ShapeError, /sampleWeight has 5 weights but x has 4 rows/],
  ['an unknown classWeight label', (n) => n.evaluate(X, Y, { classWeight: { 4: 2 } }), ConfigError, /classWeight has the unknown class label '4'/],
  ['labels for an mse network with several outputs', (n) => {
    const m = new Network({ inputs: 3, layers: [{ units: 2, activation: 'identity' }], loss: 'mse', seed: 1, backend: n.backend });
    m.fitSync(X, Y);
  }, DTypeError, /class labels need loss 'cross-entropy'/],
];

describe.each(BACKENDS)('bad input (%s)', (backend) => {
  it.each(CASES)('%s', (_name, call, errorClass, message) => {
    const net = new Network({ ...OPTIONS, backend });
    const twin = new Network({ ...OPTIONS, backend });
    net.fitSync(X, Y, { epochs: 2, batchSize: 2, learningRate: 0.1, optimizer: { type: 'sgd', momentum: 0.9 } });
    twin.fitSync(X, Y, { epochs: 2, batchSize: 2, learningRate: 0.1, optimizer: { type: 'sgd', momentum: 0.9 } });
    const before = bytesOf(net);
    let thrown: unknown;
    try {
      call(net);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(errorClass);
    expect((thrown as Error).message).toMatch(message);
    expect(bytesOf(net)).toBe(before);
    // Nothing hidden changed either (optimizer state, random streams): training goes on identically.
    const options = { epochs: 2, batchSize: 2, learningRate: 0.1, optimizer: { type: 'sgd' as const, momentum: 0.9 } };
    net.fitSync(X, Y, options);
    twin.fitSync(X, Y, options);
    expect(bytesOf(net)).toBe(bytesOf(twin));
  });
});

describe('bad network definitions', () => {
  it.each<[string, unknown, RegExp]>([
    ['unknown activation', { ...OPTIONS, layers: [{ units: 4, activation: 'relu6' }, { units: 3, activation: 'softmax' }] }, /unknown layers\[0\]\.activation 'relu6'; expected one of/],
    ['unknown loss', { ...OPTIONS, loss: 'hinge' }, /unknown loss 'hinge'/],
    ['unknown init', { ...OPTIONS, layers: [{ units: 4, init: 'lecun' }, { units: 3, activation: 'softmax' }] }, /unknown layers\[0\]\.init 'lecun'/],
    ['softmax on a hidden layer', { ...OPTIONS, layers: [{ units: 4, activation: 'softmax' }, { units: 3, activation: 'softmax' }] }, /softmax is only allowed on the output layer/],
    ['cross-entropy without softmax', { ...OPTIONS, layers: [{ units: 3, activation: 'sigmoid' }] }, /needs a 'softmax' output layer/],
    ['softmax with mse', { ...OPTIONS, loss: 'mse' }, /'softmax' output layer needs loss 'cross-entropy'/],
    ['binary cross-entropy without sigmoid', { inputs: 2, layers: [{ units: 1, activation: 'tanh' }], loss: 'binary-cross-entropy' }, /needs a 'sigmoid' output/],
    ['zero units', { ...OPTIONS, layers: [{ units: 0 }, { units: 3, activation: 'softmax' }] }, /layers\[0\]\.units must be in \[1/],
    ['no layers', { inputs: 3, layers: [], loss: 'mse' }, /layers must be a non-empty array/],
    ['fractional inputs', { ...OPTIONS, inputs: 2.5 }, /inputs must be an integer/],
    ['dropout of 1', { ...OPTIONS, layers: [{ units: 4, dropout: 1 }, { units: 3, activation: 'softmax' }] }, /layers\[0\]\.dropout must be in \[0, 1\)/],
    ['negative init std', { ...OPTIONS, layers: [{ units: 4, init: { type: 'normal', std: -1 } }, { units: 3, activation: 'softmax' }] }, /init\.std must be in \[0/],
    ['unknown dtype', { ...OPTIONS, dtype: 'float16' }, /unknown dtype 'float16'/],
    ['unknown backend', { ...OPTIONS, backend: 'gpu' }, /unknown backend 'gpu'/],
    ['unknown option', { ...OPTIONS, learningRate: 0.1 }, /unknown option 'learningRate'/],
    ['bad seed', { ...OPTIONS, seed: -3 }, /seed must be an integer in \[0, 2\^32\)/],
  ])('%s', (_name, options, message) => {
    expect(() => new Network(options as NetworkOptions)).toThrow(ConfigError);
    expect(() => new Network(options as NetworkOptions)).toThrow(message);
  });
});

describe('finiteness scan of large inputs', () => {
  it.each(['float32', 'float64'] as const)('%s: finds NaN/Infinity anywhere, including block edges and the last element, and nothing else', (dtype) => {
    const cols = 7;
    const rows = 3000; // 21,000 values: several 4096-value blocks of the native scan
    const make = () => {
      const data = dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
      data.forEach((_, k) => (data[k] = k % 2 ? 1e-40 : -3e38)); // subnormal and huge finite values are fine
      return data;
    };
    const net = new Network({ inputs: cols, layers: [{ units: 2, activation: 'softmax' }], loss: 'cross-entropy', dtype, seed: 1 });
    expect(net.predict({ data: make(), shape: [rows, cols] }).shape).toEqual([rows, 2]);
    for (const [k, bad] of [[0, NaN], [4095, Infinity], [4096, -Infinity], [rows * cols - 1, NaN]] as const) {
      const data = make();
      data[k] = bad;
      expect(() => net.predict({ data, shape: [rows, cols] })).toThrow(new RegExp(`holds ${bad} at row ${Math.floor(k / cols)}, column ${k % cols}`));
    }
  });
});
