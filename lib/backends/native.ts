// Loading the native addon, once: the file BLASPROP_BINARY_PATH names if set; else a source build
// (build/Release/blasprop.node in the package: `npm run build:native`, or the cmake-js build of a
// checkout), then the prebuilt binary of this platform's package (@blasprop/linux-x64-gnu, …, an
// optional dependency). Every place tried leaves its reason in the error when none loads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine, EngineNetwork, EngineSpec } from '../engine';
import type { FloatArray } from '../dtype';
import { AllocationError, BusyError, DisposedError } from '../errors';
import { selectOpenblasCoretype } from './openblas-coretype';

/** The oneDNN engine in the addon. */
export interface OnednnInfo {
  /** oneDNN's version, e.g. `2.6.3`. */
  version: string;
  /** The ISA oneDNN dispatches to on this CPU, e.g. `avx512_core_amx`. */
  isa: string;
  /** Whether oneDNN has bfloat16 kernels here (avx512_core_bf16 or avx512_core_amx). */
  bf16: boolean;
  /** Whether oneDNN runs on AVX-512 here (avx512_core or better). */
  avx512: boolean;
}

/** Build and runtime facts of the BLAS inside the native addon. */
export interface BlasInfo {
  vendor: string;
  config: string;
  coreType: string;
  /** BLAS threads for large calls (setThreads; default: physical cores). */
  threads: number;
  /** Whether passes whose BLAS calls are small run on one thread (setThreads' adaptive option, default false). */
  adaptiveThreads: boolean;
  /** The oneDNN engine, or null when the addon was built without oneDNN. */
  onednn: OnednnInfo | null;
}

/** The addon's exports (native/napi/addon.cc). */
export interface NativeBinding {
  NativeNetwork: new (spec: EngineSpec) => EngineNetwork;
  setThreads(n: number, adaptive?: boolean): void;
  /** How concurrent passes are admitted (native/napi/pass_scheduler.h); for bench/concurrency.ts only. */
  setSchedulePolicy(policy: 'scheduled' | 'unscheduled' | 'narrow' | 'serial'): void;
  /** The error classes the addon throws in this environment (main thread or worker). */
  setErrorClasses(classes: { allocation: typeof AllocationError; disposed: typeof DisposedError; busy: typeof BusyError }): void;
  blasInfo(): BlasInfo;
  /** Index of the first NaN or ±Infinity, or −1. */
  firstNonFinite(data: FloatArray): number;
  /**
   * The time per phase of the training steps since the last call (native/kernels/step_phases.h);
   * resets it and turns the timing on or off. For bench/engines.ts only.
   */
  stepPhaseTimes(enable: boolean): StepPhaseTimes;
}

/** The phases native/kernels/step_phases.h times, in its order. */
export const STEP_PHASES = ['other', 'gather', 'products', 'operandCopies', 'biasActivation', 'loss', 'dropout', 'activationBackward', 'biasGradient', 'zeroGradients', 'optimizer'] as const;

/** What stepPhaseTimes returns: seconds per phase over `steps` training steps. */
export interface StepPhaseTimes {
  steps: number;
  seconds: Record<(typeof STEP_PHASES)[number], number>;
}

type LoadResult = { binding: NativeBinding; path: string } | { error: Error };
let loaded: LoadResult | undefined;

/** The package root: the nearest directory above this file with blasprop's package.json. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const name: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8')).name;
      if (name === 'blasprop') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('blasprop: cannot find the package root above ' + __dirname);
    dir = parent;
  }
}

/** One line: loader messages can span several lines. */
function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s*\n\s*/g, '; ').replace(/[;\s]+$/, '');
}

/** The prebuilt binary packages, by `<platform>-<arch>-<libc>` (packages/ in the repository). */
export const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  'linux-x64-gnu': '@blasprop/linux-x64-gnu',
  'linux-arm64-gnu': '@blasprop/linux-arm64-gnu',
};

/** This process's `<platform>-<arch>[-<libc>]`, libc (gnu or musl) on Linux only. */
export function platformTuple(): string {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return `linux-${process.arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

/** One place a binary may come from: its description and where it is, or why there is none. */
type Candidate = { what: string; file: string } | { what: string; missing: string };

/** Where the addon is looked for, in order: a source build, then this platform's package. */
function candidates(root: string): Candidate[] {
  const local = path.join(root, 'build', 'Release', 'blasprop.node');
  const list: Candidate[] = [
    fs.existsSync(local) ? { what: 'source build', file: local } : { what: 'source build', missing: 'none (build/Release/blasprop.node)' },
  ];
  const tuple = platformTuple();
  const name = PLATFORM_PACKAGES[tuple];
  if (name === undefined) {
    list.push({ what: 'platform package', missing: `none for ${tuple}` });
  } else {
    try {
      list.push({ what: name, file: require.resolve(`${name}/blasprop.node`, { paths: [root] }) });
    } catch {
      list.push({ what: name, missing: 'not installed' });
    }
  }
  return list;
}

function load(): LoadResult {
  if (loaded) return loaded;
  // An explicit binary (as esbuild's ESBUILD_BINARY_PATH): the only one tried.
  const explicit = process.env.BLASPROP_BINARY_PATH;
  let list: Candidate[];
  if (explicit) {
    list = [{ what: 'BLASPROP_BINARY_PATH', file: path.resolve(explicit) }];
  } else {
    try {
      list = candidates(packageRoot());
    } catch (e) {
      return (loaded = { error: new Error(oneLine(e)) });
    }
  }
  selectOpenblasCoretype();
  // A source build that does not load must not hide a working platform package: every candidate is tried.
  const reasons: string[] = [];
  for (const candidate of list) {
    if ('missing' in candidate) {
      reasons.push(`${candidate.what}: ${candidate.missing}`);
      continue;
    }
    try {
      const binding = require(candidate.file) as NativeBinding;
      binding.setErrorClasses({ allocation: AllocationError, disposed: DisposedError, busy: BusyError });
      return (loaded = { binding, path: candidate.file });
    } catch (e) {
      reasons.push(`${candidate.what}: ${oneLine(e)}`);
    }
  }
  return (loaded = { error: new Error(reasons.join('; ')) });
}

/** The addon, or the error that stopped it from loading. */
export function loadNative(): LoadResult {
  return load();
}

/** The native engine over a loaded binding. */
export function nativeEngine(binding: NativeBinding): Engine {
  return { name: 'native', create: (spec) => new binding.NativeNetwork(spec) };
}
