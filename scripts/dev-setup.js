#!/usr/bin/env node
// Builds what a development checkout needs, when it is missing or older than its sources:
//   native   build/Release/blasprop.node, with cmake-js (CMakeLists.txt finds OpenBLAS and every
//            optional part the machine has)
//   ts       dist/ (tsc), which the CLI tests and the package test use
//   wasm     dist/blasprop.wasm, the WebAssembly engine (clang for wasm32-wasi)
//   prebuild prebuilds/<platform>-<arch>/ (prebuildify), which the package test installs
//   prebuild-arm64  prebuilds/linux-arm64/ (cross-compiled), which test/arm64.test.ts runs under qemu
//   sysroot-arm64   build/arm64-sysroot/: Debian's arm64 Node for that test (apt-get download)
// `npm install` runs it as the `prepare` hook (native, wasm and ts), `npm run demo` before the demo
// (native, --strict), `npm test` before the tests (everything, --strict). Run by hand:
//   node scripts/dev-setup.js [native] [ts] [prebuild] [--strict]
// Without --strict a missing toolchain or OpenBLAS prints the command that installs them and exits
// 0, so `npm install` itself succeeds; with --strict it exits 1. A published package has no lib/
// sources, and this script does nothing there.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const INSTALL_COMMANDS =
  '  Debian/Ubuntu: sudo apt-get install -y libopenblas-dev cmake g++ make python3 pkg-config\n' +
  '  Fedora/RHEL:   sudo dnf install -y openblas-devel cmake gcc-c++ make python3 pkgconf\n' +
  '  macOS:         brew install openblas cmake pkg-config   (and xcode-select --install)\n' +
  'The WebAssembly engine also needs clang for wasm32 (Debian: clang lld wasi-libc libc++-dev-wasm32 libc++abi-14-dev-wasm32\n' +
  'libclang-rt-dev-wasm32); the arm64 prebuild and its test need Debian\'s arm64 packages (see .ci/run).';

/** Newest modification time of the files below `entries` (files or folders), or 0. */
function newest(entries, filter = () => true) {
  let time = 0;
  const visit = (p) => {
    if (!fs.existsSync(p)) return;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else if (filter(p)) time = Math.max(time, stat.mtimeMs);
  };
  entries.forEach((e) => visit(path.join(root, e)));
  return time;
}

// native/wasm is the WebAssembly engine's, not the addon's.
const NATIVE_SOURCES = ['native/kernels', 'native/napi', 'native/test', 'CMakeLists.txt'];
const TARGETS = {
  native: { output: ['build/Release/blasprop.node'], sources: NATIVE_SOURCES, script: 'build:native', what: 'the native addon (cmake-js)' },
  ts: { output: ['dist/cjs/index.js', 'dist/esm/index.mjs'], sources: ['lib', 'tsconfig.json', 'tsconfig.build.json', 'scripts/write-esm-entry.mjs'], script: 'build:ts', what: 'dist/ (tsc)' },
  wasm: { output: ['dist/blasprop.wasm'], sources: ['native/kernels', 'native/wasm', 'scripts/build-wasm.js'], script: 'build:wasm', what: 'the WebAssembly engine (clang, wasm32)' },
  prebuild: { output: [`prebuilds/${process.platform}-${process.arch}`], sources: [...NATIVE_SOURCES, 'binding.gyp', 'scripts/prebuild.js'], script: 'build:prebuild', what: 'the prebuilt binary (prebuildify)' },
  'prebuild-arm64': { output: ['prebuilds/linux-arm64'], sources: [...NATIVE_SOURCES, 'binding.gyp', 'scripts/prebuild.js'], script: 'build:prebuild:arm64', what: 'the linux-arm64 prebuild (cross-compiled)' },
  // Its stamp: dpkg -x keeps the packages' own (old) modification times.
  'sysroot-arm64': { output: ['build/arm64-sysroot/packages.txt'], sources: ['scripts/arm64-sysroot.js'], script: 'sysroot:arm64', what: "Debian's arm64 Node for the qemu test" },
};

/** True when the target's outputs exist and are newer than all of its sources. */
function upToDate(target) {
  const outputs = target.output.map((o) => path.join(root, o));
  if (!outputs.every((o) => fs.existsSync(o))) return false;
  const built = Math.min(...target.output.map((o) => newest([o], (p) => !p.endsWith('.map'))));
  return built > 0 && built >= newest(target.sources);
}

/** What is missing to build the native addon, or null. */
function missingToolchain() {
  const missing = ['cmake', 'c++', 'make'].filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
  const blas = spawnSync(process.execPath, [path.join(__dirname, 'find-openblas.js'), '--check'], { encoding: 'utf8' });
  if (blas.status !== 0) missing.push('OpenBLAS');
  return missing.length ? missing.join(', ') : null;
}

function npmRun(script) {
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', script]] : ['npm', ['run', script]];
  return spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status === 0;
}

function main() {
  const args = process.argv.slice(2);
  const strict = args.includes('--strict');
  const names = args.filter((a) => !a.startsWith('--'));
  const wanted = names.length ? names : ['native', 'ts'];
  for (const name of wanted) if (!TARGETS[name]) throw new Error(`dev-setup: unknown target '${name}' (known: ${Object.keys(TARGETS).join(', ')})`);
  if (!fs.existsSync(path.join(root, 'lib', 'index.ts'))) return 0;

  for (const name of wanted) {
    const target = TARGETS[name];
    if (upToDate(target)) continue;
    if (name !== 'ts') {
      const missing = missingToolchain();
      if (missing) {
        process.stderr.write(`blasprop: cannot build ${target.what}: ${missing} not found. Install the build tools and OpenBLAS:\n${INSTALL_COMMANDS}\nthen run this command again.\n`);
        if (strict) return 1;
        continue;
      }
    }
    process.stderr.write(`blasprop: building ${target.what}…\n`);
    if (!npmRun(target.script)) {
      process.stderr.write(`blasprop: building ${target.what} failed (npm run ${target.script}); see the output above.\n`);
      if (strict) return 1;
    }
  }
  return 0;
}

process.exitCode = main();
