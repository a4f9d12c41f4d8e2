#!/usr/bin/env node
// `npm run build:prebuild`: the prebuilt binary shipped in the npm package.
//
// prebuildify --napi --strip --tag-libc drives node-gyp (binding.gyp) with openblas_static=1
// (BLASPROP_OPENBLAS_STATIC=1): OpenBLAS and libstdc++ linked in statically and hidden, so the one
// Node-API binary works on every Node >= 18 with no libopenblas installed. Output:
// prebuilds/<platform>-<arch>/blasprop.<libc>.node (blasprop.glibc.node on Linux), which
// `npm run release:pack` (scripts/release-pack.js) puts into its platform package.
//
// node-gyp always builds in ./build and `rebuild` deletes it first, but in this repository build/
// holds the cmake-js build. So the sources are copied to a temporary directory and built there;
// only the finished binary comes back into prebuilds/.
//
// Afterwards the binary is checked and the script fails when it is not self-contained: on Linux
// its NEEDED entries may only name libc, libm, libpthread, libdl, librt, libgcc_s and the dynamic
// loader (no libopenblas, libgfortran, libquadmath, libstdc++), and no BLAS symbol may be exported.
//
// `node scripts/prebuild.js --arch arm64` (`npm run build:prebuild:arm64`) cross-compiles the same
// prebuild for linux-arm64 on an x64 Debian machine: Debian's g++-aarch64-linux-gnu, and
// libopenblas.a from libopenblas-pthread-dev:arm64 (found through BLASPROP_TARGET_TRIPLET, see
// find-openblas.js). The same checks run with the aarch64 binutils; whether it loads and trains is
// test/arm64.test.ts's job (qemu-user and Debian's arm64 Node, scripts/arm64-sysroot.js).
//
// `node scripts/prebuild.js --source` (`npm run build:gyp`) is the other build node-gyp does: what
// `npm run build:native` does in an installed package (scripts/build-from-source.js, the system's
// shared OpenBLAS), in place, into build/Release.
// It replaces the cmake-js build there; `npm run build:native` goes back.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodeGypEnv, tryLoad } = require('./build-from-source.js');

const root = path.resolve(__dirname, '..');
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
const ALLOWED_NEEDED = /^(libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libgcc_s\.so|ld-linux[-\w.]*\.so)/;

/** Cross targets: Node's arch name -> the GNU triplet of Debian's cross toolchain and multiarch directories. */
const CROSS = { arm64: 'aarch64-linux-gnu' };
const archFlag = process.argv.indexOf('--arch');
const targetArch = archFlag > 0 ? process.argv[archFlag + 1] : process.arch;
const cross = targetArch === process.arch ? null : CROSS[targetArch];
if (targetArch !== process.arch && (!cross || process.platform !== 'linux')) {
  process.stderr.write(`prebuild: cannot cross-build for ${targetArch} on ${process.platform}-${process.arch}; targets: ${Object.keys(CROSS).join(', ')} (on Linux)\n`);
  process.exit(1);
}
/** A binutils program for the target: readelf, nm, objdump, strip (prefixed when cross-building). */
const binutil = (name) => (cross ? `${cross}-${name}` : name);

function die(message) {
  process.stderr.write(`prebuild: ${message}\n`);
  process.exit(1);
}

function sourceBuild() {
  const run = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release'], {
    cwd: root,
    stdio: 'inherit',
    env: nodeGypEnv({ ...process.env, BLASPROP_OPENBLAS_STATIC: '0' }),
  });
  if (run.status !== 0) die('node-gyp rebuild failed');
  const loaded = tryLoad(path.join(root, 'build', 'Release', 'blasprop.node'));
  if (!loaded.ok) die(`build/Release/blasprop.node does not load: ${loaded.reason}`);
  process.stdout.write(`build:gyp: build/Release/blasprop.node loads (${loaded.blas.config})\n`);
}

