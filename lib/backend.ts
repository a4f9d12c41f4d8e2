// Choosing the backend. 'auto': native when the addon loads (lib/backends/native.ts), else the
// WebAssembly engine (lib/backends/wasm), else the TypeScript backend; falling back warns once,
// with every reason the addon (and the WebAssembly module) did not load.
import { BACKEND_CHOICES, type BackendChoice } from './architecture';
import { jsEngine } from './backends/js';
import { loadNative, nativeEngine, type BlasInfo } from './backends/native';
import { loadWasm, wasmEngine } from './backends/wasm';
import type { Engine } from './engine';
import { BackendError, ConfigError } from './errors';
import { AUTO_ONEDNN_MIN_WEIGHTS, autoProductEngine, type ProductEngine } from './products';
import { environmentChoice } from './options';

let warned = false;
let threadsSet = false;

/** How to get the native backend working, for error and warning texts. */
const NATIVE_FIXES =
  'Fixes: on linux-x64 and linux-arm64 (glibc) install blasprop with its optional dependencies ' +
  '(not --omit=optional or --no-optional), which bring the prebuilt @blasprop/<platform> binary; elsewhere ' +
  'build from source: install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas-dev; Fedora: dnf install openblas-devel; ' +
  "macOS: brew install openblas) and a C++ compiler, then run 'npm explore blasprop -- npm run build:native'.";


/** Sets the default BLAS thread count once, before the first native network: one per physical core. */
function applyDefaultThreads(setThreads: (n: number) => void): void {
  if (threadsSet) return;
  threadsSet = true;
  if (process.env.OPENBLAS_NUM_THREADS === undefined && process.env.OMP_NUM_THREADS === undefined) setThreads(physicalCores());
}

/** The number of physical cores (hyper-threads counted once) on Linux; os.availableParallelism elsewhere. */
export function physicalCores(): number {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cpuinfo: string = require('node:fs').readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    let physical = '0';
    for (const line of cpuinfo.split('\n')) {
      const [key, value] = line.split(':').map((s) => s.trim());
      if (key === 'physical id') physical = value ?? '0';
      if (key === 'core id') cores.add(`${physical}:${value}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // not Linux
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:os').availableParallelism();
}

/** Resolves a backend choice (after the BLASPROP_BACKEND override for 'auto') to an engine. */
export function resolveEngine(choice: BackendChoice): Engine {
  const effective = choice === 'auto' ? (environmentChoice('BLASPROP_BACKEND', BACKEND_CHOICES) ?? 'auto') : choice;
  if (effective === 'js') return jsEngine;
  const wasm = () => loadWasm();
  if (effective === 'wasm') {
    const w = wasm();
    if ('error' in w) throw new BackendError(`the WebAssembly backend could not be loaded: ${w.error.message}`);
    return wasmEngine(w.staging);
  }
  const native = loadNative();
  if ('binding' in native) {
    applyDefaultThreads(native.binding.setThreads);
    return nativeEngine(native.binding);
  }
  if (effective === 'native') {
    throw new BackendError(`the native backend could not be loaded: ${native.error.message}\n${NATIVE_FIXES}`);
  }
  const w = wasm();
  if (!warned) {
    warned = true;
    const using = 'error' in w
      ? `the TypeScript backend (much slower) because neither the native addon (${native.error.message}) nor the WebAssembly engine (${w.error.message}) could be loaded`
      : `the WebAssembly backend (slower than native) because the native addon could not be loaded: ${native.error.message}`;
    process.emitWarning(`blasprop: using ${using}. ${NATIVE_FIXES}`, { code: 'BLASPROP_NO_NATIVE' });
  }
  return 'error' in w ? jsEngine : wasmEngine(w.staging);
}

/** What `backendInfo()` reports. */
export interface BackendInfo {
  /** The backend `backend: 'auto'` resolves to. */
  backend: 'native' | 'wasm' | 'js';
  /** Path of the loaded addon, when native. */
  addonPath?: string;
  /** Why the addon did not load, when it did not: every place tried, with its reason. */
  loadError?: string;
  /** BLAS facts, when native, with oneDNN's version and dispatched ISA in `blas.onednn`. */
  blas?: BlasInfo;
  /**
   * The product engine `blas: 'auto'` picks here (before BLASPROP_BLAS), when native, for float32
   * networks of at least 40,000 weights; smaller ones run on OpenBLAS (lib/products.ts).
   */
  products?: ProductEngine;
  /** Path of the WebAssembly module, when wasm. */
  wasmPath?: string;
  /** Why the WebAssembly module did not load, when 'auto' fell back to TypeScript. */
  wasmError?: string;
}

/** Reports which backend `auto` uses, the BLAS vendor, version, core type and thread count, or why it fell back. */
export function backendInfo(): BackendInfo {
  const engine = resolveEngine('auto');
  const native = loadNative();
  if (engine.name === 'native' && 'binding' in native) {
    const blas = native.binding.blasInfo();
    return { backend: 'native', addonPath: native.path, blas, products: autoProductEngine('float32', blas, AUTO_ONEDNN_MIN_WEIGHTS) };
  }
  const loadError = 'error' in native ? { loadError: native.error.message } : {};
  if (engine.name === 'js') {
    const w = loadWasm();
    return { backend: 'js', ...(engine === jsEngine && 'error' in w && 'error' in native ? { ...loadError, wasmError: w.error.message } : loadError) };
  }
  const w = loadWasm();
  return { backend: 'wasm', ...loadError, ...('path' in w ? { wasmPath: w.path } : {}) };
}

/** Options of setThreads. */
export interface ThreadOptions {
  /**
   * Let passes whose largest BLAS call is small (batch × largest layer < 4M multiply-adds, e.g.
   * batch-1 SGD) run on one thread. That wins on a busy machine, where a second BLAS thread waits for
   * a core (batch-1 MLP: 17k vs 6–11k samples/s on 2 cores), and loses on an idle one (17k vs 30k).
   * Default false.
   */
  adaptive?: boolean;
}

/**
 * Sets the number of cores blasprop's native passes use in this process, worker threads included
 * (default: physical cores): a pass running alone uses n threads (OpenBLAS's pool for passes on
 * OpenBLAS, oneDNN's OpenMP team for passes on oneDNN, which keep OpenBLAS on one thread, so only one
 * pool is busy at a time); when several fits, evaluations or predicts want to run, up to n of them run
 * at once on one thread each, first come first served (native/napi/pass_scheduler.h). Takes effect
 * from the next pass.
 */
export function setThreads(n: number, options: ThreadOptions = {}): void {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`setThreads(n): n must be an integer ≥ 1, got ${String(n)}`);
  const adaptive = options.adaptive ?? false;
  if (typeof adaptive !== 'boolean') throw new ConfigError('setThreads: options.adaptive must be a boolean');
  const native = loadNative();
  if (!('binding' in native)) throw new BackendError(`setThreads needs the native backend: ${native.error.message}`);
  threadsSet = true;
  native.binding.setThreads(n, adaptive);
}
