// The npm packages as users get them: `npm run release:pack` (the main package and one package per
// platform binary), installed from the tarballs into fresh projects the ways users install them
// (normally, with --ignore-scripts, with --cpu=arm64, with --omit=optional), then used from
// CommonJS, ES modules and TypeScript; the right binary chosen, the fallback when none is
// installed, the explicit source build, and the x64 prebuild against the cmake-js build. The x64
// package carries oneDNN (libdnnl.so.2, libgomp.so.1, libOpenCL.so.1 beside its binary): it trains
// with blas 'onednn' in a mount namespace (unshare, as root) where the system's copies of those
// libraries are empty files, so only the package's copies can load.
//
// The packages are not in the registry: the temp projects' `overrides` point npm at the platform
// tarballs, which is what the registry would give for the main package's optionalDependencies.
// Needs what CI's .ci/run builds first: dist/ (npm run build:ts), build/Release (cmake-js,
// npm run build:native), dist/blasprop.wasm (npm run build:wasm), prebuilds/linux-x64 and prebuilds/linux-arm64 (npm run build:prebuild,
// npm run build:prebuild:arm64) and the arm64 sysroot (npm run sysroot:arm64). Locally:
//   npm run build && npm run build:prebuild && npm run build:prebuild:arm64 && npm run sysroot:arm64
// A missing or stale precondition fails the tests with that message; nothing is skipped.
// BLASPROP_KEEP_PACKAGE_TMP=1 keeps the temporary projects for inspection.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '..');
const fixtures = path.join(__dirname, 'fixtures', 'package');
const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const sysroot = path.join(repo, 'build', 'arm64-sysroot', 'root');
const VERSION = (JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const PLATFORMS = ['@blasprop/linux-x64-gnu', '@blasprop/linux-arm64-gnu'];
/** The shared libraries the x64 package carries beside its binary (scripts/prebuild.js). */
const CARRIED = ['libdnnl.so.2', 'libgomp.so.1', 'libOpenCL.so.1'];
/** The cmake-js build, linked against the system's oneDNN. */
const cmakeAddon = path.join(repo, 'build', 'Release', 'blasprop.node');
/** Where 'auto' goes without a binary, and what its one warning starts with. */
const FALLBACK = 'wasm';
const FALLBACK_WARNING = /^blasprop: using the WebAssembly backend \(slower than native\) because the native addon could not be loaded: /;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: this one without npm's lifecycle variables (a child npm must not
 * take this repository's npm_config_local_prefix and the like) or blasprop's switches. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && key.toLowerCase() !== 'npm_config_cache') continue;
    if (/^(INIT_CWD|NODE_OPTIONS|PREBUILDS_ONLY|BLASPROP_.*|OPENBLAS_HOME|CXX|CC)$/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}, timeout = 170_000): Run {
  const r = spawnSync(command, args, { cwd, env: childEnv(extraEnv), encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

function parse<T>(r: Run, what: string): T {
  ok(r, what);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what} printed no JSON\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
}


function files(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

function newest(paths: string[]): number {
  return Math.max(...paths.map((p) => fs.statSync(p).mtimeMs));
}

/** Shared libraries a Linux ELF file asks for. */
function needed(file: string): string[] {
  const out = ok(run('readelf', ['-d', file], repo), `readelf -d ${file}`).stdout;
  return [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
}

/** Where the loader finds each library an ELF file needs, directly or not: soname -> path (ldd). */
function resolvedLibraries(file: string): Record<string, string> {
  const out = ok(run('ldd', [file], repo), `ldd ${file}`).stdout;
  expect(out, `ldd ${file}`).not.toMatch(/not found/);
  return Object.fromEntries([...out.matchAll(/^\s*(\S+) => (\S+)/gm)].map((m) => [m[1]!, m[2]!]));
}

/**
 * run() in a new mount namespace (unshare --mount, as root) where each of `hidden` is an empty file
 * (bind mounts of one, gone with the namespace): a library there can no longer be loaded from there.
 */
function runHiding(hidden: string[], command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Run {
  const empty = path.join(tmp, 'empty-file');
  fs.writeFileSync(empty, '');
  const script = `${hidden.map((f) => `mount --bind '${empty}' '${f}'`).join(' && ')} && exec "$@"`;
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', command, ...args], cwd, extraEnv);
}

/** Largest relative difference between two builds' float32 weights (train.cjs's hex). */
function largestWeightDifference(a: Weights['layers'], b: Weights['layers']): number {
  const floats = (hex: string) => new Float32Array(new Uint8Array(Buffer.from(hex, 'hex')).buffer);
  let worst = 0;
  a.forEach((layer, l) => {
    for (const part of ['weight', 'bias'] as const) {
      const x = floats(layer[part]);
      const y = floats(b[l]![part]);
      expect(x.length).toBe(y.length);
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!) / (1 + Math.abs(y[i]!)))));
    }
  });
  return worst;
}

interface PackResult {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}
interface OnednnFacts {
  version: string;
  isa: string;
}
interface XorReport {
  backend: string;
  loss: number;
  predictions: number[];
  info: {
    backend: string; addonPath?: string; loadError?: string; wasmPath?: string; wasmError?: string;
    blas?: { vendor: string; config: string; onednn: OnednnFacts | null };
  };
  warnings: { name: string; code?: string; message: string }[];
  libraries: string[];
}
interface FallbackReport {
  backend?: string;
  blas?: string;
  loss?: number;
  info?: XorReport['info'];
  error?: { name: string; message: string; isBackendError: boolean; isBlaspropError: boolean };
  warnings: XorReport['warnings'];
  libraries: string[];
}
/** train.cjs's report. */
interface Weights {
  addonPath: string;
  blas: string;
  loss: number[];
  layers: { weight: string; bias: string }[];
}

/**
 * name -> version for blasprop's runtime dependencies, direct and transitive, as package-lock.json
 * resolved them (packages locked at several versions are left out).
 */
function lockedRuntimeVersions(): Record<string, string> {
  type Entry = { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
  const lock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, Entry> };
  const versions = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const visit = (at: string) => {
    const entry = lock.packages[at];
    if (!entry) return;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
      // Node's resolution: the nearest node_modules/<dep> from `at` upwards.
      let dir = at;
      let found: string | undefined;
      for (;;) {
        const candidate = `${dir ? `${dir}/` : ''}node_modules/${dep}`;
        if (lock.packages[candidate]) {
          found = candidate;
          break;
        }
        if (!dir) break;
        const up = dir.lastIndexOf('/node_modules/');
        dir = up < 0 ? '' : dir.slice(0, up);
      }
      if (!found || seen.has(found)) continue;
      seen.add(found);
      const version = lock.packages[found]!.version;
      if (version) versions.set(dep, (versions.get(dep) ?? new Set()).add(version));
      visit(found);
    }
  };
  visit('');
  return Object.fromEntries([...versions].filter(([, v]) => v.size === 1).map(([name, v]) => [name, [...v][0]!]));
}


