// Loading the native addon: a prebuild from prebuilds/<platform>-<arch>/ or a local build in
// build/Release, found by node-gyp-build from the package root. The load is attempted once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine, EngineNetwork, EngineSpec } from '../engine';

/** Build and runtime facts of the BLAS inside the native addon. */
export interface BlasInfo {
  vendor: string;
  config: string;
  coreType: string;
  threads: number;
}

/** The addon's exports (native/napi/addon.cc). */
export interface NativeBinding {
  NativeNetwork: new (spec: EngineSpec) => EngineNetwork;
  setThreads(n: number): void;
  blasInfo(): BlasInfo;
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

function load(): LoadResult {
  if (loaded) return loaded;
  try {
    const root = packageRoot();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as { (dir: string): unknown; path(dir: string): string };
    const file = nodeGypBuild.path(root);
    loaded = { binding: require(file) as NativeBinding, path: file };
  } catch (e) {
    loaded = { error: e instanceof Error ? e : new Error(String(e)) };
  }
  return loaded;
}

/** The addon, or the error that stopped it from loading. */
export function loadNative(): LoadResult {
  return load();
}

/** The native engine over a loaded binding. */
export function nativeEngine(binding: NativeBinding): Engine {
  return { name: 'native', create: (spec) => new binding.NativeNetwork(spec) };
}
