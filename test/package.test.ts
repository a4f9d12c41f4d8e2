// The npm package as users get it: `npm pack` of this repository, installed into a fresh
// project, then used from CommonJS, ES modules and TypeScript; the prebuilt binary checked for
// being self-contained; the fallbacks when no binary loads; the install hook's source build; and the
// prebuild against the cmake-js build.
//
// Needs what CI's .ci/run builds first: dist/ (npm run build:ts), build/Release (cmake-js,
// npm run build:native) and prebuilds/ (npm run build:prebuild). Locally:
//   npm run build && npm run build:prebuild && npx vitest run test/package.test.ts
// A missing or stale precondition fails the tests with that message; nothing is skipped.
// BLASPROP_KEEP_PACKAGE_TMP=1 keeps the temporary project for inspection.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '..');
const fixtures = path.join(__dirname, 'fixtures', 'package');
const tuple = `${process.platform}-${process.arch}`;
const PREBUILD_NAME = 'blasprop.glibc.node';
const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

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

function node(script: string, args: string[] = [], extraEnv: Record<string, string> = {}): Run {
  return run(process.execPath, [script, ...args], consumer, extraEnv);
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

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}
interface XorReport {
  backend: string;
  loss: number;
  predictions: number[];
  info: { backend: string; addonPath?: string; loadError?: string; blas?: { vendor: string; config: string } };
  warnings: { name: string; code?: string; message: string }[];
  libraries: string[];
}
interface FallbackReport {
  backend?: string;
  loss?: number;
  info?: XorReport['info'];
  error?: { name: string; message: string; isBackendError: boolean; isBlaspropError: boolean };
  warnings: XorReport['warnings'];
}

let tmp = '';
let consumer = '';
let installed = '';
let pack: PackResult;
let installOutput = '';
const prebuildInRepo = path.join(repo, 'prebuilds', tuple, PREBUILD_NAME);

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
  if (tuple !== 'linux-x64') problems.push(`these tests cover the linux-x64 prebuild; this is ${tuple}`);
  const stale = (out: string, sources: string[], fix: string) => {
    if (!fs.existsSync(out)) problems.push(`${path.relative(repo, out)} is missing (${fix})`);
    else if (fs.statSync(out).mtimeMs < newest(sources)) problems.push(`${path.relative(repo, out)} is older than its sources (${fix})`);
  };
  const libSources = files(path.join(repo, 'lib')).filter((f) => f.endsWith('.ts'));
  // The addon's sources: native/ without the C++ kernel tests (native/test) and the optional MPI
  // module (native/mpi, its own addon), which are not part of it.
  const apart = ['test', 'mpi'].map((dir) => path.join(repo, 'native', dir) + path.sep);
  const addonSources = files(path.join(repo, 'native')).filter((f) => !apart.some((dir) => f.startsWith(dir)));
  const nativeSources = [...addonSources, path.join(repo, 'binding.gyp')];
  stale(path.join(repo, 'dist', 'cjs', 'index.js'), libSources, 'npm run build:ts');
  stale(path.join(repo, 'dist', 'esm', 'index.mjs'), libSources, 'npm run build:ts');
  stale(prebuildInRepo, nativeSources, 'npm run build:prebuild');
  stale(path.join(repo, 'build', 'Release', 'blasprop.node'), addonSources, 'npm run build:native');
  if (!fs.existsSync(path.join(repo, 'build', 'CMakeCache.txt'))) {
    problems.push('build/ is not a cmake-js build (no build/CMakeCache.txt; `npm run build:gyp` replaces it): run npm run build:native');
  }
  if (problems.length) {
    throw new Error(
      `package.test preconditions: ${problems.join('; ')}. CI's .ci/run builds all of these ` +
        '(npm run build && npm run build:prebuild); run the same locally first.',
    );
  }
}

beforeAll(() => {
  preconditions();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-package-'));
  consumer = path.join(tmp, 'consumer');
  fs.mkdirSync(consumer);

  const packed = ok(run('npm', ['pack', '--json', '--pack-destination', tmp], repo), 'npm pack');
  const json = packed.stdout.slice(packed.stdout.indexOf('['));
  pack = (JSON.parse(json) as PackResult[])[0]!;

  // Prefer the npm cache that `npm ci` filled. `npm ci` caches tarballs but not the registry's
  // package documents, which resolving a tarball's dependencies needs, so on a fresh machine those
  // come from the registry. The overrides pin the dependencies to the versions package-lock.json
  // resolved, so the install takes the same code the repository was tested with.
  const manifest = { name: 'consumer', version: '1.0.0', private: true, overrides: lockedRuntimeVersions() };
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(manifest, null, 2));
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', path.join(tmp, pack.filename)], consumer);
  if (install.status !== 0) {
    throw new Error(
      `npm install of the tarball failed\n${install.stdout}\n${install.stderr}`,
    );
  }
  installOutput = install.stdout + install.stderr;
  installed = path.join(consumer, 'node_modules', 'blasprop');
  for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(consumer, f.replace(/\.txt$/, '')));
}, 180_000);

