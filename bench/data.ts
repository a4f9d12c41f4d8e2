// The synthetic data set: the same values for every system, from a fixed seed.
import { CLASSES, DATA_ROWS, DATA_SEED } from './configs';

export interface Dataset {
  rows: number;
  inputs: number;
  /** Features in [0, 1), row-major [rows × inputs]. */
  X: Float32Array;
  /** Class labels 0..9. */
  labels: Int32Array;
}

/** mulberry32: a tiny seeded 32-bit generator, enough for synthetic data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `rows` rows of `inputs` uniform features and uniform labels 0..9, float32. */
export function makeDataset(inputs: number, rows = DATA_ROWS, seed = DATA_SEED): Dataset {
  const next = mulberry32(seed + inputs);
  const X = new Float32Array(rows * inputs);
  for (let k = 0; k < X.length; k++) X[k] = next();
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = Math.floor(next() * CLASSES);
  return { rows, inputs, X, labels };
}

/** One-hot targets [rows × classes] for peers that need dense targets. */
export function oneHot(labels: Int32Array, classes = CLASSES): Float32Array {
  const Y = new Float32Array(labels.length * classes);
  labels.forEach((label, r) => {
    Y[r * classes + label] = 1;
  });
  return Y;
}
