// ONNX export (lib/onnx.ts): the exported graph, run by the real onnxruntime (CPU), must match a
// forward pass computed here by hand; the decoded protobuf must have the documented structure;
// bad descriptions must be rejected with typed errors.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { ActivationName } from '../lib/codes';
import { ConfigError, DTypeError, ShapeError } from '../lib/errors';
import { modelToOnnx, type OnnxModelDescription } from '../lib/onnx';
import { Rng } from '../lib/rng';

type DType = 'float32' | 'float64';

interface Arch {
  sizes: number[];
  activations: ActivationName[];
  slopes?: number[];
}

function paramCount(sizes: number[]): number {
  let n = 0;
  for (let l = 1; l < sizes.length; l++) n += sizes[l] * (sizes[l - 1] + 1);
  return n;
}

/** A description with seeded random weights (scaled so activations stay O(1)) and biases. */
function randomModel(arch: Arch, dtype: DType, seed: number): OnnxModelDescription {
  const rng = new Rng(seed);
  const { sizes } = arch;
  const values: number[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const scale = Math.sqrt(2 / sizes[l - 1]);
    for (let k = 0; k < sizes[l] * sizes[l - 1]; k++) values.push(rng.normal() * scale);
    for (let k = 0; k < sizes[l]; k++) values.push(rng.normal() * 0.3);
  }
  const L = sizes.length - 1;
  return {
    dtype,
    sizes: [...sizes],
    activations: [...arch.activations],
    slopes: arch.slopes ?? new Array<number>(L).fill(0.01),
    params: dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values),
  };
}

function randomInputs(rows: number, cols: number, dtype: DType, rng: Rng): Float32Array | Float64Array {
  const x = dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = 4 * rng.uniform() - 2;
  return x;
}

/** Reference forward pass in float64 with plain loops: z = W a + b, a = g(z). */
function referenceForward(desc: OnnxModelDescription, x: ArrayLike<number>, rows: number): Float64Array {
  const { sizes, activations, slopes, params } = desc;
  let a = Float64Array.from(x);
  let offset = 0;
  for (let l = 1; l < sizes.length; l++) {
    const nIn = sizes[l - 1];
    const nOut = sizes[l];
    const wOff = offset;
    const bOff = offset + nOut * nIn;
    offset = bOff + nOut;
    const z = new Float64Array(rows * nOut);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < nOut; j++) {
        let s = params[bOff + j];
        for (let k = 0; k < nIn; k++) s += params[wOff + j * nIn + k] * a[r * nIn + k];
        z[r * nOut + j] = s;
      }
    }
    const g = activations[l - 1];
    const slope = slopes[l - 1];
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * nOut, (r + 1) * nOut);
      if (g === 'softmax') {
        let max = -Infinity;
        for (let j = 0; j < nOut; j++) max = Math.max(max, row[j]);
        let sum = 0;
        for (let j = 0; j < nOut; j++) {
          row[j] = Math.exp(row[j] - max);
          sum += row[j];
        }
        for (let j = 0; j < nOut; j++) row[j] /= sum;
        continue;
      }
      for (let j = 0; j < nOut; j++) {
        const v = row[j];
        switch (g) {
          case 'identity':
            break;
          case 'sigmoid':
            row[j] = 1 / (1 + Math.exp(-v));
            break;
          case 'tanh':
            row[j] = Math.tanh(v);
            break;
          case 'relu':
            row[j] = v > 0 ? v : 0;
            break;
          case 'leaky-relu':
            row[j] = v > 0 ? v : slope * v;
            break;
          default:
            throw new Error(`test reference: unhandled activation ${g}`);
        }
      }
    }
    a = z;
  }
  return a;
}

async function runOnnx(bytes: Uint8Array, dtype: DType, x: Float32Array | Float64Array, rows: number, cols: number) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const input = dtype === 'float32'
      ? new ort.Tensor('float32', x as Float32Array, [rows, cols])
      : new ort.Tensor('float64', x as Float64Array, [rows, cols]);
    const result = await session.run({ [session.inputNames[0]]: input });
    return result[session.outputNames[0]];
  } finally {
    await session.release();
  }
}