afterAll(() => {
  if (tmp && process.env.BLASPROP_KEEP_PACKAGE_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs fn with the installed prebuild renamed away (and no build/), so no native binary can load. */
function withoutAddon<T>(fn: () => T): T {
  const file = path.join(installed, 'prebuilds', tuple, PREBUILD_NAME);
  fs.renameSync(file, `${file}.hidden`);
  fs.rmSync(path.join(installed, 'build'), { recursive: true, force: true });
  try {
    return fn();
  } finally {
    fs.rmSync(path.join(installed, 'build'), { recursive: true, force: true });
    fs.renameSync(`${file}.hidden`, file);
  }
}

describe('npm package', () => {
  it('npm pack ships dist/, the prebuild and the source-build inputs, and no development files', () => {
    const paths = pack.files.map((f) => f.path);
    const prebuild = pack.files.find((f) => f.path === `prebuilds/${tuple}/${PREBUILD_NAME}`);
    console.log(
      `package: ${pack.filename} ${(pack.size / 1e6).toFixed(2)} MB packed, ${(pack.unpackedSize / 1e6).toFixed(2)} MB unpacked, ` +
        `${paths.length} files; prebuild ${((prebuild?.size ?? 0) / 1e6).toFixed(2)} MB`,
    );
    for (const required of [
      'package.json', 'README.md', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs', 'dist/esm/index.d.mts',
      `prebuilds/${tuple}/${PREBUILD_NAME}`, 'binding.gyp', 'CMakeLists.txt', 'scripts/install.js', 'scripts/find-openblas.js',
      'native/napi/addon.cc', 'native/napi/network_wrap.cc', 'native/kernels/blas.h',
    ]) {
      expect(paths, `the package must contain ${required}`).toContain(required);
    }
    const forbidden = paths.filter(
      (p) =>
        /^(test|bench|examples|\.ci|\.github|node_modules|build|lib|tmp)\//.test(p) ||
        /^(tsconfig.*|vitest\.config\..*|\.gitignore|\.npmrc|package-lock\.json)$/.test(p) ||
        /^scripts\/(prebuild|write-esm-entry)/.test(p) ||
        /\.(tgz|ts)$/.test(p.replace(/\.d\.m?ts$/, '')),
    );
    expect(forbidden, 'development files in the package').toEqual([]);
  });

  it('package.json: exports (types, import, require) point at shipped files, engines node >= 18, install hook', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest.engines).toEqual({ node: '>=18' });
    expect(manifest.scripts.install).toBe('node scripts/install.js');
    expect(manifest.files).toContain('prebuilds/');
    // Every file the exports map names, at any depth of conditions, must be in the package.
    const targets = (entry: unknown, where: string): [string, string][] =>
      typeof entry === 'string' ? [[where, entry]] : Object.entries(entry as object).flatMap(([k, v]) => targets(v, `${where}.${k}`));
    const named = targets(manifest.exports['.'], 'exports["."]');
    for (const condition of ['import', 'require']) expect(named.some(([where]) => where.includes(`.${condition}`))).toBe(true);
    expect(named.filter(([where]) => where.endsWith('.types'))).toHaveLength(2);
    for (const [where, target] of named) expect(fs.existsSync(path.join(installed, target)), `${where} = ${target} must exist`).toBe(true);
    for (const field of ['main', 'types']) expect(fs.existsSync(path.join(installed, manifest[field])), `${field} must exist`).toBe(true);
    const resolved = ok(run(process.execPath, ['-p', "require.resolve('blasprop')"], consumer), 'require.resolve').stdout.trim();
    expect(resolved).toBe(path.join(installed, 'dist', 'cjs', 'index.js'));
  });

  it('installs from the tarball, and the install hook takes the prebuild (no source build)', () => {
    expect(installOutput).toContain(`blasprop: using the prebuilt binary prebuilds/${tuple}/${PREBUILD_NAME}`);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it('CommonJS: require("blasprop") trains XOR on the prebuilt native addon', () => {
    const r = parse<XorReport>(node('xor.cjs'), 'xor.cjs');
    expect(r.backend).toBe('native');
    expect(r.info.addonPath).toBe(path.join(installed, 'prebuilds', tuple, PREBUILD_NAME));
    expect(r.info.blas?.vendor).toBe('OpenBLAS');
    expect(r.loss).toBeLessThan(0.01);
    expect(r.predictions).toEqual([0, 1, 1, 0]);
    expect(r.warnings).toEqual([]);
    // The process really runs on the prebuild, and no OpenBLAS or Fortran runtime got loaded with it.
    expect(r.libraries).toContain(path.join(installed, 'prebuilds', tuple, PREBUILD_NAME));
    expect(r.libraries.filter((l) => /openblas|libblas|gfortran|quadmath/.test(l))).toEqual([]);
  });

  it('ES module: import { Network } from "blasprop" trains XOR, sharing the CommonJS instance', () => {
    const r = parse<{ backend: string; loss: number; info: XorReport['info']; sameAsDefault: boolean; resolved: string | null }>(node('xor.mjs'), 'xor.mjs');
    expect(r.backend).toBe('native');
    expect(r.loss).toBeLessThan(0.01);
    expect(r.sameAsDefault).toBe(true);
    expect(r.info.addonPath).toBe(path.join(installed, 'prebuilds', tuple, PREBUILD_NAME));
    if (r.resolved !== null) expect(r.resolved).toBe(`file://${path.join(installed, 'dist', 'esm', 'index.mjs')}`);
  });

  it('TypeScript: a consumer of the public types compiles with tsc --strict, as CommonJS and as an ES module', () => {
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
      ok(run(process.execPath, [tsc, '-p', name], consumer), `tsc -p ${name}`);
    }
  });

  it('the prebuild is self-contained: no libopenblas/libgfortran/libstdc++ needed, no BLAS symbols exported, stripped', () => {
    const file = path.join(installed, 'prebuilds', tuple, PREBUILD_NAME);
    const ldd = ok(run('ldd', [file], repo), 'ldd').stdout;
    console.log(`ldd ${PREBUILD_NAME}:\n${ldd}`);
    expect(ldd).not.toMatch(/not found/);
    expect(ldd).not.toMatch(/openblas|libblas|gfortran|quadmath|libstdc\+\+/);
    const libs = needed(file);
    expect(libs.filter((l) => !/^(libc|libm|libpthread|libdl|librt|libgcc_s)\.so|^ld-linux/.test(l))).toEqual([]);
    const exported = ok(run('nm', ['-D', '--defined-only', file], repo), 'nm -D').stdout;
    expect(exported).toMatch(/\bnapi_register_module_v1\b/);
    expect(exported).not.toMatch(/\b(cblas_\w+|openblas_\w+|gotoblas\w*|[sd]gemm_?)\b/);
    const sections = ok(run('readelf', ['-S', '-W', file], repo), 'readelf -S').stdout;
    expect(sections, 'stripped: no .symtab').not.toMatch(/\.symtab/);
  });

  it('without a loadable addon: auto warns once and trains on TypeScript, native throws BackendError, BLASPROP_BACKEND=js is quiet', () => {
    withoutAddon(() => {
      const auto = node('fallback.cjs', ['auto']);
      const a = parse<FallbackReport>(auto, 'fallback.cjs auto');
      expect(a.error).toBeUndefined();
      expect(a.backend).toBe('js');
      expect(a.loss).toBeLessThan(0.01);
      expect(a.info?.backend).toBe('js');
      expect(a.info?.loadError).toMatch(/No native build was found/);
      expect(a.warnings.map((w) => w.code)).toEqual(['BLASPROP_NO_NATIVE']);
      expect(a.warnings[0]!.message).toMatch(/^blasprop: using the TypeScript backend \(much slower\) because the native addon could not be loaded/);
      expect(auto.stderr.match(/blasprop: using the TypeScript backend/g)?.length, `stderr:\n${auto.stderr}`).toBe(1);

      const n = parse<FallbackReport>(node('fallback.cjs', ['native']), 'fallback.cjs native');
      expect(n.error?.name).toBe('BackendError');
      expect(n.error?.isBackendError).toBe(true);
      expect(n.error?.isBlaspropError).toBe(true);
      expect(n.error?.message).toMatch(/^the native backend could not be loaded: No native build was found/);
      expect(n.error?.message).toContain('apt-get install libopenblas-dev');
      expect(n.error?.message).toContain("npm rebuild blasprop");
      expect(n.warnings).toEqual([]);

      const js = parse<FallbackReport>(node('fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'js' }), 'fallback.cjs BLASPROP_BACKEND=js');
      expect(js.backend).toBe('js');
      expect(js.loss).toBeLessThan(0.01);
      expect(js.warnings).toEqual([]);
    });
  });

  it('BLASPROP_BACKEND=js forces the TypeScript backend when the prebuild loads; =native takes it', () => {
    const js = parse<FallbackReport>(node('fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'js' }), 'BLASPROP_BACKEND=js');
    expect(js.backend).toBe('js');
    expect(js.warnings).toEqual([]);
    const native = parse<FallbackReport>(node('fallback.cjs', ['auto'], { BLASPROP_BACKEND: 'native' }), 'BLASPROP_BACKEND=native');
    expect(native.backend).toBe('native');
  });

  it(
    'npm rebuild without a usable prebuild: one clear message and exit 0 when OpenBLAS is missing or the build fails; else a working source build',
    () => {
      withoutAddon(() => {
        const rebuild = (env: Record<string, string>) => run('npm', ['rebuild', 'blasprop', '--foreground-scripts'], consumer, env);
        const addon = path.join(installed, 'build', 'Release', 'blasprop.node');

        const missing = rebuild({ OPENBLAS_HOME: path.join(tmp, 'no-openblas') });
        expect(missing.status, missing.stderr).toBe(0);
        const missingText = missing.stdout + missing.stderr;
        expect(missingText).toMatch(/blasprop: the native addon is not available: OpenBLAS headers \(cblas\.h\) not found/);
        expect(missingText).toContain('pure-TypeScript backend');
        expect(missingText).toContain('apt-get install libopenblas-dev');
        expect(missingText).toContain('dnf install openblas-devel');
        expect(missingText).toContain('brew install openblas');
        expect(fs.existsSync(addon)).toBe(false);

        const broken = rebuild({ CXX: '/bin/false' });
        expect(broken.status, broken.stderr).toBe(0);
        expect(broken.stdout + broken.stderr).toMatch(/blasprop: the native addon is not available: the source build failed/);
        expect(fs.existsSync(path.join(installed, 'build', 'install.log'))).toBe(true);
        expect(fs.existsSync(addon)).toBe(false);

        const built = rebuild({});
        expect(built.status, built.stderr).toBe(0);
        expect(built.stdout + built.stderr).toContain('blasprop: built and loaded build/Release/blasprop.node');
        // The source build links the system's shared OpenBLAS.
        expect(needed(addon).some((l) => l.startsWith('libopenblas'))).toBe(true);
        const r = parse<XorReport>(node('xor.cjs'), 'xor.cjs on the source build');
        expect(r.backend).toBe('native');
        expect(r.info.addonPath).toBe(addon);
        expect(r.loss).toBeLessThan(0.01);
      });
    },
    240_000,
  );

  it('in the development checkout the install hook leaves build/ to cmake-js', () => {
    const addon = path.join(repo, 'build', 'Release', 'blasprop.node');
    const before = fs.statSync(addon).mtimeMs;
    const r = run(process.execPath, [path.join(repo, 'scripts', 'install.js')], repo);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('blasprop: development checkout: using build/Release/blasprop.node');
    expect(fs.statSync(addon).mtimeMs).toBe(before);
    expect(fs.existsSync(path.join(repo, 'build', 'CMakeCache.txt'))).toBe(true);
  });

  it('the prebuild and the cmake-js build train identically: float64 bit for bit, float32 within tolerance', () => {
    const env = { OPENBLAS_NUM_THREADS: '2' };
    type Weights = { addonPath: string; loss: number[]; layers: { weight: string; bias: string }[] };
    for (const dtype of ['float64', 'float32'] as const) {
      const prebuilt = parse<Weights>(node('train.cjs', ['blasprop', dtype], env), `train.cjs prebuild ${dtype}`);
      const source = parse<Weights>(node('train.cjs', [repo, dtype], env), `train.cjs cmake-js build ${dtype}`);
      expect(prebuilt.addonPath).toBe(path.join(installed, 'prebuilds', tuple, PREBUILD_NAME));
      expect(source.addonPath).toBe(path.join(repo, 'build', 'Release', 'blasprop.node'));
      expect(prebuilt.loss.at(-1)!).toBeLessThan(prebuilt.loss[0]!);
      if (dtype === 'float64') {
        expect(prebuilt.layers).toEqual(source.layers);
        expect(prebuilt.loss).toEqual(source.loss);
      } else {
        const floats = (hex: string) => new Float32Array(new Uint8Array(Buffer.from(hex, 'hex')).buffer);
        let worst = 0;
        prebuilt.layers.forEach((layer, l) => {
          for (const part of ['weight', 'bias'] as const) {
            const a = floats(layer[part]);
            const b = floats(source.layers[l]![part]);
            expect(a.length).toBe(b.length);
            a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]!) / (1 + Math.abs(b[i]!)))));
          }
        });
        console.log(`float32: largest relative weight difference prebuild vs cmake-js build: ${worst}`);
        expect(worst).toBeLessThan(1e-5);
      }
    }
  });
});
