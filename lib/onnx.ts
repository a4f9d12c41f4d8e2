// ONNX export of a network's inference graph: one Gemm per layer followed by its activation.
// Serialised with the protobufjs static code that the `onnx-proto` package generates from
// onnx.proto (ONNX v1.10.2 schema, which covers every field written here).
//
// Spec references: ONNX IR (https://onnx.ai/onnx/repo-docs/IR.html) and the operator pages
// named next to each node below (https://onnx.ai/onnx/operators/).

import type * as OnnxProtoModule from 'onnx-proto';
import { ACTIVATIONS, type ActivationName } from './codes';
import type { DType, FloatArray } from './dtype';
import { BlaspropError, ConfigError, DTypeError, ShapeError } from './errors';
import { littleEndianBytes } from './little-endian';

/** The plain description of a trained network that {@link modelToOnnx} exports. */
export interface OnnxModelDescription {
  /** Element type of the parameters and of the exported graph (FLOAT or DOUBLE tensors). */
  dtype: DType;
  /** sizes[0] = inputs, sizes[l] = units of layer l (l = 1..L); at least one layer. */
  sizes: number[];
  /** Activation of each layer l = 1..L (length L); 'softmax' is allowed on the last layer only. */
  activations: ActivationName[];
  /** Leaky-ReLU slope of each layer l = 1..L (length L); read only where the activation is 'leaky-relu'. */
  slopes: number[];
  /** Flat parameters W^1 b^1 W^2 b^2 …; W^l row-major [out × in] (like PyTorch Linear), b^l of length out. */
  params: FloatArray;
}

/** Options of {@link modelToOnnx}. */
export interface OnnxExportOptions {
  /** ModelProto.producer_version (for example the blasprop version); omitted when not given. */
  producerVersion?: string;
  /** Name of the graph input, shape [batch, sizes[0]]. Default 'input'. */
  inputName?: string;
  /** Name of the graph output, shape [batch, sizes[L]]. Default 'output'. */
  outputName?: string;
  /** Opset of the default ONNX domain, {@link ONNX_MIN_OPSET}..{@link ONNX_MAX_OPSET}. Default {@link ONNX_DEFAULT_OPSET}. */
  opset?: number;
}

/** Opset written when none is asked for. */
export const ONNX_DEFAULT_OPSET = 17;
/** Lowest supported opset: Softmax, Gemm, Sigmoid, Tanh and Relu all have their current definitions from opset 13 on. */
export const ONNX_MIN_OPSET = 13;
/** Highest supported opset (ONNX 1.18). */
export const ONNX_MAX_OPSET = 23;

// ModelProto.ir_version for each opset: the IR version of the ONNX release that introduced it
// (onnx.helper.VERSION_TABLE).
const IR_VERSION_BY_OPSET: Readonly<Record<number, number>> = {
  13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11,
};

/** The IR version (ModelProto.ir_version) that goes with an opset of the default domain. */
export function onnxIrVersion(opset: number): number {
  const ir = IR_VERSION_BY_OPSET[opset];
  if (!Number.isInteger(opset) || ir === undefined) {
    throw new ConfigError(
      `ONNX opset must be an integer from ${ONNX_MIN_OPSET} to ${ONNX_MAX_OPSET}, got ${String(opset)}`,
    );
  }
  return ir;
}

const KNOWN_ACTIVATIONS: ReadonlySet<string> = new Set<ActivationName>(ACTIVATIONS);

// A protobuf message (and so a single ONNX file without external data) is limited to 2 GiB.
const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;

type OnnxNamespace = typeof OnnxProtoModule.onnx;
let onnxNamespace: OnnxNamespace | undefined;

// Loaded on first use, so that importing blasprop does not require onnx-proto.
function loadOnnx(): OnnxNamespace {
  if (onnxNamespace === undefined) {
    let mod: typeof OnnxProtoModule;
    try {
      mod = require('onnx-proto') as typeof OnnxProtoModule;
    } catch (err) {
      throw new BlaspropError(
        `ONNX export needs the 'onnx-proto' package, which could not be loaded: ${(err as Error).message}`,
      );
    }
    onnxNamespace = mod.onnx;
  }
  return onnxNamespace;
}