/** Checks that CI's build steps ran and are not older than their sources. */
function preconditions(): void {
  const problems: string[] = [];
  if (`${process.platform}-${process.arch}` !== 'linux-x64') problems.push(`these tests run on linux-x64; this is ${process.platform}-${process.arch}`);
  const stale = (out: string, sources: string[], fix: string) => {
    if (!fs.existsSync(out)) problems.push(`${path.relative(repo, out)} is missing (${fix})`);
    else if (fs.statSync(out).mtimeMs < newest(sources)) problems.push(`${path.relative(repo, out)} is older than its sources (${fix})`);
  };
  const libSources = files(path.join(repo, 'lib')).filter((f) => f.endsWith('.ts'));
  // The addon's sources: native/ without the C++ kernel tests (native/test), the WebAssembly glue
  // (native/wasm) and the optional MPI module (native/mpi, its own addon).
  const apart = ['test', 'wasm', 'mpi'].map((dir) => path.join(repo, 'native', dir) + path.sep);
  const addonSources = files(path.join(repo, 'native')).filter((f) => !apart.some((dir) => f.startsWith(dir)));
  const nativeSources = [...addonSources, path.join(repo, 'binding.gyp')];
  stale(path.join(repo, 'dist', 'cjs', 'index.js'), libSources, 'npm run build:ts');
  stale(path.join(repo, 'dist', 'esm', 'index.mjs'), libSources, 'npm run build:ts');
  stale(path.join(repo, 'prebuilds', 'linux-x64', 'blasprop.glibc.node'), nativeSources, 'npm run build:prebuild');
  stale(path.join(repo, 'prebuilds', 'linux-arm64', 'blasprop.glibc.node'), nativeSources, 'npm run build:prebuild:arm64');
  stale(path.join(repo, 'build', 'Release', 'blasprop.node'), addonSources, 'npm run build:native');
  const wasmSources = files(path.join(repo, 'native')).filter((f) => /^native\/(kernels|wasm)\//.test(path.relative(repo, f)));
  stale(path.join(repo, 'dist', 'blasprop.wasm'), wasmSources, 'npm run build:wasm');
  if (!fs.existsSync(path.join(repo, 'build', 'CMakeCache.txt'))) {
    problems.push('build/ is not a cmake-js build (no build/CMakeCache.txt; `npm run build:gyp` replaces it): run npm run build:native');
  }
  if (!fs.existsSync(path.join(sysroot, 'usr', 'bin', 'node'))) problems.push('the arm64 sysroot is missing (npm run sysroot:arm64)');
  if (problems.length) {
    throw new Error(
      `package.test preconditions: ${problems.join('; ')}. CI's .ci/run builds all of these; run the same locally first.`,
    );
  }
}

let tmp = '';
let packs: PackResult[] = [];
const tarball = (name: string) => path.join(tmp, 'release', packs.find((p) => p.name === name)!.filename);

interface Consumer {
  dir: string;
  installed: string;
  output: string;
}
const consumers: Record<string, Consumer> = {};

/** run() without blocking the event loop (long synchronous children starve vitest's worker RPC). */
function runAsync(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: childEnv(extraEnv), timeout: 300_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => (stderr += `\n${e.message}`));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * A fresh project with blasprop installed from its tarball by `npm install <flags>`. The overrides pin
 * blasprop's dependencies to the versions package-lock.json resolved (the same code the repository was
 * tested with) and serve the platform packages from their tarballs. `npm ci` caches tarballs but not
 * the registry's package documents, which resolving needs, so on a fresh machine those are fetched.
 */
