// products.h — the one seam between the passes and the matrix-product engines. A network holds a
// Products value; the passes call products_forward / products_weight_gradient /
// products_input_gradient and never a library. Which engine runs a product:
//   float64, or a single float32 row in float32 mode    → OpenBLAS (openblas.h; oneDNN has no f64 matmul on CPU)
//   float32 with the oneDNN engine selected              → oneDNN matmul (onednn.h), f32 or bf16 inputs
//   everything else, and every build without oneDNN     → OpenBLAS
// Shapes: A_prev [B × in], W [out × in] row-major, Z and delta [B × out], for layer l (1-based).
#pragma once
#include <memory>
#include <type_traits>
#include <vector>

#include "../kernels/step_phases.h"
#include "openblas.h"
#if BLASPROP_HAVE_ONEDNN
#include "onednn.h"
#endif

namespace blasprop {

// The engine a float32 network's products run on.
enum class ProductEngine : int { OpenBLAS = 0, OneDNN = 1 };

struct Products {
  ProductEngine engine = ProductEngine::OpenBLAS;
  bool bf16 = false;  // whether the pass now running rounds the products' inputs to bfloat16
#if BLASPROP_HAVE_ONEDNN
  std::unique_ptr<OnednnProducts> onednn;
#endif
};

#if BLASPROP_HAVE_ONEDNN
// The oneDNN engine for a product over B rows of T, or null when OpenBLAS runs it.
template <typename T>
OnednnProducts* products_onednn(Products& p, int B) {
  if (!std::is_same<T, float>::value || !p.onednn) return nullptr;
  return B > 1 || p.bf16 ? p.onednn.get() : nullptr;
}
#endif

// Makes the engine ready for passes over B rows: primitives and workspaces, outside the step loop.
// Throws (dnnl::error) when the engine cannot run them.
inline void products_prepare(Products& p, int B) {
#if BLASPROP_HAVE_ONEDNN
  if (p.onednn && (B > 1 || p.bf16)) p.onednn->prepare(B, p.bf16);
#else
  (void)p, (void)B;
#endif
}

// Readies the engine's buffers on the calling thread for a pass (onednn.h's per-thread arena):
// called at the start of every pass, on the thread that runs it. Allocates only when the arena grows.
inline void products_reserve(Products& p) {
#if BLASPROP_HAVE_ONEDNN
  if (p.onednn) p.onednn->reserve();
#else
  (void)p;
#endif
}

// Frees the engine's primitives and buffers (a disposed network).
inline void products_release(Products& p) {
#if BLASPROP_HAVE_ONEDNN
  p.onednn.reset();
#else
  (void)p;
#endif
}

// Z = A_prev Wᵀ  (z^l = W^l a^(l-1) for every row).
template <typename T>
void products_forward(Products& p, int l, const T* A_prev, const T* W, T* Z, int B, int in, int out) {
  const ScopedStepPhase phase(StepPhase::Products);
#if BLASPROP_HAVE_ONEDNN
  if constexpr (std::is_same<T, float>::value)
    if (OnednnProducts* d = products_onednn<T>(p, B)) return d->forward(l, A_prev, W, Z, B, p.bf16);
#endif
  (void)p, (void)l;
  openblas_forward(A_prev, W, Z, B, in, out);
}

// dW += alpha · deltaᵀ A_prev  (∂L/∂W^l = δ^l (a^(l-1))ᵀ summed over the batch).
template <typename T>
void products_weight_gradient(Products& p, int l, const T* delta, const T* A_prev, T* dW, int B, int in, int out, T alpha) {
  const ScopedStepPhase phase(StepPhase::Products);
#if BLASPROP_HAVE_ONEDNN
  if constexpr (std::is_same<T, float>::value)
    if (OnednnProducts* d = products_onednn<T>(p, B)) return d->weight_gradient(l, delta, A_prev, dW, B, alpha, p.bf16);
#endif
  (void)p, (void)l;
  openblas_weight_gradient(delta, A_prev, dW, B, in, out, alpha);
}

// dA_prev = delta W  ((W^l)ᵀ δ^l for every row).
template <typename T>
void products_input_gradient(Products& p, int l, const T* delta, const T* W, T* dA_prev, int B, int in, int out) {
  const ScopedStepPhase phase(StepPhase::Products);
#if BLASPROP_HAVE_ONEDNN
  if constexpr (std::is_same<T, float>::value)
    if (OnednnProducts* d = products_onednn<T>(p, B)) return d->input_gradient(l, delta, W, dA_prev, B, p.bf16);
#endif
  (void)p, (void)l;
  openblas_input_gradient(delta, W, dA_prev, B, in, out);
}

}  // namespace blasprop
