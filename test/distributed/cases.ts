// The cases of the data-parallel tests, shared by the rank script (rank.ts, run under mpirun) and
// the tests (distributed.test.ts), which train the same case in one process for reference.
import type { FitOptions, NetworkOptions } from '../../lib';

export interface Case {
  /** Rows of the whole data set; rank r of N takes the rows i ≡ r (mod N) (the CLI's sharding). */
  rows: number;
  /** Rank r keeps only the first rows of its shard, when given (unequal shards). */
  shardRows?: number[];
  network: NetworkOptions;
  fit: Omit<FitOptions, 'distributed' | 'callbacks' | 'signal' | 'validationData'>;
  /** Validation rows, sharded the same way. */
  validationRows?: number;
  /** Rank 1 aborts its own signal after this many of its batches. */
  abortAfterBatches?: number;
  /** Data-parallel settings. */
  overlap?: boolean;
  /** Leave MPI_Finalize to the exit hook. */
  finalizeAtExit?: boolean;
  /** Rank 1 asks for a different number of epochs (a fit the ranks disagree on). */
  epochsOnRank1?: number;
  /** The fit is expected to throw on every rank: each writes the error beside its result. */
  expectError?: boolean;
  /** Row weights: `sample` gives global row i the sample weight sampleWeightOf(i); `classWeight` as fit's. */
  weights?: { sample?: boolean; classWeight?: Record<number, number> };
  /**
   * Each rank streams its shard, fit(source, …), in source batches of `sourceRows` rows (with a field
   * w when weighted); `rebatch: false` leaves out batchSize, so each source batch is one step.
   */
  stream?: { sourceRows: number; rebatch?: boolean };
  /** Rank 1's stream yields a batch of the wrong width as batch `index` of epoch `epoch`. */
  badBatchOnRank1?: { epoch: number; index: number };
}

/** The sample weight of global row i in the weighted cases. */
export const sampleWeightOf = (i: number): number => 0.25 + (i % 5) / 2;

/** A deterministic generator for the data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export const FEATURES = 5;
export const CLASSES = 3;

/** Rows of a 3-class problem: features in [−1, 1), the class from a fixed linear rule. */
export function dataset(rows: number, seed: number): { x: number[][]; labels: number[] } {
  const rand = lcg(seed);
  const x: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: FEATURES }, () => 2 * rand() - 1);
    const score = [row[0]! + row[1]!, row[2]! - row[3]!, row[4]! - row[0]!];
    x.push(row);
    labels.push(score.indexOf(Math.max(...score)));
  }
  return { x, labels };
}

/** Rank r's shard of N: rows i ≡ r (mod N), in order. */
export function shard<T>(all: T[], rank: number, size: number): T[] {
  return all.filter((_, i) => i % size === rank);
}

export const network = (seed: number, extra: Partial<NetworkOptions> = {}): NetworkOptions => ({
  inputs: FEATURES,
  layers: [{ units: 16, activation: 'tanh' }, { units: 12, activation: 'relu' }, { units: CLASSES, activation: 'softmax' }],
  loss: 'cross-entropy',
  dtype: 'float64',
  backend: 'native',
  seed,
  ...extra,
});
