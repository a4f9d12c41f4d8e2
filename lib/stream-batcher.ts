// Turns a stream of source batches of any size into chunks of training steps: rows are copied into
// one of two chunk buffers (one fills while the other trains), re-batched to `batchSize` when it is
// given (rows carry over between source batches) or kept one source batch per step, and optionally
// shuffled through a seeded buffer of rows, as tf.data's shuffle(n).
import { floatArray, type FloatArray } from './dtype';
import { ShapeError } from './errors';
import type { FlatData } from './fit-types';
import type { Rng } from './rng';

/** Rows of one chunk: `count` rows in steps of `batchSize` (the last may be smaller). */
export interface Chunk {
  data: FlatData;
  count: number;
  batchSize: number;
}

/** Bytes of rows one chunk buffer may hold: the chunk of steps handed to the backend at once. */
const CHUNK_BUFFER_BYTES = 4 * 1024 * 1024;

/** Row storage: features, either dense targets or labels, and optionally row weights; growable. */
class Rows {
  X: FloatArray;
  Y: FloatArray | null;
  labels: Int32Array | null;
  weights: FloatArray | null;
  count = 0;

  constructor(private readonly like: FlatData, private readonly inputs: number, private readonly outputs: number, public capacity: number) {
    const dtype = like.X instanceof Float64Array ? 'float64' : 'float32';
    this.X = floatArray(dtype, capacity * inputs);
    this.Y = like.targets.Y ? floatArray(dtype, capacity * outputs) : null;
    this.labels = like.targets.labels ? new Int32Array(capacity) : null;
    this.weights = like.weights ? floatArray(dtype, capacity) : null;
  }

  /** Makes room for `rows` rows, keeping the ones held. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const grown = new Rows(this.like, this.inputs, this.outputs, rows);
    grown.X.set(this.X.subarray(0, this.count * this.inputs));
    if (grown.Y && this.Y) grown.Y.set(this.Y.subarray(0, this.count * this.outputs));
    if (grown.labels && this.labels) grown.labels.set(this.labels.subarray(0, this.count));
    if (grown.weights && this.weights) grown.weights.set(this.weights.subarray(0, this.count));
    Object.assign(this, { X: grown.X, Y: grown.Y, labels: grown.labels, weights: grown.weights, capacity: rows });
  }

  /** Copies rows [from, from + n) of `source` to row `at`. */
  copyFrom(source: FlatData, from: number, n: number, at: number): void {
    const { inputs, outputs } = this;
    this.X.set(source.X.subarray(from * inputs, (from + n) * inputs), at * inputs);
    if (this.Y) this.Y.set(source.targets.Y!.subarray(from * outputs, (from + n) * outputs), at * outputs);
    if (this.labels) this.labels.set(source.targets.labels!.subarray(from, from + n), at);
    if (this.weights) this.weights.set(source.weights!.subarray(from, from + n), at);
  }

  /** Copies row `from` of `source` (another Rows) to row `at`. */
  copyRow(source: Rows, from: number, at: number): void {
    const { inputs, outputs } = this;
    this.X.set(source.X.subarray(from * inputs, (from + 1) * inputs), at * inputs);
    if (this.Y) this.Y.set(source.Y!.subarray(from * outputs, (from + 1) * outputs), at * outputs);
    if (this.labels) this.labels[at] = source.labels![from]!;
    if (this.weights) this.weights[at] = source.weights![from]!;
  }

  view(): FlatData {
    return {
      X: this.X.subarray(0, this.count * this.inputs),
      rows: this.count,
      targets: { Y: this.Y ? this.Y.subarray(0, this.count * this.outputs) : null, labels: this.labels ? this.labels.subarray(0, this.count) : null },
      weights: this.weights ? this.weights.subarray(0, this.count) : null,
    };
  }
}

export interface StreamBatcherOptions {
  inputs: number;
  outputs: number;
  /** Bytes of one value: 4 (float32) or 8 (float64), the network's dtype. */
  bytesPerValue: number;
  /** Rows per step; null: each source batch is one step. */
  batchSize: number | null;
  /** Rows in the shuffle buffer; 0: the stream's order. Needs batchSize. */
  shuffleBuffer: number;
  rng: Rng;
}

/**
 * Feed it source batches with add(), take chunks with take() until it returns null, and at the end
 * of an epoch take the rest with take(steps, 'epoch-end'). A chunk's buffer is reused two chunks later: train a
 * chunk before taking the one after next.
 */
export class StreamBatcher {
  private readonly buffers: Rows[] = [];
  private current = 0;
  private input: FlatData | null = null;
  private inputAt = 0;
  private chunkBatch = 0;
  private reservoir: Rows | null = null;
  private inputIndex = -1;
  private kind: 'dense' | 'labels' | null = null;
  /** Rows a chunk buffer may hold with batchSize (CHUNK_BUFFER_BYTES, at least one step). */
  private readonly maxRows: number;

  constructor(private readonly o: StreamBatcherOptions) {
    this.maxRows = Math.max(o.batchSize ?? 1, Math.floor(CHUNK_BUFFER_BYTES / ((o.inputs + o.outputs) * o.bytesPerValue)));
  }

  /** The most steps one chunk holds: take(steps) with more returns this many. */
  get maxSteps(): number {
    return this.o.batchSize === null ? Infinity : Math.floor(this.maxRows / this.o.batchSize);
  }

