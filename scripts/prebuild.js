#!/usr/bin/env node
// `npm run build:prebuild`: the prebuilt binary shipped in the npm package.
//
// prebuildify --napi --strip --tag-libc drives node-gyp (binding.gyp) with openblas_static=1
// (BLASPROP_OPENBLAS_STATIC=1): OpenBLAS and libstdc++ linked in statically and hidden, so the one
// Node-API binary works on every Node >= 18 with no libopenblas installed. Output:
// prebuilds/<platform>-<arch>/blasprop.<libc>.node (blasprop.glibc.node on Linux), which
// `npm run release:pack` (scripts/release-pack.js) puts into its platform package with every other
// file of that directory.
//
// The linux-x64 prebuild carries oneDNN (libdnnl-dev must be installed to build it). Debian has no
// static libdnnl, so the binary links the shared libdnnl.so.2 and libgomp.so.1 (oneDNN's OpenMP
// runtime, which native/napi/pass_scheduler.h also calls), and this script copies them and
// libdnnl's libOpenCL.so.1 (the OpenCL ICD loader, needed to load even when no GPU is used) from
// the system into the prebuild's directory, where the binary's DT_RPATH $ORIGIN finds them
// (binding.gyp), with their Debian copyright files in THIRD_PARTY_LICENSES.txt. libstdc++.so.6,
// which libdnnl also needs, is not copied: Node itself links it (ldd $(which node)), so it is in
// the process before the addon loads, and the loader would take that one for any copy by its name.
// libdnnl asks for GLIBCXX_3.4.29 (GCC 11's libstdc++); the script prints the floor it finds.
// The linux-arm64 prebuild has no oneDNN: the oneDNN engine is for x64 AVX-512/AMX (native/products/
// onednn.h), and the cross build would otherwise probe the host's x64 headers.
//
// node-gyp always builds in ./build and `rebuild` deletes it first, but in this repository build/
// holds the cmake-js build. So the sources are copied to a temporary directory and built there;
// only the finished binary comes back into prebuilds/.
//
// Afterwards the binary is checked and the script fails when it is not self-contained: on Linux
// its NEEDED entries may only name libc, libm, libpthread, libdl, librt, libgcc_s and the dynamic
// loader (no libopenblas, libgfortran, libquadmath, libstdc++) and, in the x64 prebuild, the
// carried libdnnl.so.2 and libgomp.so.1, which ldd must resolve to the copies beside it; the
// carried libraries may need only those, each other and libstdc++.so.6; no BLAS symbol may be
// exported.
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
/** The shared libraries the linux-x64 prebuild carries beside its binary: oneDNN and what it needs. */
const CARRIED = ['libdnnl.so.2', 'libgomp.so.1', 'libOpenCL.so.1'];
/** What the carried libraries may need besides ALLOWED_NEEDED and each other: Node's own libstdc++. */
const CARRIED_MAY_NEED = ['libstdc++.so.6'];

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
/** Whether this prebuild carries oneDNN (see the top). */
const withOnednn = process.platform === 'linux' && targetArch === 'x64';

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

/** An ELF file's dynamic section: its NEEDED entries and its DT_RPATH and DT_RUNPATH (or null). */
function dynamic(file) {
  const text = tool('readelf', ['-d', file]);
  const entry = (tag) => (text.match(new RegExp(`\\(${tag}\\)\\s+Library \\w+: \\[([^\\]]*)\\]`)) || [])[1] ?? null;
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  return { needed, rpath: entry('RPATH'), runpath: entry('RUNPATH') };
}