const ARCHS: Arch[] = [
  { sizes: [5, 3], activations: ['identity'] },
  { sizes: [4, 6], activations: ['sigmoid'] },
  { sizes: [4, 6], activations: ['tanh'] },
  { sizes: [4, 6], activations: ['relu'] },
  { sizes: [4, 6], activations: ['leaky-relu'], slopes: [0.01] },
  { sizes: [4, 6], activations: ['softmax'] },
  { sizes: [3, 8, 2], activations: ['tanh', 'identity'] },
  { sizes: [6, 10, 7, 4], activations: ['relu', 'leaky-relu', 'softmax'], slopes: [0, 0.2, 0] },
  { sizes: [8, 16, 12, 9, 5], activations: ['sigmoid', 'tanh', 'leaky-relu', 'relu'], slopes: [0, 0, 0.25, 0] },
  { sizes: [2, 5, 5, 5, 1], activations: ['leaky-relu', 'relu', 'tanh', 'sigmoid'], slopes: [0.01, 0, 0, 0] },
  { sizes: [7, 9, 6, 8, 3], activations: ['identity', 'leaky-relu', 'sigmoid', 'softmax'], slopes: [0, -0.3, 0, 0] },
];

const TOLERANCE: Record<DType, number> = { float32: 1e-5, float64: 1e-12 };

describe('modelToOnnx + onnxruntime-node', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    ARCHS.forEach((arch, index) => {
      const label = `${dtype} [${arch.sizes.join(', ')}] ${arch.activations.join(' → ')}`;
      it(`matches the reference forward pass: ${label}`, async () => {
        const desc = randomModel(arch, dtype, 1000 + index);
        const bytes = modelToOnnx(desc);
        const rng = new Rng(7 + index);
        const cols = arch.sizes[0];
        const outUnits = arch.sizes[arch.sizes.length - 1];
        for (const rows of [1, 17]) {
          const x = randomInputs(rows, cols, dtype, rng);
          const expected = referenceForward(desc, x, rows);
          const got = await runOnnx(bytes, dtype, x, rows, cols);
          expect(got.type).toBe(dtype);
          expect(got.dims).toEqual([rows, outUnits]);
          const data = got.data as Float32Array | Float64Array;
          let worst = 0;
          for (let i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(data[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
          }
          expect(worst).toBeLessThanOrEqual(TOLERANCE[dtype]);
        }
      });
    });
  }

  it('runs with custom input/output names and every supported opset boundary', async () => {
    const desc = randomModel({ sizes: [3, 4, 2], activations: ['relu', 'softmax'] }, 'float32', 5);
    const x = randomInputs(4, 3, 'float32', new Rng(9));
    const expected = referenceForward(desc, x, 4);
    for (const opset of [13, 17, 23]) {
      const bytes = modelToOnnx(desc, { inputName: 'features', outputName: 'probs', opset });
      const session = await ort.InferenceSession.create(bytes);
      try {
        expect(session.inputNames).toEqual(['features']);
        expect(session.outputNames).toEqual(['probs']);
        const out = await session.run({ features: new ort.Tensor('float32', x as Float32Array, [4, 3]) });
        const data = out.probs.data as Float32Array;
        for (let i = 0; i < expected.length; i++) expect(Math.abs(data[i] - expected[i])).toBeLessThanOrEqual(1e-5);
      } finally {
        await session.release();
      }
    }
  });
});

function decode(bytes: Uint8Array) {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: false }) as {
    irVersion: number;
    opsetImport: { domain?: string; version: number }[];
    producerName: string;
    producerVersion?: string;
    docString: string;
    metadataProps: { key: string; value: string }[];
    graph: {
      node: { name: string; opType: string; input: string[]; output: string[]; attribute?: { name: string; type: number; i?: number; f?: number }[] }[];
      initializer: { name: string; dims: number[]; dataType: number; rawData: Uint8Array }[];
      input: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[];
      output: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[];
      valueInfo?: { name: string }[];
    };
  };
}

function floatsLE(raw: Uint8Array, dtype: DType): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = dtype === 'float32' ? 4 : 8;
  const out: number[] = [];
  for (let i = 0; i < raw.byteLength; i += size) out.push(dtype === 'float32' ? view.getFloat32(i, true) : view.getFloat64(i, true));
  return out;
}

