// The benchmark's network shapes and batch sizes, and the arithmetic that goes with them.

/** One measured setting: a network shape trained with one batch size. */
export interface BenchCase {
  /** Stable id, e.g. `mlp-b128`. */
  id: string;
  /** Shape name: `mlp`, `wide` or `deep-narrow`. */
  config: string;
  /** sizes[0] = inputs, then the units of each layer; the last layer is the 10-way softmax. */
  sizes: number[];
  batchSize: number;
}

/** The shapes: ReLU hidden layers, softmax output, cross-entropy loss, plain SGD. */
export const SHAPES: Record<string, number[]> = {
  mlp: [784, 256, 128, 10],
  wide: [784, 1024, 1024, 10],
  'deep-narrow': [64, 64, 64, 64, 64, 64, 64, 64, 64, 10],
};

export const CASES: BenchCase[] = [
  ...[1, 32, 128, 512].map((b) => ({ id: `mlp-b${b}`, config: 'mlp', sizes: SHAPES.mlp!, batchSize: b })),
  { id: 'wide-b128', config: 'wide', sizes: SHAPES.wide!, batchSize: 128 },
  { id: 'deep-narrow-b32', config: 'deep-narrow', sizes: SHAPES['deep-narrow']!, batchSize: 32 },
];

/** Training hyper-parameters shared by every system. */
export const LEARNING_RATE = 0.01;
export const CLASSES = 10;
/** Rows of the synthetic data set (and the most any repetition trains on). */
export const DATA_ROWS = 8192;
export const DATA_SEED = 20240611;
export const MODEL_SEED = 7;

/** Σ in·out over the layers: the multiply-adds of one forward pass per sample. */
export function macsPerSample(sizes: readonly number[]): number {
  let sum = 0;
  for (let l = 1; l < sizes.length; l++) sum += sizes[l - 1]! * sizes[l]!;
  return sum;
}

/** Nominal FLOP of one training sample: forward + input gradient + weight gradient = 6 Σ in·out. */
export function nominalFlopsPerSample(sizes: readonly number[]): number {
  return 6 * macsPerSample(sizes);
}

/** Short human-readable shape, e.g. `784-256-128-10`. */
export function shapeLabel(sizes: readonly number[]): string {
  return sizes.join('-');
}