/** The highest symbol version with this prefix (GLIBC_, GLIBCXX_) that the files ask for, or null. */
function versionFloor(files, prefix) {
  return files
    .flatMap((f) => tool('objdump', ['-T', f]).match(new RegExp(`\\b${prefix}[0-9.]+`, 'g')) || [])
    .map((v) => v.slice(prefix.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .pop() ?? null;
}

/**
 * Copies CARRIED from where the loader finds them for the freshly built binary (ldd) into its
 * directory, under their sonames, and writes THIRD_PARTY_LICENSES.txt from their Debian packages.
 */
function carry(file) {
  const dir = path.dirname(file);
  const resolved = new Map([...tool('ldd', [file]).matchAll(/^\s*(\S+) => (\/\S+)/gm)].map((m) => [m[1], m[2]]));
  const notices = [];
  for (const name of CARRIED) {
    const from = resolved.get(name);
    if (!from) die(`ldd ${file} does not find ${name}; the x64 prebuild carries oneDNN: apt-get install libdnnl-dev`);
    const real = fs.realpathSync(from);
    fs.copyFileSync(real, path.join(dir, name));
    const owner = tool('dpkg-query', ['-S', real]).split(':')[0];
    const version = tool('dpkg-query', ['-W', '-f', '${Version}', owner]);
    const copyright = fs.readFileSync(`/usr/share/doc/${owner}/copyright`, 'utf8');
    notices.push(`${'='.repeat(78)}\n${name}: ${path.basename(real)} of the Debian package ${owner} ${version}\n${'='.repeat(78)}\n\n${copyright}`);
  }
  fs.writeFileSync(path.join(dir, 'THIRD_PARTY_LICENSES.txt'), `The shared libraries beside blasprop.node, copied from Debian 12, and their copyright files.\n\n${notices.join('\n')}`);
}

/**
 * Fails unless the carried libraries are what the binary and they need beyond ALLOWED_NEEDED,
 * the binary's DT_RPATH is $ORIGIN, and ldd resolves each of them to the copy beside the binary.
 */
function checkCarried(file, needed, rpath) {
  const dir = path.dirname(file);
  if (rpath !== '$ORIGIN') die(`${file} has DT_RPATH ${rpath ?? 'none'}; it must be $ORIGIN to find ${CARRIED.join(', ')} beside it`);
  for (const name of CARRIED) {
    const own = dynamic(path.join(dir, name));
    if (own.runpath !== null) die(`${name} has a DT_RUNPATH (${own.runpath}): its dependencies would not be searched with the binary's DT_RPATH`);
    const extra = own.needed.filter((n) => !ALLOWED_NEEDED.test(n) && !CARRIED.includes(n) && !CARRIED_MAY_NEED.includes(n));
    if (extra.length) die(`${name} needs ${extra.join(', ')}, which the prebuild does not carry`);
  }
  const resolved = new Map([...tool('ldd', [file]).matchAll(/^\s*(\S+) => (.+?) \(/gm)].map((m) => [m[1], m[2]]));
  for (const name of CARRIED) {
    if (resolved.get(name) !== path.join(dir, name)) die(`ldd ${file} resolves ${name} to ${resolved.get(name) ?? 'nothing'}, not to the copy beside it`);
  }
  const unused = CARRIED.filter((n) => !needed.includes(n) && !CARRIED.some((c) => dynamic(path.join(dir, c)).needed.includes(n)));
  if (unused.length) die(`${unused.join(', ')} carried but needed by nothing`);
}

/** Fails unless the Linux binary is self-contained; returns its NEEDED entries. */
function checkLinux(file) {
  const { needed, rpath } = dynamic(file);
  const extra = needed.filter((n) => !ALLOWED_NEEDED.test(n) && !(withOnednn && CARRIED.includes(n)));
  if (extra.length) die(`${file} needs ${extra.join(', ')} at run time; the prebuild must only need libc/libm/libgcc_s${withOnednn ? ` and the libraries it carries (${CARRIED.join(', ')})` : ''}`);
  if (withOnednn) checkCarried(file, needed, rpath);
  else if (rpath !== null) die(`${file} has DT_RPATH ${rpath} but carries no libraries`);
  const exported = tool('nm', ['-D', '--defined-only', file])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[2])
    .filter(Boolean);
  const leaked = exported.filter((s) => /^(cblas_|openblas_|goto|blas_|[sdcz](gemm|gemv|ger|scal|nrm2|axpy|dot)_?$)/.test(s));
  if (leaked.length) die(`${file} exports BLAS symbols (${leaked.slice(0, 5).join(', ')}…); they could clash with another BLAS`);
  if (!exported.includes('napi_register_module_v1')) die(`${file} does not export napi_register_module_v1`);
  const shipped = [file, ...(withOnednn ? CARRIED.map((n) => path.join(path.dirname(file), n)) : [])];
  return { needed, exported: exported.length, glibc: versionFloor(shipped, 'GLIBC_'), glibcxx: versionFloor(shipped, 'GLIBCXX_') };
}

function prebuild() {
  const prebuildify = require(require.resolve('prebuildify', { paths: [root] }));
  const platformDir = path.join(root, 'prebuilds', `${process.platform}-${targetArch}`);
  fs.rmSync(platformDir, { recursive: true, force: true });
  const dir = stage();
  // prebuildify passes its environment on to node-gyp (and node-gyp to gyp and make).
  Object.assign(process.env, nodeGypEnv({ ...process.env, BLASPROP_OPENBLAS_STATIC: '1' }));
  // binding.gyp builds oneDNN in where its headers are (and BLASPROP_ONEDNN is not 0); only the x64
  // prebuild carries it, whatever the caller's BLASPROP_ONEDNN says.
  process.env.BLASPROP_ONEDNN = withOnednn ? '1' : '0';
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
      if (withOnednn) carry(file);
      const facts = process.platform === 'linux' ? checkLinux(file) : {};
      const size = (fs.readdirSync(platformDir).reduce((sum, f) => sum + fs.statSync(path.join(platformDir, f)).size, 0) / 1024 / 1024).toFixed(1);
      let config = `cross-built for ${targetArch}, not loaded here`;
      if (!cross) {
        const loaded = tryLoad(file);
        if (!loaded.ok) die(`the prebuild does not load: ${loaded.reason}`);
        if (withOnednn && loaded.blas.onednn === null) die('the prebuild loads without oneDNN (BLASPROP_HAVE_ONEDNN=0): are the libdnnl-dev headers installed?');
        config = `${loaded.blas.config}${loaded.blas.onednn ? `, oneDNN ${loaded.blas.onednn.version} (${loaded.blas.onednn.isa})` : ''}`;
      }
      process.stdout.write(
        `prebuild: ${path.relative(root, platformDir)}/: ${fs.readdirSync(platformDir).join(' ')}, ${size} MB, ${config}` +
          (facts.needed ? `; ${files[0]} needs ${facts.needed.join(' ')}; glibc >= ${facts.glibc}${facts.glibcxx ? `, libstdc++ GLIBCXX >= ${facts.glibcxx}` : ''}; ${facts.exported} exported symbols` : '') +
          '\n',
      );
    },
  );
}

if (process.argv.includes('--source')) sourceBuild();
else prebuild();
