// Choosing the engine behind a native network's matrix products: OpenBLAS or oneDNN, with float32
// or bfloat16 inputs. The native side (native/products/products.h) runs what is chosen here.
//
// The rule of `blas: 'auto'`, measured on an Intel Xeon (Emerald Rapids, AVX-512 + AMX, 2 cores)
// with OpenBLAS 0.3.21 and oneDNN 2.6.3 (npm run bench:auto-rule, bench:engines, bench:engines-alone;
// numbers in notes/auto-rule.md and notes/engines-quiet-t2-settled.md):
// - float64: OpenBLAS. oneDNN has no float64 matmul on CPUs.
// - float32: oneDNN when it dispatches to AVX-512 (avx512_core or better) and the network has at
//   least AUTO_ONEDNN_MIN_WEIGHTS weights; else OpenBLAS.
//   - Against OpenBLAS's AVX-512 kernels (SkylakeX, which lib/backends/openblas-coretype.ts selects
//     on every AVX-512 CPU), fits on 2 threads ran 1.07–1.37× faster on oneDNN (one engine per
//     process: 1.10–1.18×); against its AVX2 kernels (core Haswell) the step's products ran
//     1.1–1.8× faster.
//   - Small networks lose to oneDNN's cost per product call: 736 and 4,736 weights fitted at
//     0.35–0.47× OpenBLAS, 12,704–34,048 at 0.72–0.99×, 50,816 (784-64-10) at 1.05×.
//   - On AVX2-only CPUs oneDNN has no wider kernels and OpenBLAS stays.
// - mixedPrecision 'bfloat16': oneDNN, which needs bf16 kernels (avx512_core_bf16, e.g. Zen 4/5, or
//   avx512_core_amx, Sapphire Rapids and later); elsewhere BackendError.
import { BLAS_CHOICES, layerSizes, type Architecture, type BlasChoice } from './architecture';
import { loadNative, type BlasInfo } from './backends/native';
import type { Engine } from './engine';
import { BackendError, ConfigError } from './errors';
import { environmentChoice } from './options';

/** The library that runs a network's products. */
export type ProductEngine = 'openblas' | 'onednn';

/** What to install for the oneDNN engine, for error texts. */
const ONEDNN_FIX =
  "this blasprop build has no oneDNN; install it (Debian/Ubuntu: apt-get install libdnnl-dev) and build from source: 'npm explore blasprop -- npm run build:native' (the prebuilt x64 binary carries its own oneDNN)";

/** The addon's BLAS facts, or null on the TypeScript backend. */
function blasInfo(): BlasInfo | null {
  const native = loadNative();
  return 'binding' in native ? native.binding.blasInfo() : null;
}

/** Fewest weights (Σ inputs × units over the layers) for which `blas: 'auto'` runs float32 on oneDNN. */
export const AUTO_ONEDNN_MIN_WEIGHTS = 40_000;

/** The number of weights of an architecture: Σ inputs × units over its layers (biases not counted). */
function weightCount(arch: Architecture): number {
  const sizes = layerSizes(arch);
  return sizes.slice(1).reduce((sum, units, l) => sum + sizes[l]! * units, 0);
}

/**
 * The engine `blas: 'auto'` picks for float32 or float64 products with this BLAS (the rule above),
 * for a network of `weights` weights.
 */
export function autoProductEngine(dtype: Architecture['dtype'], blas: Pick<BlasInfo, 'onednn'>, weights: number): ProductEngine {
  const wider = blas.onednn !== null && blas.onednn.avx512;
  return dtype === 'float32' && wider && weights >= AUTO_ONEDNN_MIN_WEIGHTS ? 'onednn' : 'openblas';
}

/**
 * The product engine for a network on `engine`, after the BLASPROP_BLAS override of 'auto'.
 * Throws ConfigError for a choice that contradicts the network (oneDNN for float64, OpenBLAS for
 * bfloat16) and BackendError when the machine or build cannot run it.
 */
export function resolveProductEngine(choice: BlasChoice, arch: Architecture, engine: Engine): ProductEngine {
  // BLASPROP_BLAS overrides 'auto' only.
  const effective = choice === 'auto' ? (environmentChoice('BLASPROP_BLAS', BLAS_CHOICES) ?? 'auto') : choice;
  const bf16 = arch.mixedPrecision === 'bfloat16';
  if (engine.name !== 'native') {
    const name = engine.name === 'wasm' ? 'WebAssembly' : 'TypeScript';
    if (bf16) throw new BackendError(`mixedPrecision 'bfloat16' needs the native backend with oneDNN; the ${name} backend computes in float32/float64 only`);
    if (choice === 'onednn') throw new BackendError(`blas 'onednn' needs the native backend; the ${name} backend has its own products`);
    return 'openblas';
  }
  if (effective === 'onednn' && arch.dtype === 'float64') throw new ConfigError("blas 'onednn' runs float32 networks only (oneDNN has no float64 matmul on CPUs)");
  if (bf16 && effective === 'openblas') throw new ConfigError("mixedPrecision 'bfloat16' runs on oneDNN, not on blas 'openblas'");
  if (effective === 'openblas') return 'openblas';
  const blas = blasInfo();
  if (effective === 'auto' && !bf16 && blas) return autoProductEngine(arch.dtype, blas, weightCount(arch));
  const onednn = blas?.onednn ?? null;
  const what = bf16 ? "mixedPrecision 'bfloat16'" : "blas 'onednn'";
  if (onednn === null) throw new BackendError(`${what} needs oneDNN: ${ONEDNN_FIX}`);
  if (bf16 && !onednn.bf16) {
    throw new BackendError(`mixedPrecision 'bfloat16' needs a CPU with avx512_core_bf16 or avx512_core_amx; oneDNN ${onednn.version} dispatches to ${onednn.isa} here`);
  }
  return 'onednn';
}