async function install(name: string, flags: string[]): Promise<Consumer> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const overrides = { ...lockedRuntimeVersions(), ...Object.fromEntries(PLATFORMS.map((p) => [p, `file:${tarball(p)}`])) };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true, overrides }, null, 2));
  const r = await runAsync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...flags, tarball('blasprop')], dir);
  if (r.status !== 0) throw new Error(`npm install ${flags.join(' ')} of the tarball failed\n${r.stdout}\n${r.stderr}`);
  for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f.replace(/\.txt$/, '')));
  return { dir, installed: path.join(dir, 'node_modules', 'blasprop'), output: r.stdout + r.stderr };
}

function node(c: Consumer, script: string, args: string[] = [], extraEnv: Record<string, string> = {}): Run {
  return run(process.execPath, [script, ...args], c.dir, extraEnv);
}

const platformBinary = (c: Consumer, name: string) => path.join(c.dir, 'node_modules', name, 'blasprop.node');
const installedPlatforms = (c: Consumer) => PLATFORMS.filter((p) => fs.existsSync(path.join(c.dir, 'node_modules', p, 'package.json')));

beforeAll(async () => {
  preconditions();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-package-'));
  const packed = ok(await runAsync(process.execPath, [path.join(repo, 'scripts', 'release-pack.js'), '--out', path.join(tmp, 'release'), '--json'], repo), 'release:pack');
  packs = JSON.parse(packed.stdout) as PackResult[];
  // One after the other: parallel installs would fight over the 2 cores and the npm cache.
  consumers.normal = await install('normal', []);
  consumers.ignoreScripts = await install('ignore-scripts', ['--ignore-scripts']);
  consumers.arm64 = await install('arm64', ['--cpu=arm64']);
  consumers.noOptional = await install('no-optional', ['--omit=optional']);
}, 400_000);

