// memory.ts — allocations in the WebAssembly engine's memory and typed-array views of them. The
// memory can grow during any call into the module, which detaches every earlier view, so views are
// made afresh for each use and never kept.
import type { FloatArray } from '../../engine';
import type { FloatArrayConstructor } from '../js/blas';
import type { Pointer, WasmExports } from './module';

/** What a view can be made of: the element types the engine exchanges. */
type ViewConstructor = FloatArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Float64ArrayConstructor;
type ViewOf<C> = C extends Int32ArrayConstructor ? Int32Array : C extends Uint32ArrayConstructor ? Uint32Array : C extends Float64ArrayConstructor ? Float64Array : FloatArray;

/** The module's memory: allocation, freeing, and views. */
export class WasmMemory {
  constructor(readonly exports: WasmExports) {}

  /** `bytes` bytes, 16-byte aligned; throws when the memory cannot grow (wasm32: 4 GiB at most). */
  alloc(bytes: number): Pointer {
    const pointer = this.exports.blasprop_alloc(Math.max(bytes, 16));
    if (pointer === 0) throw new Error(`blasprop wasm: out of memory for ${bytes} bytes (the WebAssembly memory is limited to 4 GiB)`);
    return pointer;
  }

  free(pointer: Pointer): void {
    this.exports.blasprop_free(pointer);
  }

  /** A view of `length` elements at `pointer`; valid until the next call into the module. */
  view<C extends ViewConstructor>(Type: C, pointer: Pointer, length: number): ViewOf<C> {
    const View = Type as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => ViewOf<C>;
    return new View(this.exports.memory.buffer, pointer, length);
  }
}

/** A reusable buffer in the module's memory that grows to the largest size asked for. */
export class Scratch {
  private pointer: Pointer = 0;
  private bytes = 0;
  /** Counts the reallocations: a new block can have the old address, but not its contents. */
  generation = 0;

  constructor(private readonly memory: WasmMemory) {}

  /** The buffer, with room for at least `bytes` bytes; earlier contents are not kept. */
  reserve(bytes: number): Pointer {
    if (bytes > this.bytes) {
      if (this.pointer !== 0) this.memory.free(this.pointer);
      this.pointer = 0;
      const size = Math.max(bytes, 2 * this.bytes);
      this.pointer = this.memory.alloc(size);
      this.bytes = size;
      this.generation++;
    }
    return this.pointer;
  }
}
