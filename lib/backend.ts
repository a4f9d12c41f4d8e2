// Choosing the backend: native when the addon loads, else the TypeScript backend with one warning.
import type { BackendChoice } from './architecture';
import { jsEngine } from './backends/js';
import { loadNative, nativeEngine, type BlasInfo } from './backends/native';
import type { Engine } from './engine';
import { BackendError, ConfigError } from './errors';

let warned = false;
let threadsSet = false;

/** How to get the native backend working, for error and warning texts. */
const NATIVE_FIXES =
  'Possible causes: no prebuilt binary for this platform and the source build did not run or failed ' +
  '(npm install scripts disabled, no C++ toolchain, or no OpenBLAS). Fixes: install OpenBLAS ' +
  '(Debian/Ubuntu: apt-get install libopenblas-dev; Fedora: dnf install openblas-devel; macOS: brew install openblas) ' +
  "and a C++ compiler, then run 'npm rebuild blasprop'.";

function environmentChoice(): BackendChoice | undefined {
  const value = process.env.BLASPROP_BACKEND;
  if (value === undefined || value === '') return undefined;
  if (value !== 'auto' && value !== 'native' && value !== 'js') {
    throw new ConfigError(`BLASPROP_BACKEND must be 'auto', 'native' or 'js', got '${value}'`);
  }
  return value;
}

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
  const effective = choice === 'auto' ? (environmentChoice() ?? 'auto') : choice;
  if (effective === 'js') return jsEngine;
  const native = loadNative();
  if ('binding' in native) {
    applyDefaultThreads(native.binding.setThreads);
    return nativeEngine(native.binding);
  }
  if (effective === 'native') {
    throw new BackendError(`the native backend could not be loaded: ${native.error.message}\n${NATIVE_FIXES}`);
  }
  if (!warned) {
    warned = true;
    process.emitWarning(`blasprop: using the TypeScript backend (much slower) because the native addon could not be loaded: ${native.error.message}. ${NATIVE_FIXES}`, { code: 'BLASPROP_NO_NATIVE' });
  }
  return jsEngine;
}

/** What `backendInfo()` reports. */
export interface BackendInfo {
  /** The backend `backend: 'auto'` resolves to. */
  backend: 'native' | 'js';
  /** Path of the loaded addon, when native. */
  addonPath?: string;
  /** Why the addon did not load, when it did not. */
  loadError?: string;
  /** BLAS facts, when native. */
  blas?: BlasInfo;
}

/** Reports which backend `auto` uses, the BLAS vendor, version, core type and thread count. */
export function backendInfo(): BackendInfo {
  const engine = resolveEngine('auto');
  const native = loadNative();
  if (engine.name === 'native' && 'binding' in native) return { backend: 'native', addonPath: native.path, blas: native.binding.blasInfo() };
  return { backend: 'js', ...('error' in native ? { loadError: native.error.message } : {}) };
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
 * (default: physical cores): a pass running alone uses n BLAS threads; when several fits, evaluations
 * or predicts want to run, up to n of them run at once on one thread each, first come first served
 * (native/napi/pass_scheduler.h). Takes effect from the next pass.
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
