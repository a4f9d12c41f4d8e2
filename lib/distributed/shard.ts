// Sharding by rank: rank r of N takes the rows i ≡ r (mod N), so the shards cover every row once
// and, with shuffle: false, N ranks train the rows in their original order (see fit's `distributed`).
import { floatArray } from '../dtype';
import type { Matrix } from '../data/matrix';
import type { World } from './world';

/** Row indices i ≡ rank (mod size) of `rows` rows. */
function shardIndices(rows: number, world: World): number[] {
  const indices: number[] = [];
  for (let i = world.rank; i < rows; i += world.size) indices.push(i);
  return indices;
}

/**
 * This rank's rows of a matrix or of a vector of labels or targets: the rows i ≡ rank (mod size),
 * copied, in order. Give every rank the same data; each keeps its shard.
 */
export function shardRows(x: Matrix, world: World): Matrix;
export function shardRows<A extends Int32Array | Float64Array | Float32Array>(y: A, world: World): A;
export function shardRows(data: Matrix | Int32Array | Float64Array | Float32Array, world: World): Matrix | Int32Array | Float64Array | Float32Array {
  if (!('shape' in data)) {
    const picked = shardIndices(data.length, world).map((i) => data[i]!);
    return data instanceof Int32Array ? Int32Array.from(picked) : data instanceof Float64Array ? Float64Array.from(picked) : Float32Array.from(picked);
  }
  const [rows, columns] = data.shape;
  const indices = shardIndices(rows, world);
  const out = floatArray(data.data instanceof Float64Array ? 'float64' : 'float32', indices.length * columns);
  indices.forEach((i, j) => out.set(data.data.subarray(i * columns, (i + 1) * columns), j * columns));
  return { data: out, shape: [indices.length, columns] };
}