describe('modelToOnnx protobuf structure', () => {
  it('writes Gemm + activation nodes, named initializers, shapes, opset and metadata', () => {
    const arch: Arch = { sizes: [4, 5, 3, 2], activations: ['tanh', 'leaky-relu', 'softmax'], slopes: [0, 0.01, 0] };
    const base = randomModel(arch, 'float32', 42);
    // A subarray with a non-zero byteOffset: raw_data must hold exactly the viewed values.
    const padded = new Float32Array(base.params.length + 3);
    padded.set(base.params, 3);
    const desc: OnnxModelDescription = { ...base, params: padded.subarray(3) };
    const bytes = modelToOnnx(desc, { producerVersion: '9.9.9' });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bytes)).toBe(false);

    const m = decode(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(m.producerName).toBe('blasprop');
    expect(m.producerVersion).toBe('9.9.9');
    expect(m.docString).toMatch(/blasprop/);
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(meta['blasprop.dtype']).toBe('float32');
    expect(JSON.parse(meta['blasprop.sizes'])).toEqual([4, 5, 3, 2]);
    expect(JSON.parse(meta['blasprop.activations'])).toEqual(['tanh', 'leaky-relu', 'softmax']);

    const g = m.graph;
    expect(g.node.map((n) => n.opType)).toEqual(['Gemm', 'Tanh', 'Gemm', 'LeakyRelu', 'Gemm', 'Softmax']);
    expect(g.node[0].input).toEqual(['input', 'layer1.weight', 'layer1.bias']);
    expect(g.node[5].output).toEqual(['output']);
    for (let k = 1; k < g.node.length; k++) expect(g.node[k].input[0]).toBe(g.node[k - 1].output[0]);
    for (const n of g.node.filter((n) => n.opType === 'Gemm')) {
      expect(n.attribute).toEqual([{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]);
    }
    const leaky = g.node[3].attribute?.[0];
    expect(leaky?.name).toBe('alpha');
    expect(leaky?.type).toBe(onnx.AttributeProto.AttributeType.FLOAT);
    expect(leaky?.f).toBe(Math.fround(0.01));
    expect(g.node[5].attribute).toEqual([{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]);

    expect(g.initializer.map((t) => t.name)).toEqual([
      'layer1.weight', 'layer1.bias', 'layer2.weight', 'layer2.bias', 'layer3.weight', 'layer3.bias',
    ]);
    expect(g.initializer.map((t) => t.dims)).toEqual([[5, 4], [5], [3, 5], [3], [2, 3], [2]]);
    for (const t of g.initializer) expect(t.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
    const flat = g.initializer.flatMap((t) => floatsLE(t.rawData, 'float32'));
    expect(flat).toEqual(Array.from(base.params));

    expect(g.input.map((v) => v.name)).toEqual(['input']);
    expect(g.input[0].type.tensorType.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(g.input[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 4 }]);
    expect(g.output.map((v) => v.name)).toEqual(['output']);
    expect(g.output[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 2 }]);
  });

  it('writes DOUBLE tensors for float64 and keeps a non-float32 leaky slope exact with PRelu', () => {
    const arch: Arch = { sizes: [3, 4, 4, 2], activations: ['leaky-relu', 'leaky-relu', 'identity'], slopes: [0.01, 0.25, 0] };
    const desc = randomModel(arch, 'float64', 3);
    const m = decode(modelToOnnx(desc));
    const g = m.graph;
    expect(g.node.map((n) => n.opType)).toEqual(['Gemm', 'PRelu', 'Gemm', 'LeakyRelu', 'Gemm']);
    expect(g.node[1].input).toEqual(['layer1.z', 'layer1.slope']);
    expect(g.node[3].attribute?.[0].f).toBe(0.25);
    expect(g.node[4].output).toEqual(['output']); // identity last layer: Gemm writes the output directly
    expect(g.initializer.map((t) => t.name)).toEqual([
      'layer1.weight', 'layer1.bias', 'layer1.slope', 'layer2.weight', 'layer2.bias', 'layer3.weight', 'layer3.bias',
    ]);
    for (const t of g.initializer) expect(t.dataType).toBe(onnx.TensorProto.DataType.DOUBLE);
    const slope = g.initializer.find((t) => t.name === 'layer1.slope');
    expect(slope?.dims).toEqual([1]);
    expect(floatsLE(slope?.rawData ?? new Uint8Array(), 'float64')).toEqual([0.01]);
    const params = g.initializer.filter((t) => t.name !== 'layer1.slope').flatMap((t) => floatsLE(t.rawData, 'float64'));
    expect(params).toEqual(Array.from(desc.params));
    expect(g.input[0].type.tensorType.elemType).toBe(onnx.TensorProto.DataType.DOUBLE);
    expect(m.producerVersion ?? '').toBe('');
  });

  it('maps the opset to its IR version', () => {
    const desc = randomModel({ sizes: [2, 2], activations: ['relu'] }, 'float32', 1);
    const cases: [number, number][] = [[13, 7], [14, 7], [15, 8], [17, 8], [18, 8], [19, 9], [20, 9], [21, 10], [22, 10], [23, 11]];
    for (const [opset, ir] of cases) {
      const m = decode(modelToOnnx(desc, { opset }));
      expect(m.opsetImport).toEqual([{ domain: '', version: opset }]);
      expect(m.irVersion).toBe(ir);
    }
  });
});

describe('modelToOnnx rejects bad descriptions', () => {
  const good = (): OnnxModelDescription => randomModel({ sizes: [3, 4, 2], activations: ['relu', 'softmax'] }, 'float32', 11);

  it('params length not matching sizes → ShapeError', () => {
    const d = good();
    expect(() => modelToOnnx({ ...d, params: d.params.subarray(1) })).toThrow(ShapeError);
    expect(() => modelToOnnx({ ...d, params: d.params.subarray(1) })).toThrow(/params has 25 values but sizes \[3, 4, 2\] need 26/);
    expect(() => modelToOnnx({ ...d, sizes: [3, 5, 2] })).toThrow(ShapeError);
  });

  it('softmax before the last layer → ConfigError', () => {
    const d = good();
    expect(() => modelToOnnx({ ...d, activations: ['softmax', 'relu'] })).toThrow(ConfigError);
    expect(() => modelToOnnx({ ...d, activations: ['softmax', 'relu'] })).toThrow(/softmax is allowed on the last layer only, found on layer 1 of 2/);
  });

  it('unknown activation → ConfigError', () => {
    const d = good();
    const activations = ['relu', 'swish'] as unknown as ActivationName[];
    expect(() => modelToOnnx({ ...d, activations })).toThrow(ConfigError);
    expect(() => modelToOnnx({ ...d, activations })).toThrow(/unknown activation "swish" for layer 2/);
  });

  it('inconsistent shapes of the description → ConfigError', () => {
    const d = good();
    expect(() => modelToOnnx({ ...d, activations: ['relu'] })).toThrow(/activations must have one entry per layer \(2\), got 1/);
    expect(() => modelToOnnx({ ...d, slopes: [0.01] })).toThrow(/slopes must have one entry per layer \(2\), got 1/);
    expect(() => modelToOnnx({ ...d, sizes: [3] })).toThrow(ConfigError);
    expect(() => modelToOnnx({ ...d, sizes: [3, 0, 2] })).toThrow(/sizes\[1\] must be a positive integer/);
    expect(() => modelToOnnx({ ...d, sizes: [3, 4.5, 2] })).toThrow(ConfigError);
    expect(() => modelToOnnx({ ...d, activations: ['leaky-relu', 'softmax'], slopes: [NaN, 0] })).toThrow(
      /leaky-relu slope of layer 1 must be a finite number/,
    );
    expect(() => modelToOnnx({ ...d, dtype: 'float16' as unknown as DType })).toThrow(ConfigError);
  });

  it('params of the wrong typed-array kind → DTypeError', () => {
    const d = good();
    expect(() => modelToOnnx({ ...d, params: Float64Array.from(d.params) })).toThrow(DTypeError);
    expect(() => modelToOnnx({ ...d, params: Array.from(d.params) as unknown as Float32Array })).toThrow(DTypeError);
  });

  it('bad options → ConfigError', () => {
    const d = good();
    for (const opset of [12, 24, 17.5]) expect(() => modelToOnnx(d, { opset })).toThrow(/opset must be an integer from 13 to 23/);
    expect(() => modelToOnnx(d, { inputName: 'x', outputName: 'x' })).toThrow(/must differ/);
    expect(() => modelToOnnx(d, { inputName: '' })).toThrow(ConfigError);
    expect(() => modelToOnnx(d, { inputName: 'layer1.weight' })).toThrow(/"layer1.weight" is used by the exported graph/);
  });
});