afterAll(() => {
  if (tmp && process.env.BLASPROP_KEEP_PACKAGE_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm packages', () => {
  // These tests block the event loop with synchronous child processes (npm, builds). vitest's worker
  // RPC gives up after 60 s without reading a reply ("Timeout calling onTaskUpdate"), which a slow,
  // busy machine reaches over the whole file; letting the loop turn after each test reads the replies.
  afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

  it('release:pack writes the main package and one package per platform binary into one folder', () => {
    expect(packs.map((p) => p.name).sort()).toEqual(['@blasprop/linux-arm64-gnu', '@blasprop/linux-x64-gnu', 'blasprop']);
    expect(fs.readdirSync(path.join(tmp, 'release')).sort()).toEqual(packs.map((p) => p.filename).sort());
    for (const p of packs) {
      console.log(`${p.filename}: ${(p.size / 1e6).toFixed(2)} MB packed, ${(p.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${p.files.length} files`);
    }
  });

  it('each platform package holds its binary (x64: and oneDNN\'s libraries, under 25 MB packed), with os, cpu and libc fields, at the main version', () => {
    const contents = {
      x64: ['LICENSE', 'THIRD_PARTY_LICENSES.txt', 'blasprop.node', ...CARRIED, 'package.json'],
      arm64: ['LICENSE', 'blasprop.node', 'package.json'],
    };
    for (const [name, cpu, machine] of [['@blasprop/linux-x64-gnu', 'x64', 'X86-64'], ['@blasprop/linux-arm64-gnu', 'arm64', 'AArch64']] as const) {
      const pack = packs.find((p) => p.name === name)!;
      expect(pack.files.map((f) => f.path).sort()).toEqual(contents[cpu].sort());
      const dir = path.join(tmp, `unpacked-${cpu}`);
      fs.mkdirSync(dir);
      ok(run('tar', ['-xzf', tarball(name), '-C', dir], repo), 'tar');
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'package.json'), 'utf8'));
      expect(manifest).toMatchObject({ name, version: VERSION, os: ['linux'], cpu: [cpu], libc: ['glibc'] });
      expect(manifest.scripts).toBeUndefined();
      expect(ok(run('readelf', ['-h', path.join(dir, 'package', 'blasprop.node')], repo), 'readelf -h').stdout).toMatch(new RegExp(`Machine:.*\\b${machine}\\b`));
    }
    const x64 = packs.find((p) => p.name === '@blasprop/linux-x64-gnu')!;
    expect(x64.size, 'the x64 tarball').toBeLessThan(25e6);
    const notices = fs.readFileSync(path.join(tmp, 'unpacked-x64', 'package', 'THIRD_PARTY_LICENSES.txt'), 'utf8');
    for (const lib of CARRIED) expect(notices).toMatch(new RegExp(`^${lib.replace(/\./g, '\\.')}: .* of the Debian package \\S+ \\S+$`, 'm'));
  });

  it('the main package: dist/ and the source-build inputs, no binary, no install script, the platform packages as optional dependencies', () => {
    const pack = packs.find((p) => p.name === 'blasprop')!;
    const paths = pack.files.map((f) => f.path);
    for (const required of [
      'package.json', 'README.md', 'LICENSE', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs', 'dist/esm/index.d.mts',
      'dist/blasprop.wasm', 'binding.gyp', 'scripts/build-from-source.js', 'scripts/find-openblas.js',
      'native/napi/addon.cc', 'native/napi/network_wrap.cc', 'native/kernels/blas.h', 'native/products/products.h',
    ]) {
      expect(paths, `the package must contain ${required}`).toContain(required);
    }
    const forbidden = paths.filter(
      (p) =>
        /^(test|bench|examples|packages|prebuilds|release|\.ci|\.github|node_modules|build|lib|tmp)\//.test(p) ||
        /^(tsconfig.*|vitest\.config\..*|\.gitignore|\.npmrc|package-lock\.json|CMakeLists\.txt)$/.test(p) ||
        /^scripts\/(prebuild|release-pack|arm64-sysroot|write-esm-entry)/.test(p) ||
        /\.(tgz|ts|node)$/.test(p.replace(/\.d\.m?ts$/, '')),
    );
    expect(forbidden, 'development files or binaries in the main package').toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(consumers.normal!.installed, 'package.json'), 'utf8'));
    expect(manifest.optionalDependencies).toEqual(Object.fromEntries(PLATFORMS.map((p) => [p, VERSION])));
    expect(manifest.scripts).toEqual({ 'build:native': 'node scripts/build-from-source.js' });
    expect(manifest.gypfile, 'no implicit node-gyp build because binding.gyp is there').toBe(false);
    expect(manifest.devDependencies).toBeUndefined();
  });

  it('package.json: exports (types, import, require) point at shipped files, engines node >= 18', () => {
    const { installed, dir } = consumers.normal!;
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest.engines).toEqual({ node: '>=18' });
    // Every file the exports map names, at any depth of conditions, must be in the package.
    const targets = (entry: unknown, where: string): [string, string][] =>
      typeof entry === 'string' ? [[where, entry]] : Object.entries(entry as object).flatMap(([k, v]) => targets(v, `${where}.${k}`));
    const named = targets(manifest.exports['.'], 'exports["."]');
    for (const condition of ['import', 'require']) expect(named.some(([where]) => where.includes(`.${condition}`))).toBe(true);
    expect(named.filter(([where]) => where.endsWith('.types'))).toHaveLength(2);
    for (const [where, target] of named) expect(fs.existsSync(path.join(installed, target)), `${where} = ${target} must exist`).toBe(true);
    for (const field of ['main', 'types']) expect(fs.existsSync(path.join(installed, manifest[field])), `${field} must exist`).toBe(true);
    const resolved = ok(run(process.execPath, ['-p', "require.resolve('blasprop')"], dir), 'require.resolve').stdout.trim();
    expect(resolved).toBe(path.join(installed, 'dist', 'cjs', 'index.js'));
  });

  it('a normal install on linux-x64 brings the x64 package and not the arm64 one, and builds nothing', () => {
    const c = consumers.normal!;
    expect(installedPlatforms(c)).toEqual(['@blasprop/linux-x64-gnu']);
    expect(fs.existsSync(path.join(c.installed, 'build'))).toBe(false);
    expect(c.output).not.toMatch(/node-gyp|gyp info/);
  });

  it('CommonJS: require("blasprop") trains XOR on the x64 package\'s binary, with no OpenBLAS or Fortran library loaded', () => {
    const c = consumers.normal!;
    const r = parse<XorReport>(node(c, 'xor.cjs'), 'xor.cjs');
    const binary = platformBinary(c, '@blasprop/linux-x64-gnu');
    expect(r.backend).toBe('native');
    expect(r.info.addonPath).toBe(binary);
    expect(r.info.blas?.vendor).toBe('OpenBLAS');
    expect(r.loss).toBeLessThan(0.01);
    expect(r.predictions).toEqual([0, 1, 1, 0]);
    expect(r.warnings).toEqual([]);
    expect(r.libraries).toContain(binary);
    expect(r.libraries.filter((l) => /openblas|libblas|gfortran|quadmath/.test(l))).toEqual([]);
  });

  it('ES module: import { Network } from "blasprop" trains XOR, sharing the CommonJS instance', () => {
    const c = consumers.normal!;
    const r = parse<{ backend: string; loss: number; info: XorReport['info']; sameAsDefault: boolean; resolved: string | null }>(node(c, 'xor.mjs'), 'xor.mjs');
    expect(r.backend).toBe('native');
    expect(r.loss).toBeLessThan(0.01);
    expect(r.sameAsDefault).toBe(true);
    expect(r.info.addonPath).toBe(platformBinary(c, '@blasprop/linux-x64-gnu'));
    if (r.resolved !== null) expect(r.resolved).toBe(`file://${path.join(c.installed, 'dist', 'esm', 'index.mjs')}`);
  });

  it('TypeScript: a consumer of the public types compiles with tsc --strict, as CommonJS and as an ES module', async () => {
    const consumer = consumers.normal!.dir;
    fs.copyFileSync(path.join(consumer, 'consumer.ts'), path.join(consumer, 'consumer.mts'));
    const base = {
      strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', lib: ['ES2022'],
      types: ['node'], typeRoots: [path.join(repo, 'node_modules', '@types')],
    };
    const configs = {
      'tsconfig.cjs.json': { compilerOptions: { ...base, module: 'commonjs', moduleResolution: 'node10' }, files: ['consumer.ts'] },
      'tsconfig.esm.json': { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['consumer.mts'] },
    };
    for (const [name, config] of Object.entries(configs)) {
      fs.writeFileSync(path.join(consumer, name), JSON.stringify(config, null, 2));
      ok(await runAsync(process.execPath, [tsc, '-p', name], consumer), `tsc -p ${name}`);
    }
  });

  it('the x64 binary is self-contained: OpenBLAS and libstdc++ inside, oneDNN, libgomp and libOpenCL the copies beside it (DT_RPATH $ORIGIN), no BLAS symbols exported, stripped', () => {
    const file = platformBinary(consumers.normal!, '@blasprop/linux-x64-gnu');
    const libraries = resolvedLibraries(file);
    expect(Object.keys(libraries).filter((l) => /openblas|libblas|gfortran|quadmath/.test(l))).toEqual([]);
    for (const lib of CARRIED) expect(libraries[lib], lib).toBe(path.join(path.dirname(file), lib));
    expect(needed(file).filter((l) => !/^(libc|libm|libpthread|libdl|librt|libgcc_s)\.so|^ld-linux/.test(l))).toEqual(['libdnnl.so.2', 'libgomp.so.1']);
    expect(ok(run('readelf', ['-d', file], repo), 'readelf -d').stdout).toMatch(/\(RPATH\)\s+Library rpath: \[\$ORIGIN\]/);
    // libstdc++.so.6 is libdnnl's, not the binary's, and not carried: Node links it, so it is loaded already.
    expect(needed(path.join(path.dirname(file), 'libdnnl.so.2'))).toContain('libstdc++.so.6');
    expect(libraries['libstdc++.so.6']).toBe(resolvedLibraries(process.execPath)['libstdc++.so.6']);
    const exported = ok(run('nm', ['-D', '--defined-only', file], repo), 'nm -D').stdout;
    expect(exported).toMatch(/\bnapi_register_module_v1\b/);
    expect(exported).not.toMatch(/\b(cblas_\w+|openblas_\w+|gotoblas\w*|[sd]gemm_?)\b/);
    expect(ok(run('readelf', ['-S', '-W', file], repo), 'readelf -S').stdout, 'stripped: no .symtab').not.toMatch(/\.symtab/);
  });

  it('--ignore-scripts changes nothing: the same package and binary, native XOR', () => {
    const c = consumers.ignoreScripts!;
    expect(installedPlatforms(c)).toEqual(['@blasprop/linux-x64-gnu']);
    const r = parse<XorReport>(node(c, 'xor.cjs'), 'xor.cjs after --ignore-scripts');
    expect(r.backend).toBe('native');
    expect(r.info.addonPath).toBe(platformBinary(c, '@blasprop/linux-x64-gnu'));
    expect(r.loss).toBeLessThan(0.01);
    expect(r.warnings).toEqual([]);
  });

  it('--cpu=arm64 installs the arm64 package and not the x64 one, and an arm64 Node (qemu) trains XOR on it', async () => {
    const c = consumers.arm64!;
    expect(installedPlatforms(c)).toEqual(['@blasprop/linux-arm64-gnu']);
    const arm64 = await runAsync('/usr/bin/qemu-aarch64-static', ['-L', sysroot, path.join(sysroot, 'usr', 'bin', 'node'), 'xor.cjs'], c.dir);
    const r = parse<XorReport>(arm64, 'xor.cjs on arm64 Node');
    expect(r.backend).toBe('native');
    expect(r.info.addonPath).toBe(platformBinary(c, '@blasprop/linux-arm64-gnu'));
    expect(r.info.blas?.config).toMatch(/armv8/i);
    expect(r.loss).toBeLessThan(0.01);
    expect(r.predictions).toEqual([0, 1, 1, 0]);
    expect(r.warnings).toEqual([]);
  });

  it('--omit=optional: no binary; auto warns once, naming every place it looked, and falls back; native throws BackendError', () => {
    const c = consumers.noOptional!;
    expect(installedPlatforms(c)).toEqual([]);
    const auto = node(c, 'fallback.cjs', ['auto']);
    const a = parse<FallbackReport>(auto, 'fallback.cjs auto');
    expect(a.error).toBeUndefined();
    expect(a.backend).toBe(FALLBACK);
    expect(a.loss).toBeLessThan(0.01);
    expect(a.info?.backend).toBe(FALLBACK);
    expect(a.info?.loadError).toBe('source build: none (build/Release/blasprop.node); @blasprop/linux-x64-gnu: not installed');
    expect(a.info?.wasmPath).toBe(path.join(c.installed, 'dist', 'blasprop.wasm'));
    expect(a.warnings.map((w) => w.code)).toEqual(['BLASPROP_NO_NATIVE']);
    expect(a.warnings[0]!.message).toMatch(FALLBACK_WARNING);
    expect(a.warnings[0]!.message).toContain('@blasprop/linux-x64-gnu: not installed');
    expect(auto.stderr.match(/blasprop: using the/g)?.length, `stderr:\n${auto.stderr}`).toBe(1);

    const n = parse<FallbackReport>(node(c, 'fallback.cjs', ['native']), 'fallback.cjs native');
    expect(n.error?.name).toBe('BackendError');
    expect(n.error?.isBackendError).toBe(true);
    expect(n.error?.isBlaspropError).toBe(true);
    expect(n.error?.message).toMatch(/^the native backend could not be loaded: source build: none .*; @blasprop\/linux-x64-gnu: not installed/);
    expect(n.error?.message).toContain('--omit=optional');
    expect(n.error?.message).toContain('npm explore blasprop -- npm run build:native');
    expect(n.warnings).toEqual([]);

    const js = parse<FallbackReport>(node(c, 'fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'js' }), 'fallback.cjs BLASPROP_BACKEND=js');
    expect(js.backend).toBe('js');
    expect(js.loss).toBeLessThan(0.01);
    expect(js.warnings).toEqual([]);

    // Without the WebAssembly module too: TypeScript, still one warning, now with both reasons.
    const wasm = path.join(c.installed, 'dist', 'blasprop.wasm');
    fs.renameSync(wasm, `${wasm}.hidden`);
    try {
      const last = node(c, 'fallback.cjs', ['auto']);
      const t = parse<FallbackReport>(last, 'fallback.cjs auto without the .wasm');
      expect(t.backend).toBe('js');
      expect(t.loss).toBeLessThan(0.01);
      expect(t.info?.wasmError).toMatch(/blasprop\.wasm: ENOENT/);
      expect(t.warnings.map((w) => w.code)).toEqual(['BLASPROP_NO_NATIVE']);
      expect(t.warnings[0]!.message).toMatch(/^blasprop: using the TypeScript backend \(much slower\) because neither the native addon \(.*not installed\) nor the WebAssembly engine \(.*ENOENT.*\) could be loaded/);
      const w = parse<FallbackReport>(node(c, 'fallback.cjs', ['wasm']), 'fallback.cjs wasm without the .wasm');
      expect(w.error?.name).toBe('BackendError');
      expect(w.error?.message).toMatch(/^the WebAssembly backend could not be loaded: .*blasprop\.wasm: ENOENT/);
    } finally {
      fs.renameSync(`${wasm}.hidden`, wasm);
    }
  });

  it('BLASPROP_BACKEND=js and =wasm force those backends when the binary loads; =native takes it', () => {
    const c = consumers.normal!;
    const js = parse<FallbackReport>(node(c, 'fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'js' }), 'BLASPROP_BACKEND=js');
    expect(js.backend).toBe('js');
    expect(js.warnings).toEqual([]);
    const wasm = parse<FallbackReport>(node(c, 'fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'wasm' }), 'BLASPROP_BACKEND=wasm');
    expect(wasm.backend).toBe('wasm');
    expect(wasm.loss).toBeLessThan(0.01);
    expect(wasm.warnings).toEqual([]);
    const native = parse<FallbackReport>(node(c, 'fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'native' }), 'BLASPROP_BACKEND=native');
    expect(native.backend).toBe('native');
  });

  it("the x64 package's oneDNN loads from its own copies: with the system's libdnnl, libgomp and libOpenCL emptied, blas 'onednn' trains like the cmake-js build's oneDNN", () => {
    const c = consumers.normal!;
    const binary = platformBinary(c, '@blasprop/linux-x64-gnu');
    const libraries = resolvedLibraries(cmakeAddon);
    const system = CARRIED.map((lib) => {
      expect(libraries[lib], `the cmake-js build links the system's ${lib} (libdnnl-dev)`).toBeDefined();
      return fs.realpathSync(libraries[lib]!);
    });
    const source = JSON.parse(ok(run(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(cmakeAddon)}).blasInfo().onednn)`], repo), 'cmake-js blasInfo').stdout) as OnednnFacts;

    // The namespace works: the system's copies are empty there, and the cmake-js build cannot load.
    const probe = `process.stdout.write(JSON.stringify({ sizes: ${JSON.stringify(system)}.map((f) => require('fs').statSync(f).size), error: (() => { try { require(${JSON.stringify(cmakeAddon)}); return null; } catch (e) { return e.message; } })() }))`;
    const hidden = parse<{ sizes: number[]; error: string | null }>(runHiding(system, process.execPath, ['-e', probe], repo), 'unshare probe');
    expect(hidden.sizes).toEqual(system.map(() => 0));
    expect(hidden.error).toMatch(/libdnnl\.so\.2: file too short/);

    const started = Date.now();
    const r = parse<FallbackReport>(runHiding(system, process.execPath, ['fallback.cjs', 'native', 'onednn'], c.dir), 'fallback.cjs native onednn, system oneDNN hidden');
    console.log(`blas 'onednn' XOR on the package's oneDNN, system copies hidden: ${Date.now() - started} ms (load and 2000 epochs)`);
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('native');
    expect(r.blas).toBe('onednn');
    expect(r.loss).toBeLessThan(0.01);
    expect(r.info?.addonPath).toBe(binary);
    expect(r.info?.blas?.onednn).toMatchObject({ version: source.version, isa: source.isa });
    for (const lib of CARRIED) expect(r.libraries).toContain(path.join(path.dirname(binary), lib));
    expect(r.libraries.filter((l) => system.includes(l))).toEqual([]);
    expect(r.warnings).toEqual([]);

    const env = { OPENBLAS_NUM_THREADS: '2', BLASPROP_BLAS: 'onednn' };
    const prebuilt = parse<Weights>(runHiding(system, process.execPath, ['train.cjs', 'blasprop', 'float32'], c.dir, env), 'train.cjs prebuild onednn, system oneDNN hidden');
    const built = parse<Weights>(node(c, 'train.cjs', [repo, 'float32'], env), 'train.cjs cmake-js build onednn');
    expect([prebuilt.addonPath, prebuilt.blas, built.blas]).toEqual([binary, 'onednn', 'onednn']);
    expect(prebuilt.loss.at(-1)!).toBeLessThan(prebuilt.loss[0]!);
    const worst = largestWeightDifference(prebuilt.layers, built.layers);
    console.log(`oneDNN float32: largest relative weight difference prebuild vs cmake-js build: ${worst}`);
    expect(worst).toBeLessThan(1e-5);

    // 'auto' picks the engine the cmake-js build picks on this machine from the same facts.
    const auto = parse<FallbackReport>(node(c, 'fallback.cjs', ['native']), 'fallback.cjs native');
    const sourceAuto = parse<FallbackReport>(node(c, 'fallback.cjs', ['native'], { BLASPROP_BINARY_PATH: cmakeAddon }), 'fallback.cjs native on the cmake-js build');
    expect(sourceAuto.info?.addonPath).toBe(cmakeAddon);
    expect(auto.blas).toBe(sourceAuto.blas);
    expect(auto.loss).toBeLessThan(0.01);
  });

  it("the arm64 package has no oneDNN: blas 'onednn' there is a BackendError naming libdnnl-dev (as in every build without oneDNN)", async () => {
    const c = consumers.arm64!;
    const arm64 = await runAsync('/usr/bin/qemu-aarch64-static', ['-L', sysroot, path.join(sysroot, 'usr', 'bin', 'node'), 'fallback.cjs', 'native', 'onednn'], c.dir);
    const r = parse<FallbackReport>(arm64, 'fallback.cjs native onednn on arm64 Node');
    expect(r.error?.name).toBe('BackendError');
    expect(r.error?.message).toMatch(/^blas 'onednn' needs oneDNN: this blasprop build has no oneDNN; install it \(Debian\/Ubuntu: apt-get install libdnnl-dev\)/);
  });

  it('a source build that does not load does not hide the platform package', () => {
    const c = consumers.normal!;
    const local = path.join(c.installed, 'build', 'Release', 'blasprop.node');
    fs.mkdirSync(path.dirname(local), { recursive: true });
    fs.writeFileSync(local, 'not an ELF file');
    try {
      const r = parse<XorReport>(node(c, 'xor.cjs'), 'xor.cjs with a broken build/Release');
      expect(r.backend).toBe('native');
      expect(r.info.addonPath).toBe(platformBinary(c, '@blasprop/linux-x64-gnu'));
      expect(r.warnings).toEqual([]);
    } finally {
      fs.rmSync(path.join(c.installed, 'build'), { recursive: true, force: true });
    }
  });

  it(
    'npm explore blasprop -- npm run build:native: a clear failure when OpenBLAS is missing or the build fails; else a source build the loader takes first',
    async () => {
      const c = consumers.noOptional!;
      const build = (env: Record<string, string>) => runAsync('npm', ['explore', 'blasprop', '--', 'npm', 'run', 'build:native'], c.dir, env);
      const addon = path.join(c.installed, 'build', 'Release', 'blasprop.node');

      const missing = await build({ OPENBLAS_HOME: path.join(tmp, 'no-openblas') });
      expect(missing.status).not.toBe(0);
      const missingText = missing.stdout + missing.stderr;
      expect(missingText).toMatch(/blasprop: the native addon is not available: OpenBLAS headers \(cblas\.h\) not found/);
      for (const hint of ['apt-get install libopenblas-dev', 'dnf install openblas-devel', 'brew install openblas']) expect(missingText).toContain(hint);
      expect(fs.existsSync(addon)).toBe(false);

      const broken = await build({ CXX: '/bin/false' });
      expect(broken.status).not.toBe(0);
      expect(broken.stdout + broken.stderr).toMatch(/blasprop: the native addon is not available: the source build failed/);
      expect(fs.existsSync(path.join(c.installed, 'build', 'build.log'))).toBe(true);
      expect(fs.existsSync(addon)).toBe(false);

      const built = await build({});
      expect(built.status, built.stderr).toBe(0);
      expect(built.stdout + built.stderr).toContain('blasprop: built and loaded build/Release/blasprop.node');
      // The source build links the system's shared OpenBLAS.
      expect(needed(addon).some((l) => l.startsWith('libopenblas'))).toBe(true);
      const r = parse<XorReport>(node(c, 'xor.cjs'), 'xor.cjs on the source build');
      expect(r.backend).toBe('native');
      expect(r.info.addonPath).toBe(addon);
      expect(r.loss).toBeLessThan(0.01);
      expect(r.warnings).toEqual([]);
    },
    300_000,
  );

  it('the x64 package binary and the cmake-js build train identically: float64 bit for bit, float32 within tolerance', () => {
    const c = consumers.normal!;
    const env = { OPENBLAS_NUM_THREADS: '2' };
    for (const dtype of ['float64', 'float32'] as const) {
      const prebuilt = parse<Weights>(node(c, 'train.cjs', ['blasprop', dtype], env), `train.cjs prebuild ${dtype}`);
      const source = parse<Weights>(node(c, 'train.cjs', [repo, dtype], env), `train.cjs cmake-js build ${dtype}`);
      expect(prebuilt.addonPath).toBe(platformBinary(c, '@blasprop/linux-x64-gnu'));
      expect(source.addonPath).toBe(path.join(repo, 'build', 'Release', 'blasprop.node'));
      expect(prebuilt.loss.at(-1)!).toBeLessThan(prebuilt.loss[0]!);
      if (dtype === 'float64') {
        expect(prebuilt.layers).toEqual(source.layers);
        expect(prebuilt.loss).toEqual(source.loss);
      } else {
        const worst = largestWeightDifference(prebuilt.layers, source.layers);
        console.log(`float32: largest relative weight difference prebuild vs cmake-js build: ${worst}`);
        expect(worst).toBeLessThan(1e-5);
      }
    }
  });
});