  /** Takes the next source batch; every row of the previous one must have been taken. */
  add(batch: FlatData): void {
    this.inputIndex++;
    const kind = batch.targets.labels ? 'labels' : 'dense';
    if (this.kind !== null && kind !== this.kind) {
      throw new ShapeError(`batch[${this.inputIndex}].y holds ${kind === 'labels' ? 'class labels' : 'target rows'}, but the batches before held ${this.kind === 'labels' ? 'class labels' : 'target rows'}`);
    }
    this.kind = kind;
    const weighted = Boolean(batch.weights);
    if (this.buffers.length > 0 && weighted !== (this.buffers[0]!.weights !== null)) {
      throw new ShapeError(`batch[${this.inputIndex}] ${weighted ? 'has' : 'has no'} weights w, but the batches before ${weighted ? 'had none' : 'had them'}`);
    }
    if (this.buffers.length === 0) {
      const first = Math.max(1, this.o.batchSize ?? batch.rows);
      for (let i = 0; i < 2; i++) this.buffers.push(new Rows(batch, this.o.inputs, this.o.outputs, first));
      if (this.o.shuffleBuffer > 0) this.reservoir = new Rows(batch, this.o.inputs, this.o.outputs, this.o.shuffleBuffer);
    }
    this.input = batch;
    this.inputAt = 0;
  }

  /**
   * The next full chunk of `steps` steps, or null when the rows added so far do not fill one.
   * `epoch-end`: the rows left at the end of an epoch (the shuffle buffer drained in random order;
   * the last step may be smaller). `whole-steps`: the whole steps held, when the stream failed; a
   * partial step and the shuffle buffer are dropped.
   */
  take(steps: number, until: 'full' | 'epoch-end' | 'whole-steps' = 'full'): Chunk | null {
    const chunk = this.buffers[this.current];
    if (!chunk) return null;
    const batchSize = this.o.batchSize;
    if (batchSize === null) {
      const chunkFull = until !== 'whole-steps' && this.fillWhole(chunk, steps);
      if (!chunkFull && !(until !== 'full' && chunk.count > 0)) return null;
      return this.hand(chunk, this.chunkBatch);
    }
    const want = Math.min(steps * batchSize, Math.max(batchSize, Math.floor(this.maxRows / batchSize) * batchSize));
    chunk.reserve(want);
    this.fillRows(chunk, want);
    if (until === 'whole-steps') {
      chunk.count -= chunk.count % batchSize;
      return chunk.count > 0 ? this.hand(chunk, batchSize) : null;
    }
    if (until === 'epoch-end' && chunk.count < want) this.drainReservoir(chunk, want);
    if (chunk.count < want && !(until === 'epoch-end' && chunk.count > 0)) return null;
    return this.hand(chunk, batchSize);
  }

  /** Drops every row held and the rest of the current source batch (an epoch cut short); the chunk handed out last is kept. */
  discard(): void {
    if (this.buffers.length > 0) this.buffers[this.current]!.count = 0;
    if (this.reservoir) this.reservoir.count = 0;
    this.input = null;
    this.inputAt = 0;
    this.chunkBatch = 0;
  }

  /** Hands out the current buffer as a chunk and switches to the other one. */
  private hand(chunk: Rows, batchSize: number): Chunk {
    const out = { data: chunk.view(), count: chunk.count, batchSize };
    this.current = 1 - this.current;
    this.buffers[this.current]!.count = 0;
    this.chunkBatch = 0;
    return out;
  }

  /** One source batch per step: appends whole batches of the chunk's size; true when the chunk is full. */
  private fillWhole(chunk: Rows, steps: number): boolean {
    const input = this.input;
    if (input === null || this.inputAt >= input.rows) return false;
    if (chunk.count > 0 && (input.rows !== this.chunkBatch || chunk.count + input.rows > this.maxRows)) return true;
    this.chunkBatch = input.rows;
    chunk.reserve(chunk.count + input.rows);
    chunk.copyFrom(input, 0, input.rows, chunk.count);
    chunk.count += input.rows;
    this.inputAt = input.rows;
    return chunk.count >= steps * this.chunkBatch;
  }

  /** Moves rows from the input (through the shuffle buffer) into the chunk until it holds `want`. */
  private fillRows(chunk: Rows, want: number): void {
    const input = this.input;
    if (input === null) return;
    const reservoir = this.reservoir;
    if (reservoir === null) {
      const n = Math.min(want - chunk.count, input.rows - this.inputAt);
      chunk.copyFrom(input, this.inputAt, n, chunk.count);
      chunk.count += n;
      this.inputAt += n;
      return;
    }
    while (chunk.count < want && this.inputAt < input.rows) {
      if (reservoir.count < reservoir.capacity) {
        reservoir.copyFrom(input, this.inputAt++, 1, reservoir.count++);
        continue;
      }
      // tf.data's rule: a random row of the full buffer goes out, the new row takes its place.
      const slot = this.o.rng.below(reservoir.count);
      chunk.copyRow(reservoir, slot, chunk.count++);
      reservoir.copyFrom(input, this.inputAt++, 1, slot);
    }
  }

  /** At the end of an epoch: the shuffle buffer's rows, in random order, into the chunk. */
  private drainReservoir(chunk: Rows, want: number): void {
    const reservoir = this.reservoir;
    if (reservoir === null) return;
    while (chunk.count < want && reservoir.count > 0) {
      const slot = this.o.rng.below(reservoir.count);
      chunk.copyRow(reservoir, slot, chunk.count++);
      reservoir.count--;
      if (slot !== reservoir.count) reservoir.copyRow(reservoir, reservoir.count, slot);
    }
  }
}
