// Loading the native addon: a prebuild from prebuilds/<platform>-<arch>/ or a local build in
// build/Release, found by node-gyp-build from the package root. The load is attempted once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine, EngineNetwork, EngineSpec } from '../engine';
import { AllocationError, BusyError, DisposedError } from '../errors';

/** Build and runtime facts of the BLAS inside the native addon. */
export interface BlasInfo {
  vendor: string;
  config: string;
  coreType: string;
  /** BLAS threads for large calls (setThreads; default: physical cores). */
  threads: number;
  /** Whether passes whose BLAS calls are small run on one thread (setThreads' adaptive option, default false). */
  adaptiveThreads: boolean;
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
  firstNonFinite(data: Float32Array | Float64Array): number;
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

/** One line: node-gyp-build's messages span several lines. */
function oneLine(e: unknown): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  error.message = error.message.replace(/\s*\n\s*/g, '; ').replace(/[;\s]+$/, '');
  return error;
}

/** The prebuilt binaries shipped for this platform, in prebuilds/<platform>-<arch>/. */
function prebuiltCandidates(root: string): string[] {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')).map((f) => path.join(dir, f)) : [];
}

function load(): LoadResult {
  if (loaded) return loaded;
  let root: string;
  try {
    root = packageRoot();
  } catch (e) {
    return (loaded = { error: oneLine(e) });
  }
  // node-gyp-build prefers build/Release over prebuilds/; a broken local build must not hide a working prebuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  const attempts: (() => string)[] = [() => nodeGypBuild.path(root), ...prebuiltCandidates(root).map((file) => () => file)];
  let first: Error | undefined;
  for (const attempt of attempts) {
    try {
      const file = attempt();
      const binding = require(file) as NativeBinding;
      binding.setErrorClasses({ allocation: AllocationError, disposed: DisposedError, busy: BusyError });
      return (loaded = { binding, path: file });
    } catch (e) {
      first ??= oneLine(e);
    }
  }
  return (loaded = { error: first ?? new Error('no native binary found') });
}

/** The addon, or the error that stopped it from loading. */
export function loadNative(): LoadResult {
  return load();
}

/** The native engine over a loaded binding. */
export function nativeEngine(binding: NativeBinding): Engine {
  return { name: 'native', create: (spec) => new binding.NativeNetwork(spec) };
}
