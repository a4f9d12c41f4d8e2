// Choosing the engine behind a native network's matrix products: OpenBLAS or oneDNN, with float32
// or bfloat16 inputs. The native side (native/products/products.h) runs what is chosen here.
//
// The rule of `blas: 'auto'`, from bench/onednn/products.cpp and bench/run.ts (notes/issue-onednn.md):
// - float64: OpenBLAS. oneDNN has no float64 matmul on CPUs.
// - float32: oneDNN when it dispatches to AVX-512 (avx512_core or better), else OpenBLAS. Measured on
//   an Intel Xeon (Emerald Rapids, AVX-512 + AMX): oneDNN's matmul ran the step's products 1.3–1.4×
//   faster than OpenBLAS 0.3.21's SkylakeX kernels and 4–6× faster than the Prescott kernels that
//   0.3.21 falls back to on this CPU by default. On a Zen 5 (AVX-512, no AMX) OpenBLAS 0.3.21 runs
//   its Zen kernels, which are AVX2: half oneDNN's vector width there, so the same rule holds. On
//   AVX2-only CPUs nothing was measured and OpenBLAS stays.
// - mixedPrecision 'bfloat16': oneDNN, which needs bf16 kernels (avx512_core_bf16, e.g. Zen 4/5, or
//   avx512_core_amx, Sapphire Rapids and later); elsewhere BackendError.
import type { Architecture, BlasChoice } from './architecture';
import { loadNative, type OnednnInfo } from './backends/native';
import type { Engine } from './engine';
import { BackendError, ConfigError } from './errors';
import { environmentChoice } from './options';

/** The library that runs a network's products. */
export type ProductEngine = 'openblas' | 'onednn';

/** What to install for the oneDNN engine, for error texts. */
const ONEDNN_FIX =
  "this blasprop build has no oneDNN; install it (Debian/Ubuntu: apt-get install libdnnl-dev) and rebuild with 'npm rebuild blasprop'";

/** oneDNN's facts in the loaded addon, or null (TypeScript backend, or a build without oneDNN). */
export function onednnInfo(): OnednnInfo | null {
  const native = loadNative();
  return 'binding' in native ? native.binding.blasInfo().onednn : null;
}

/** The engine `blas: 'auto'` picks for float32 or float64 products on this CPU (the rule above). */
export function autoProductEngine(dtype: Architecture['dtype'], onednn: OnednnInfo | null): ProductEngine {
  return dtype === 'float32' && onednn !== null && onednn.avx512 ? 'onednn' : 'openblas';
}

/**
 * The product engine for a network on `engine`, after the BLASPROP_BLAS override of 'auto'.
 * Throws ConfigError for a choice that contradicts the network (oneDNN for float64, OpenBLAS for
 * bfloat16) and BackendError when the machine or build cannot run it.
 */
export function resolveProductEngine(choice: BlasChoice, arch: Architecture, engine: Engine): ProductEngine {
  // BLASPROP_BLAS overrides 'auto' only.
  const effective = choice === 'auto' ? (environmentChoice<BlasChoice>('BLASPROP_BLAS', ['auto', 'openblas', 'onednn']) ?? 'auto') : choice;
  const bf16 = arch.mixedPrecision === 'bfloat16';
  if (engine.name === 'js') {
    if (bf16) throw new BackendError("mixedPrecision 'bfloat16' needs the native backend with oneDNN; the TypeScript backend computes in float32/float64 only");
    if (choice === 'onednn') throw new BackendError("blas 'onednn' needs the native backend; the TypeScript backend has its own products");
    return 'openblas';
  }
  if (effective === 'onednn' && arch.dtype === 'float64') throw new ConfigError("blas 'onednn' runs float32 networks only (oneDNN has no float64 matmul on CPUs)");
  if (bf16 && effective === 'openblas') throw new ConfigError("mixedPrecision 'bfloat16' runs on oneDNN, not on blas 'openblas'");
  if (effective === 'openblas') return 'openblas';
  const onednn = onednnInfo();
  if (effective === 'auto' && !bf16) return autoProductEngine(arch.dtype, onednn);
  const what = bf16 ? "mixedPrecision 'bfloat16'" : "blas 'onednn'";
  if (onednn === null) throw new BackendError(`${what} needs oneDNN: ${ONEDNN_FIX}`);
  if (bf16 && !onednn.bf16) {
    throw new BackendError(`mixedPrecision 'bfloat16' needs a CPU with avx512_core_bf16 or avx512_core_amx; oneDNN ${onednn.version} dispatches to ${onednn.isa} here`);
  }
  return 'onednn';
}
