// Turning the data forms users pass (Matrix, number[][], arrays of typed-array rows, class labels)
// into the flat row-major arrays the backends read, with shape, dtype and finiteness checks.
import type { DType } from './dtype';
import { loadNative } from './backends/native';
import { floatArray, type FloatArray } from './dtype';
import { assertMatrix, type Matrix } from './data/matrix';
import { DTypeError, LabelError, NonFiniteError, ShapeError } from './errors';
import { checkDataSize } from './limits';
import { describe } from './options';

export type { Matrix };

/** Rows of features or targets: a Matrix (the zero-copy fast path when its dtype matches), `number[][]`, or an array of typed-array rows. */
export type MatrixInput = Matrix | number[][] | ArrayLike<number>[];

/** Integer class labels, for cross-entropy (and 0/1 labels for a single sigmoid output). */
export type LabelInput = Int32Array | Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | number[];

/** Targets: a matrix of target rows, or class labels. */
export type TargetInput = MatrixInput | LabelInput;

/** Flat data in the network's dtype. */
export interface FlatMatrix {
  data: FloatArray;
  rows: number;
  cols: number;
}

function isMatrix(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'data' in x && 'shape' in x;
}

/** Index of the first NaN or ±Infinity in data, or −1: scanned natively when the addon is loaded (about 10× faster). */
function firstNonFinite(data: FloatArray): number {
  const native = loadNative();
  if ('binding' in native) return native.binding.firstNonFinite(data);
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (v - v !== 0) return k;
  }
  return -1;
}

function checkFinite(data: FloatArray, cols: number, name: string): void {
  const k = firstNonFinite(data);
  if (k >= 0) throw new NonFiniteError(`${name} holds ${data[k]} at row ${Math.floor(k / cols)}, column ${k % cols}; values must be finite`);
}

/**
 * Converts `x` to a flat matrix in `dtype` with `cols` columns. A Matrix whose data already has the
 * dtype is used as is (zero-copy); everything else is copied once.
 */
export function toFlatMatrix(x: unknown, dtype: DType, cols: number, name: string): FlatMatrix {
  if (isMatrix(x)) {
    assertMatrix(x, name);
    const { data, shape: [rows, c] } = x;
    if (c !== cols) throw new ShapeError(`${name} has ${c} columns, the network expects ${cols}`);
    if (rows === 0) throw new ShapeError(`${name} is empty (0 rows)`);
    checkDataSize(rows, cols, name);
    checkFinite(data, cols, name);
    const same = dtype === 'float64' ? data instanceof Float64Array : data instanceof Float32Array;
    if (same) return { data, rows, cols };
    const converted = floatArray(dtype, data.length);
    converted.set(data);
    if (dtype === 'float32') checkFinite(converted, cols, `${name} (as float32)`);
    return { data: converted, rows, cols };
  }
  if (!Array.isArray(x)) {
    throw new DTypeError(`${name} must be a { data, shape } matrix, number[][] or an array of rows, got ${describe(x)}`);
  }
  const rows = x.length;
  if (rows === 0) throw new ShapeError(`${name} is empty (0 rows)`);
  checkDataSize(rows, cols, name);
  const out = floatArray(dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    const row: unknown = x[r];
    if (typeof row !== 'object' || row === null || typeof (row as ArrayLike<number>).length !== 'number') {
      throw new DTypeError(`${name}[${r}] must be an array of numbers, got ${describe(row)}`);
    }
    const values = row as ArrayLike<unknown>;
    if (values.length !== cols) throw new ShapeError(`${name}[${r}] has ${values.length} values, the network expects ${cols}`);
    for (let c = 0; c < cols; c++) {
      const v = values[c];
      if (typeof v !== 'number') throw new DTypeError(`${name}[${r}][${c}] must be a number, got ${describe(v)}`);
      if (!Number.isFinite(v)) throw new NonFiniteError(`${name} holds ${v} at row ${r}, column ${c}; values must be finite`);
      out[r * cols + c] = v;
    }
  }
  if (dtype === 'float32') checkFinite(out, cols, `${name} (as float32)`);
  return { data: out, rows, cols };
}

/** Whether `y` is a list of class labels rather than target rows. */
export function isLabelInput(y: unknown): y is LabelInput {
  if (ArrayBuffer.isView(y)) return !(y instanceof Float32Array || y instanceof Float64Array) && !(y instanceof DataView) && !(y instanceof BigInt64Array) && !(y instanceof BigUint64Array);
  return Array.isArray(y) && (y.length === 0 || typeof y[0] === 'number');
}

/** Checks labels are integers in [0, classes) and returns them as an Int32Array (no copy when already one). */
export function toLabels(y: LabelInput, classes: number, rows: number, name: string): Int32Array {
  if (y.length !== rows) throw new ShapeError(`${name} has ${y.length} labels but x has ${rows} rows`);
  for (let k = 0; k < y.length; k++) {
    const v = y[k]!;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new LabelError(`${name}[${k}] = ${describe(v)} is not an integer class label`);
    if (v < 0 || v >= classes) throw new LabelError(`${name}[${k}] = ${v} is outside [0, ${classes}) for a network with ${classes} outputs`);
  }
  return y instanceof Int32Array ? y : Int32Array.from(y);
}

/** The targets of a call: dense rows or class labels, as the backends take them. */
export interface FlatTargets {
  Y: FloatArray | null;
  labels: Int32Array | null;
}

/**
 * Converts targets for a network with `outputs` outputs and `loss`. Labels are taken for
 * cross-entropy; for a single output they are 0/1 targets. A 1-D float array is a column of targets
 * for a single output.
 */
export function toTargets(y: unknown, loss: string, outputs: number, rows: number, dtype: DType, name: string): FlatTargets {
  if ((y instanceof Float32Array || y instanceof Float64Array) && outputs === 1) {
    return { Y: toFlatMatrix({ data: y, shape: [y.length, 1] }, dtype, 1, name).data, labels: null };
  }
  if (isLabelInput(y)) {
    if (loss === 'cross-entropy') return { Y: null, labels: toLabels(y, outputs, rows, name) };
    if (outputs === 1) {
      const labels = toLabels(y, 2, rows, name);
      const Y = floatArray(dtype, rows);
      Y.set(labels);
      return { Y, labels: null };
    }
    throw new DTypeError(`${name}: class labels need loss 'cross-entropy' (or a single output); give ${outputs}-column target rows for loss '${loss}'`);
  }
  const Y = toFlatMatrix(y, dtype, outputs, name);
  if (Y.rows !== rows) throw new ShapeError(`${name} has ${Y.rows} rows but x has ${rows}`);
  return { Y: Y.data, labels: null };
}
