// node bench/wasm-gemm/run.js: builds gemm_bench.cc twice for wasm32 SIMD128 (with native/wasm/cblas.cc
// and with Eigen) and prints the median time of the gemm calls of one 784-256-128-10 training step
// at batch 128 (float32), as samples/s, side by side. Needs clang for wasm32-wasi and libeigen3-dev.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const here = __dirname;
const root = path.resolve(here, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-gemm-'));
const variants = {
  'native/wasm/cblas.cc (SIMD128 tiles)': [path.join(root, 'native', 'wasm', 'cblas.cc')],
  // Eigen's gemm blocks live on the stack (up to 128 KiB); wasm-ld's default stack is 64 KiB.
  'Eigen 3.4': [path.join(here, 'eigen_cblas.cc'), '-I/usr/include/eigen3', '-Wl,-z,stack-size=1048576'],
};
const results = [];
for (const [name, extra] of Object.entries(variants)) {
  const out = path.join(dir, `${results.length}.wasm`);
  execFileSync('clang++', ['--target=wasm32-wasi', '-O3', '-msimd128', '-std=c++17', '-fno-exceptions', `-I${path.join(root, 'native', 'wasm')}`,
    '-mexec-model=reactor', path.join(here, 'gemm_bench.cc'), ...extra, '-Wl,--max-memory=4294967296', '-o', out], { stdio: 'inherit' });
  console.error(`timing ${name}`);
  const module = new WebAssembly.Module(fs.readFileSync(out));
  // Eigen's build pulls in a few WASI calls (never made here): stubs that fail.
  const imports = {};
  for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 52;
  const instance = new WebAssembly.Instance(module, imports);
  instance.exports._initialize();
  instance.exports.step(3);
  const times = [];
  for (let r = 0; r < 9; r++) {
    const t = performance.now();
    instance.exports.step(5);
    times.push((performance.now() - t) / 5);
  }
  times.sort((a, b) => a - b);
  results.push({ name, msPerStep: times[4], samplesPerSecond: Math.round(128 / (times[4] / 1000)) });
}
fs.rmSync(dir, { recursive: true, force: true });
for (const r of results) console.log(`${r.name}: ${r.msPerStep.toFixed(2)} ms per step of gemms, ${r.samplesPerSecond} samples/s`);
