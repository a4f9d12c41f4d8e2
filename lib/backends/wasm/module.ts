// module.ts — the compiled WebAssembly engine (native/wasm/, built by `npm run build:wasm` into
// dist/blasprop.wasm) instantiated from its bytes, synchronously. Plain WebAssembly: no Node API,
// no WASI (the module imports nothing), so the same code runs in a browser.

/** Byte addresses in the module's memory. */
export type Pointer = number;

/** The part of the WebAssembly JavaScript API used here (TypeScript declares it only with the DOM library). */
interface WebAssemblyApi {
  Module: (new (bytes: Uint8Array) => object) & { imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemoryObject;
  RuntimeError: new () => Error;
}
const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A WebAssembly.Memory. */
export interface WasmMemoryObject {
  readonly buffer: ArrayBuffer;
}

/** Whether `e` is a WebAssembly trap (the engine's abort paths, such as out of memory, end in one). */
export function isTrap(e: unknown): e is Error {
  return e instanceof api.RuntimeError;
}

/** The module's exports (native/wasm/engine.cc). */
export interface WasmExports {
  memory: WasmMemoryObject;
  _initialize(): void;
  blasprop_create(
    isDouble: number, L: number, sizes: Pointer, activations: Pointer, slopes: Pointer, dropout: Pointer, loss: number,
    params: Pointer, grads: Pointer, optM: Pointer, optV: Pointer, optG: Pointer, rng: Pointer,
  ): Pointer;
  blasprop_destroy(handle: Pointer): void;
  /** 16-byte aligned; 0 when the memory cannot grow. */
  blasprop_alloc(bytes: number): Pointer;
  blasprop_free(pointer: Pointer): void;
  blasprop_train(
    handle: Pointer, X: Pointer, Y: Pointer, labels: Pointer, weights: Pointer, rows: number, order: Pointer, count: number, batchSize: number,
    firstStep: number, optimizer: Pointer, stepLosses: Pointer, stepWeights: Pointer, diagnostics: Pointer, stats: Pointer,
  ): void;
  blasprop_evaluate(handle: Pointer, X: Pointer, Y: Pointer, labels: Pointer, weights: Pointer, rows: number, gradients: number, stats: Pointer): void;
  blasprop_predict(handle: Pointer, X: Pointer, rows: number, out: Pointer): void;
}

const EXPORTED = ['blasprop_create', 'blasprop_destroy', 'blasprop_alloc', 'blasprop_free', 'blasprop_train', 'blasprop_evaluate', 'blasprop_predict'];

/** Compiles and instantiates the engine; throws when the bytes are not the engine's module. */
export function instantiateEngine(bytes: Uint8Array): WasmExports {
  const module = new api.Module(bytes);
  const imports = api.Module.imports(module);
  if (imports.length > 0) throw new Error(`the WebAssembly engine imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}; it must import nothing`);
  const raw = new api.Instance(module, {}).exports;
  const missing = EXPORTED.filter((name) => typeof raw[name] !== 'function');
  if (missing.length > 0 || !(raw.memory instanceof api.Memory)) {
    throw new Error(`the WebAssembly module is not blasprop's engine (missing ${missing.join(', ') || 'memory'})`);
  }
  const exports = raw as unknown as WasmExports;
  exports._initialize();
  return exports;
}
