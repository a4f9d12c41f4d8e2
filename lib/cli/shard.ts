// `blasprop train --distributed`: rank r of N trains the rows i ≡ r (mod N) of the training set
// (and validates on the same rows of the validation set), so the ranks' shards cover every row once.
import { floatArray } from '../dtype';
import type { World } from '../distributed';
import type { LabeledSet } from './training-data';

/** Rows i ≡ rank (mod size) of a labelled set, copied. */
export function shardRows(set: LabeledSet, world: World): LabeledSet {
  const [rows, columns] = set.x.shape;
  const count = rows > world.rank ? Math.ceil((rows - world.rank) / world.size) : 0;
  const x = floatArray(set.x.data instanceof Float64Array ? 'float64' : 'float32', count * columns);
  const labels = new Int32Array(count);
  for (let j = 0; j < count; j++) {
    const i = j * world.size + world.rank;
    x.set(set.x.data.subarray(i * columns, (i + 1) * columns), j * columns);
    labels[j] = set.labels[i]!;
  }
  return { x: { data: x, shape: [count, columns] }, labels };
}
