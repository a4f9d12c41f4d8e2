#!/usr/bin/env node
// `npm run build:wasm`: the WebAssembly engine, dist/blasprop.wasm. The kernels of native/kernels/
// and the entry points of native/wasm/engine.cc, with native/wasm/cblas.cc standing in for
// OpenBLAS, compiled by Debian's clang for wasm32-wasi with SIMD128 against wasi-libc and libc++
// (packages clang, lld, wasi-libc, libc++-dev-wasm32, libc++abi-14-dev-wasm32,
// libclang-rt-dev-wasm32). A reactor module (no main) without exceptions that imports nothing:
// the C++ library's abort paths become traps. The memory grows on demand up to 4 GiB.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'blasprop.wasm');
const args = [
  '--target=wasm32-wasi', '-O3', '-msimd128', '-std=c++17', '-fno-exceptions', '-Wall', '-Wextra', '-Werror',
  `-I${path.join(root, 'native', 'wasm')}`, '-mexec-model=reactor',
  path.join(root, 'native', 'wasm', 'engine.cc'), path.join(root, 'native', 'wasm', 'cblas.cc'),
  '-Wl,--max-memory=4294967296', '-Wl,--strip-all', '-o', out,
];

fs.mkdirSync(path.dirname(out), { recursive: true });
try {
  execFileSync(process.env.BLASPROP_WASM_CXX || 'clang++', args, { stdio: 'inherit' });
} catch (e) {
  process.stderr.write(`build:wasm: ${e.message.split('\n')[0]}; needs Debian's clang, lld, wasi-libc, libc++-dev-wasm32, libc++abi-14-dev-wasm32 and libclang-rt-dev-wasm32\n`);
  process.exit(1);
}
const compiled = new WebAssembly.Module(fs.readFileSync(out));
const imports = WebAssembly.Module.imports(compiled);
if (imports.length > 0) {
  process.stderr.write(`build:wasm: ${path.relative(root, out)} imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}; it must import nothing\n`);
  process.exit(1);
}
process.stdout.write(`build:wasm: ${path.relative(root, out)}, ${(fs.statSync(out).size / 1024).toFixed(0)} KiB, no imports\n`);
