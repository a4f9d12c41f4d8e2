// An append-only numeric buffer on a typed array that doubles its capacity when full, so that
// loaders can collect an unknown number of values without boxing them in a JavaScript array.

/** The typed arrays a {@link GrowableArray} can be built on. */
export type GrowableArrayData = Float32Array | Float64Array | Int32Array;

/** Creates a zero-filled typed array of the given length (for example `(n) => new Float32Array(n)`). */
export type TypedArrayFactory<A extends GrowableArrayData> = (length: number) => A;

/** An append-only typed-array buffer with amortised O(1) `push` (capacity doubles when full). */
export class GrowableArray<A extends GrowableArrayData> {
  private buffer: A;
  private count = 0;

  /**
   * @param create - allocates the backing array; called again with twice the capacity on growth.
   * @param initialCapacity - elements allocated up front (at least 1).
   */
  constructor(
    private readonly create: TypedArrayFactory<A>,
    initialCapacity = 1024,
  ) {
    this.buffer = create(Math.max(1, Math.floor(initialCapacity)));
  }

  /** Number of values pushed so far. */
  get length(): number {
    return this.count;
  }

  /** Appends one value (converted to the element type as a typed-array store converts it). */
  push(value: number): void {
    if (this.count === this.buffer.length) this.grow();
    this.buffer[this.count++] = value;
  }

  /** A new array of exactly `length` elements holding the values pushed so far. */
  toArray(): A {
    const out = this.create(this.count);
    out.set(this.buffer.subarray(0, this.count));
    return out;
  }

  /** Forgets the values pushed so far, keeping the capacity. */
  clear(): void {
    this.count = 0;
  }

  private grow(): void {
    const bigger = this.create(this.buffer.length * 2);
    bigger.set(this.buffer);
    this.buffer = bigger;
  }
}
