// Size limits, checked before anything is allocated, so a size that cannot work is refused with a
// ConfigError naming the size and the limit instead of failing deep inside (a RangeError from a
// typed-array constructor, or an allocation that cannot succeed).
import * as os from 'node:os';
import { INFERENCE_CHUNK_ROWS } from './backends/js/js-network';
import { elementBytes, type DType } from './dtype';
import { ConfigError } from './errors';

/**
 * Most elements in one array: the parameter buffer, one workspace array (rows × widest layer) or one
 * data matrix (rows × columns). The BLAS interface counts elements in 32-bit ints, so 2^31 − 1.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Checks a network's parameter count: at most MAX_ELEMENTS, and its four parameter-sized buffers
 * (weights, gradients, two optimizer states) must fit in the machine's memory (os.totalmem()).
 */
export function checkParameterCount(count: number, dtype: DType): void {
  if (count > MAX_ELEMENTS) {
    throw new ConfigError(`the network has ${count} parameters; the limit is ${MAX_ELEMENTS} (2^31 − 1)`);
  }
  const bytes = 4 * count * elementBytes(dtype);
  const memory = os.totalmem();
  if (bytes > memory) {
    throw new ConfigError(`the network's ${count} ${dtype} parameters need ${bytes} bytes in four buffers; the limit is this machine's memory, ${memory} bytes`);
  }
}

/** Checks the workspace of a pass over `rows` rows at a time: rows × widest layer ≤ MAX_ELEMENTS. */
export function checkWorkspace(sizes: readonly number[], rows: number, what: string): void {
  const widest = Math.max(...sizes);
  if (rows * widest > MAX_ELEMENTS) {
    throw new ConfigError(`${what}: ${rows} rows × ${widest} units (the widest layer) = ${rows * widest} workspace values; the limit is ${MAX_ELEMENTS} (2^31 − 1)`);
  }
}

/** Checks that the inference passes (INFERENCE_CHUNK_ROWS rows at a time) fit the workspace limit. */
export function checkInferenceWorkspace(sizes: readonly number[]): void {
  checkWorkspace(sizes, INFERENCE_CHUNK_ROWS, `predict and evaluate (${INFERENCE_CHUNK_ROWS} rows at a time)`);
}

/** Checks a data matrix of rows × cols values: at most MAX_ELEMENTS. */
export function checkDataSize(rows: number, cols: number, name: string): void {
  if (rows * cols > MAX_ELEMENTS) {
    throw new ConfigError(`${name} has ${rows} rows × ${cols} columns = ${rows * cols} values; the limit is ${MAX_ELEMENTS} (2^31 − 1)`);
  }
}