interface ValidatedModel {
  dtype: DType;
  sizes: number[];
  activations: ActivationName[];
  slopes: number[];
  params: FloatArray;
}

function validate(desc: OnnxModelDescription): ValidatedModel {
  if (desc === null || typeof desc !== 'object') {
    throw new ConfigError('modelToOnnx: the model description must be an object');
  }
  const { dtype, sizes, activations, slopes, params } = desc;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ConfigError(`modelToOnnx: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new ConfigError('modelToOnnx: sizes must be an array [inputs, units of layer 1, …] with at least one layer');
  }
  sizes.forEach((n, l) => {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new ConfigError(`modelToOnnx: sizes[${l}] must be a positive integer, got ${String(n)}`);
    }
  });
  const L = sizes.length - 1;
  if (!Array.isArray(activations) || activations.length !== L) {
    throw new ConfigError(
      `modelToOnnx: activations must have one entry per layer (${L}), got ${Array.isArray(activations) ? activations.length : typeof activations}`,
    );
  }
  activations.forEach((a, i) => {
    if (typeof a !== 'string' || !KNOWN_ACTIVATIONS.has(a)) {
      throw new ConfigError(
        `modelToOnnx: unknown activation ${JSON.stringify(a)} for layer ${i + 1}; expected one of ${[...KNOWN_ACTIVATIONS].join(', ')}`,
      );
    }
    if (a === 'softmax' && i !== L - 1) {
      throw new ConfigError(`modelToOnnx: softmax is allowed on the last layer only, found on layer ${i + 1} of ${L}`);
    }
  });
  if (!Array.isArray(slopes) || slopes.length !== L) {
    throw new ConfigError(
      `modelToOnnx: slopes must have one entry per layer (${L}), got ${Array.isArray(slopes) ? slopes.length : typeof slopes}`,
    );
  }
  activations.forEach((a, i) => {
    if (a === 'leaky-relu' && (typeof slopes[i] !== 'number' || !Number.isFinite(slopes[i]))) {
      throw new ConfigError(`modelToOnnx: the leaky-relu slope of layer ${i + 1} must be a finite number, got ${String(slopes[i])}`);
    }
  });
  const expectedType = dtype === 'float32' ? Float32Array : Float64Array;
  if (!(params instanceof expectedType)) {
    const got = params instanceof Float32Array ? 'Float32Array' : params instanceof Float64Array ? 'Float64Array' : typeof params;
    throw new DTypeError(`modelToOnnx: params must be a ${expectedType.name} for dtype '${dtype}', got ${got}`);
  }
  let expected = 0;
  for (let l = 1; l <= L; l++) expected += sizes[l] * (sizes[l - 1] + 1);
  if (params.length !== expected) {
    throw new ShapeError(
      `modelToOnnx: params has ${params.length} values but sizes [${sizes.join(', ')}] need ${expected} (W^l [out × in] and b^l [out] per layer)`,
    );
  }
  if (params.length * params.BYTES_PER_ELEMENT > MAX_PROTOBUF_BYTES) {
    throw new ConfigError(
      'modelToOnnx: the parameters exceed the 2 GiB limit of a single ONNX (protobuf) file; external data is not supported',
    );
  }
  return { dtype, sizes: [...sizes], activations: [...activations], slopes: [...slopes], params };
}

/**
 * Exports a feed-forward network's inference graph as a serialised ONNX `ModelProto`.
 *
 * The graph takes `input` [batch, sizes[0]] (symbolic batch dimension "batch") and, for each layer
 * l, computes `Gemm(a, layer{l}.weight, layer{l}.bias, transB = 1)` followed by the activation
 * (`Sigmoid`, `Tanh`, `Relu`, `LeakyRelu` with alpha = slope, `Softmax` with axis = 1; none for
 * identity), ending in `output` [batch, sizes[L]]. Weights are stored as initializers in
 * little-endian `raw_data`, as FLOAT tensors for float32 and DOUBLE tensors for float64.
 *
 * A float64 leaky-ReLU layer whose slope is not exactly a float32 value is written as `PRelu` with
 * a DOUBLE slope initializer `layer{l}.slope` [1] instead of `LeakyRelu`, because LeakyRelu's
 * `alpha` attribute is a 32-bit float and would round the slope; the two operators compute the
 * same function. Dropout is the identity at inference time and is not part of the description.
 *
 * @param desc - The network: dtype, layer sizes, activations, slopes and flat parameters.
 * @param options - Producer version, input/output names and opset (13–23, default 17).
 * @returns The encoded model, ready to be written to a `.onnx` file or given to an ONNX runtime.
 * @throws ConfigError for a bad dtype, sizes, activation (unknown, or softmax before the last layer),
 *   slope or option; ShapeError when params' length does not match sizes; DTypeError when params is
 *   not the typed array of dtype.
 */
export function modelToOnnx(desc: OnnxModelDescription, options: OnnxExportOptions = {}): Uint8Array {
  const model = validate(desc);
  const { dtype, sizes, activations, slopes, params } = model;
  const L = sizes.length - 1;

  const opset = options.opset ?? ONNX_DEFAULT_OPSET;
  const irVersion = onnxIrVersion(opset);
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  for (const [key, value] of [['inputName', inputName], ['outputName', outputName]] as const) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConfigError(`modelToOnnx: options.${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
  if (inputName === outputName) {
    throw new ConfigError(`modelToOnnx: inputName and outputName must differ, both are ${JSON.stringify(inputName)}`);
  }
  if (options.producerVersion !== undefined && typeof options.producerVersion !== 'string') {
    throw new ConfigError('modelToOnnx: options.producerVersion must be a string');
  }

  const onnx = loadOnnx();
  const DataType = onnx.TensorProto.DataType;
  const AttrType = onnx.AttributeProto.AttributeType;
  const elemType = dtype === 'float32' ? DataType.FLOAT : DataType.DOUBLE;
  const ArrayType = dtype === 'float32' ? Float32Array : Float64Array;

  const valueInfo = (name: string, units: number): OnnxProtoModule.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'batch' }, { dimValue: units }] } } },
  });

  const nodes: OnnxProtoModule.onnx.INodeProto[] = [];
  const initializers: OnnxProtoModule.onnx.ITensorProto[] = [];
  const intermediates: OnnxProtoModule.onnx.IValueInfoProto[] = [];
  const names = new Set<string>(); // tensor names; node names live in their own namespace
  const claim = (name: string): string => {
    if (name === inputName || name === outputName || names.has(name)) {
      throw new ConfigError(`modelToOnnx: the name ${JSON.stringify(name)} is used by the exported graph; choose other input/output names`);
    }
    names.add(name);
    return name;
  };

  let previous = inputName;
  let offset = 0;
  for (let l = 1; l <= L; l++) {
    const inUnits = sizes[l - 1];
    const outUnits = sizes[l];
    const activation = activations[l - 1];
    const last = l === L;
    const prefix = `layer${l}`;

    const weight = params.subarray(offset, offset + outUnits * inUnits);
    offset += outUnits * inUnits;
    const bias = params.subarray(offset, offset + outUnits);
    offset += outUnits;
    const weightName = claim(`${prefix}.weight`);
    const biasName = claim(`${prefix}.bias`);
    initializers.push(
      { name: weightName, dataType: elemType, dims: [outUnits, inUnits], rawData: littleEndianBytes(weight) },
      { name: biasName, dataType: elemType, dims: [outUnits], rawData: littleEndianBytes(bias) },
    );

    // Gemm: https://onnx.ai/onnx/operators/onnx__Gemm.html — Y = A·Bᵀ + C with transB = 1.
    const z = last && activation === 'identity' ? outputName : claim(`${prefix}.z`);
    nodes.push({
      name: `${prefix}/Gemm`,
      opType: 'Gemm',
      input: [previous, weightName, biasName],
      output: [z],
      attribute: [{ name: 'transB', type: AttrType.INT, i: 1 }],
    });
    if (z !== outputName) intermediates.push(valueInfo(z, outUnits));
    if (activation === 'identity') {
      previous = z;
      continue;
    }

    const a = last ? outputName : claim(`${prefix}.a`);
    switch (activation) {
      case 'sigmoid': // https://onnx.ai/onnx/operators/onnx__Sigmoid.html
        nodes.push({ name: `${prefix}/Sigmoid`, opType: 'Sigmoid', input: [z], output: [a] });
        break;
      case 'tanh': // https://onnx.ai/onnx/operators/onnx__Tanh.html
        nodes.push({ name: `${prefix}/Tanh`, opType: 'Tanh', input: [z], output: [a] });
        break;
      case 'relu': // https://onnx.ai/onnx/operators/onnx__Relu.html
        nodes.push({ name: `${prefix}/Relu`, opType: 'Relu', input: [z], output: [a] });
        break;
      case 'leaky-relu': {
        const slope = slopes[l - 1];
        if (dtype === 'float32' || Math.fround(slope) === slope) {
          // LeakyRelu: https://onnx.ai/onnx/operators/onnx__LeakyRelu.html — alpha is a 32-bit float attribute.
          nodes.push({
            name: `${prefix}/LeakyRelu`,
            opType: 'LeakyRelu',
            input: [z],
            output: [a],
            attribute: [{ name: 'alpha', type: AttrType.FLOAT, f: slope }],
          });
        } else {
          // PRelu: https://onnx.ai/onnx/operators/onnx__PRelu.html — the slope as a DOUBLE tensor keeps all 53 bits.
          const slopeName = claim(`${prefix}.slope`);
          initializers.push({ name: slopeName, dataType: elemType, dims: [1], rawData: littleEndianBytes(new ArrayType([slope])) });
          nodes.push({ name: `${prefix}/PRelu`, opType: 'PRelu', input: [z, slopeName], output: [a] });
        }
        break;
      }
      case 'softmax': // https://onnx.ai/onnx/operators/onnx__Softmax.html — opset ≥ 13: normalise along axis 1 only.
        nodes.push({
          name: `${prefix}/Softmax`,
          opType: 'Softmax',
          input: [z],
          output: [a],
          attribute: [{ name: 'axis', type: AttrType.INT, i: 1 }],
        });
        break;
      default: {
        const unreachable: never = activation;
        throw new ConfigError(`modelToOnnx: unknown activation ${String(unreachable)}`);
      }
    }
    if (a !== outputName) intermediates.push(valueInfo(a, outUnits));
    previous = a;
  }

  const architecture = sizes
    .map((n, l) => (l === 0 ? `${n}` : `${n} (${activations[l - 1]})`))
    .join(' → ');
  const message: OnnxProtoModule.onnx.IModelProto = {
    irVersion,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'blasprop',
    ...(options.producerVersion !== undefined ? { producerVersion: options.producerVersion } : {}),
    docString: `Feed-forward network exported by blasprop (${dtype}): ${architecture}.`,
    graph: {
      name: 'blasprop_mlp',
      docString: 'Inference graph: per layer Gemm(a, W, b, transB=1) then the activation.',
      node: nodes,
      initializer: initializers,
      input: [{ ...valueInfo(inputName, sizes[0]), docString: `Batch of ${sizes[0]}-feature rows.` }],
      output: [{ ...valueInfo(outputName, sizes[L]), docString: `Network output a^${L}.` }],
      valueInfo: intermediates,
    },
    metadataProps: [
      { key: 'blasprop.dtype', value: dtype },
      { key: 'blasprop.sizes', value: JSON.stringify(sizes) },
      { key: 'blasprop.activations', value: JSON.stringify(activations) },
      { key: 'blasprop.slopes', value: JSON.stringify(slopes) },
    ],
  };

  const encoded = onnx.ModelProto.encode(message).finish();
  // protobufjs returns a Node Buffer that may share a pooled ArrayBuffer: hand back an owned copy.
  const bytes = new Uint8Array(encoded.length);
  bytes.set(encoded);
  return bytes;
}