/** Copies what binding.gyp needs into a fresh directory; node_modules is linked, not copied. */
function stage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-prebuild-'));
  for (const entry of ['binding.gyp', 'package.json', 'native', 'scripts/find-openblas.js']) {
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function tool(program, args) {
  const name = binutil(program);
  try {
    return execFileSync(name, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    die(`${name} ${args.join(' ')} failed (${e.message.split('\n')[0]}); binutils are needed to check the prebuild`);
  }
}

/** Fails unless the Linux binary is self-contained; returns its NEEDED entries. */
function checkLinux(file) {
  const needed = [...tool('readelf', ['-d', file]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const extra = needed.filter((n) => !ALLOWED_NEEDED.test(n));
  if (extra.length) die(`${file} needs ${extra.join(', ')} at run time; the prebuild must only need libc/libm/libgcc_s`);
  const exported = tool('nm', ['-D', '--defined-only', file])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[2])
    .filter(Boolean);
  const leaked = exported.filter((s) => /^(cblas_|openblas_|goto|blas_|[sdcz](gemm|gemv|ger|scal|nrm2|axpy|dot)_?$)/.test(s));
  if (leaked.length) die(`${file} exports BLAS symbols (${leaked.slice(0, 5).join(', ')}…); they could clash with another BLAS`);
  if (!exported.includes('napi_register_module_v1')) die(`${file} does not export napi_register_module_v1`);
  const glibc = (tool('objdump', ['-T', file]).match(/GLIBC_[0-9.]+/g) || [])
    .map((v) => v.slice(6))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .pop();
  return { needed, exported: exported.length, glibc };
}

function prebuild() {
  const prebuildify = require(require.resolve('prebuildify', { paths: [root] }));
  const platformDir = path.join(root, 'prebuilds', `${process.platform}-${targetArch}`);
  fs.rmSync(platformDir, { recursive: true, force: true });
  const dir = stage();
  // prebuildify passes its environment on to node-gyp (and node-gyp to gyp and make).
  Object.assign(process.env, nodeGypEnv({ ...process.env, BLASPROP_OPENBLAS_STATIC: '1' }));
  if (cross) {
    for (const [variable, program] of [['CC', 'gcc'], ['CXX', 'g++'], ['LINK', 'g++'], ['AR', 'ar']]) process.env[variable] = `${cross}-${program}`;
    process.env.BLASPROP_TARGET_TRIPLET = cross;
  }
  prebuildify(
    {
      cwd: dir,
      out: root,
      arch: targetArch,
      napi: true,
      strip: true,
      stripBin: binutil('strip'),
      tagLibc: process.platform === 'linux',
      // Node-API: the headers of the running Node serve every Node >= 18 (NAPI_VERSION=8).
      targets: [process.versions.node],
      nodeGyp: nodeGyp,
    },
    (err) => {
      fs.rmSync(dir, { recursive: true, force: true });
      if (err) die(`prebuildify failed: ${err.message}`);
      const files = fs.readdirSync(platformDir).filter((f) => f.endsWith('.node'));
      if (files.length !== 1) die(`expected one .node file in ${platformDir}, found ${files.join(', ') || 'none'}`);
      const file = path.join(platformDir, files[0]);
      const facts = process.platform === 'linux' ? checkLinux(file) : {};
      const size = (fs.statSync(file).size / 1024 / 1024).toFixed(1);
      let config = `cross-built for ${targetArch}, not loaded here`;
      if (!cross) {
        const loaded = tryLoad(file);
        if (!loaded.ok) die(`the prebuild does not load: ${loaded.reason}`);
        config = loaded.blas.config;
      }
      process.stdout.write(
        `prebuild: ${path.relative(root, file)}, ${size} MB, ${config}` +
          (facts.needed ? `; needs ${facts.needed.join(' ')}; glibc >= ${facts.glibc}; ${facts.exported} exported symbols` : '') +
          '\n',
      );
    },
  );
}

if (process.argv.includes('--source')) sourceBuild();
else prebuild();
