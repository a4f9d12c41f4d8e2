// The WebAssembly engine: the C++ kernels compiled to wasm32 with SIMD128 (native/wasm/, built by
// `npm run build:wasm` into dist/blasprop.wasm, shipped inside the main package). 'auto' takes it
// when the native addon does not load, before the TypeScript engine. Loading the bytes is the only
// Node-specific step (node:fs); module.ts, memory.ts and wasm-network.ts use plain WebAssembly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../engine';
import { packageRoot } from '../native';
import { WasmMemory } from './memory';
import { instantiateEngine } from './module';
import { WasmNetwork, WasmStaging } from './wasm-network';

export { WasmNetwork } from './wasm-network';

type LoadResult = { staging: WasmStaging; path: string; bytes: number } | { error: Error };
let loaded: LoadResult | undefined;

/** The engine's module, instantiated once, or why it could not be. */
export function loadWasm(): LoadResult {
  if (loaded) return loaded;
  let file = '';
  try {
    file = path.join(packageRoot(), 'dist', 'blasprop.wasm');
    const bytes = fs.readFileSync(file);
    const exports = instantiateEngine(bytes);
    return (loaded = { staging: new WasmStaging(new WasmMemory(exports)), path: file, bytes: bytes.length });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return (loaded = { error: new Error(`${file || 'dist/blasprop.wasm'}: ${message.split('\n')[0]}`) });
  }
}

/** The WebAssembly engine over a loaded module. */
export function wasmEngine(staging: WasmStaging): Engine {
  return { name: 'wasm', create: (spec) => new WasmNetwork(staging, spec) };
}
