// call-checks.ts — the argument checks of the in-process engines (TypeScript and WebAssembly) on
// the EngineNetwork calls, as native/napi/args.h makes them for the addon: array kinds and lengths,
// row indices, label ranges. The façade has validated values with user-facing errors already; these
// keep a direct caller of an engine from reading out of bounds. Each engine passes its own `fail`,
// which prefixes the message ('blasprop js: …').
import { ACTIVATION_CODE_VALUES, DIAGNOSTICS_PER_LAYER, LOSS_CODE_VALUES, LOSS_CODES } from '../codes';
import type { DatasetCall, EngineSpec, EvaluateCall, FloatArray, PredictCall, TrainCall } from '../engine';
import type { FloatArrayConstructor } from './js/blas';

/** Throws the engine's error for a bad argument. */
export type Fail = (message: string) => never;

/** What the checks need to know of a network. */
export interface CheckedShape {
  /** sizes[0] = inputs, sizes[L] = outputs. */
  readonly sizes: readonly number[];
  readonly loss: number;
  readonly Float: FloatArrayConstructor;
}

/** Checks that `a` is a `Float` array with at least `min` elements. */
export function checkFloatArray(fail: Fail, name: string, a: unknown, Float: FloatArrayConstructor, min: number): asserts a is FloatArray {
  if (!(a instanceof Float)) fail(`'${name}' must be a ${Float.name}`);
  if (a.length < min) fail(`'${name}' has ${a.length} elements, needs at least ${min}`);
}

/** Checks a spec's shape, codes and buffers; returns the element type and the number of parameters. */
export function checkSpec(fail: Fail, spec: EngineSpec): { Float: FloatArrayConstructor; paramCount: number } {
  const Float: FloatArrayConstructor = spec.dtype === 'float64' ? Float64Array : Float32Array;
  const L = spec.sizes.length - 1;
  if (L < 1) fail("'sizes' must list the inputs and at least one layer");
  for (const s of spec.sizes) if (!Number.isInteger(s) || s < 1) fail('layer sizes must be positive integers');
  if (spec.activations.length !== L + 1 || spec.slopes.length !== L + 1) fail("'activations' and 'slopes' need one entry per layer and one for the input");
  if (spec.dropout.length !== L) fail(`'dropout' must hold ${L} probabilities`);
  for (let l = 1; l <= L; l++) {
    const code = spec.activations[l]!;
    if (!ACTIVATION_CODE_VALUES.includes(code)) fail(`unknown activation code ${code}`);
  }
  if (!LOSS_CODE_VALUES.includes(spec.loss)) fail(`unknown loss code ${spec.loss}`);
  let paramCount = 0;
  for (let l = 1; l <= L; l++) paramCount += spec.sizes[l]! * (spec.sizes[l - 1]! + 1);
  checkFloatArray(fail, 'params', spec.params, Float, paramCount);
  checkFloatArray(fail, 'grads', spec.grads, Float, paramCount);
  checkFloatArray(fail, 'optM', spec.optM, Float, paramCount);
  checkFloatArray(fail, 'optV', spec.optV, Float, paramCount);
  checkFloatArray(fail, 'optG', spec.optG, Float, paramCount);
  if (!(spec.rng instanceof Uint32Array) || spec.rng.length < 4) fail("'rng' must be a Uint32Array of 4 words");
  return { Float, paramCount };
}

/** X holds rows × inputs values, exactly one of Y (rows × outputs) and labels (rows), and the optional weights (rows). */
export function checkDataset(fail: Fail, shape: CheckedShape, call: DatasetCall): void {
  const rows = call.rows;
  const L = shape.sizes.length - 1;
  if (!Number.isInteger(rows) || rows < 0) fail("'rows' must be an integer ≥ 0");
  checkFloatArray(fail, 'X', call.X, shape.Float, rows * shape.sizes[0]!);
  const hasY = call.Y !== null && call.Y !== undefined;
  const hasLabels = call.labels !== null && call.labels !== undefined;
  if (hasY === hasLabels) fail("give exactly one of 'Y' and 'labels'");
  if (hasY) checkFloatArray(fail, 'Y', call.Y, shape.Float, rows * shape.sizes[L]!);
  if (call.weights !== null && call.weights !== undefined) checkFloatArray(fail, 'weights', call.weights, shape.Float, rows);
  if (hasLabels) {
    if (!(call.labels instanceof Int32Array) || call.labels.length < rows) fail(`'labels' must be an Int32Array of at least ${rows} elements`);
    if (shape.loss !== LOSS_CODES['cross-entropy']) fail('class labels need the cross-entropy loss');
  }
}

/** Every label read (labels[order[k]], or labels[k] without order) lies in [0, outputs). */
export function checkLabelRange(fail: Fail, shape: CheckedShape, labels: Int32Array | null, order: Int32Array | null, count: number): void {
  if (labels === null || labels === undefined) return;
  const out = shape.sizes[shape.sizes.length - 1]!;
  for (let k = 0; k < count; k++) {
    const label = labels[order !== null ? order[k]! : k]!;
    if (label < 0 || label >= out) fail(`class label ${label} is outside [0, ${out})`);
  }
}

/** The checks of trainBatches: the dataset, the batch plan, the optional output arrays, rows and labels. */
export function checkTrainCall(fail: Fail, shape: CheckedShape, call: TrainCall): void {
  checkDataset(fail, shape, call);
  const { count, batchSize, order } = call;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail("'batchSize' must be an integer ≥ 1");
  if (!Number.isInteger(count) || count < 1) fail("'count' must be an integer ≥ 1");
  if (!(order instanceof Int32Array) || order.length < count) fail(`'order' must be an Int32Array of at least ${count} elements`);
  const steps = Math.ceil(count / batchSize);
  if (call.stepLosses !== null && call.stepLosses !== undefined && (!(call.stepLosses instanceof Float64Array) || call.stepLosses.length < steps)) {
    fail(`'stepLosses' must be a Float64Array of at least ${steps} elements`);
  }
  if (call.stepWeights !== null && call.stepWeights !== undefined && (!(call.stepWeights instanceof Float64Array) || call.stepWeights.length < steps)) {
    fail(`'stepWeights' must be a Float64Array of at least ${steps} elements`);
  }
  const diagnosticsLength = (shape.sizes.length - 1) * DIAGNOSTICS_PER_LAYER;
  if (call.diagnostics !== null && call.diagnostics !== undefined && (!(call.diagnostics instanceof Float64Array) || call.diagnostics.length < diagnosticsLength)) {
    fail(`'diagnostics' must be a Float64Array of at least ${diagnosticsLength} elements`);
  }
  for (let k = 0; k < count; k++) {
    const r = order[k]!;
    if (r < 0 || r >= call.rows) fail(`row index ${r} in 'order' is outside [0, ${call.rows})`);
  }
  checkLabelRange(fail, shape, call.labels, order, count);
}

/** The checks of evaluate: the dataset, at least one row, labels in range. */
export function checkEvaluateCall(fail: Fail, shape: CheckedShape, call: EvaluateCall): void {
  checkDataset(fail, shape, call);
  if (call.rows < 1) fail("'rows' must be ≥ 1");
  checkLabelRange(fail, shape, call.labels, null, call.rows);
}

/** The checks of predict: X and out hold rows × inputs and rows × outputs values. */
export function checkPredictCall(fail: Fail, shape: CheckedShape, call: PredictCall): void {
  const rows = call.rows;
  if (!Number.isInteger(rows) || rows < 0) fail("'rows' must be an integer ≥ 0");
  checkFloatArray(fail, 'X', call.X, shape.Float, rows * shape.sizes[0]!);
  checkFloatArray(fail, 'out', call.out, shape.Float, rows * shape.sizes[shape.sizes.length - 1]!);
}
