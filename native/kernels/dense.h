// dense.h — one fully connected layer, forward and backward side by side (the lecture's equations).
// The matrix products go through the product engines (products/products.h); the bias is here.
// Shapes: A_prev [B × in], W [out × in] row-major, b [out], Z/A [B × out], delta [B × out].
#pragma once
#include "../products/products.h"
#include "step_phases.h"

namespace blasprop {

// Z = A_prev Wᵀ (z^l = W^l a^(l-1) for every row; the bias is added by the fused activation pass).
template <typename T>
void dense_forward(Products& p, int l, const T* A_prev, const T* W, T* Z, int B, int in, int out) {
  products_forward(p, l, A_prev, W, Z, B, in, out);
}

// dW += alpha · deltaᵀ A_prev  (∂L/∂W^l = δ^l (a^(l-1))ᵀ summed over the batch),
// db += alpha · column sums of delta (∂L/∂b^l = δ^l). Not split over threads: two threads updating
// neighbouring columns share the cache line at their boundary once per row (129 µs instead of 55 at
// batch 512, bench/engines.ts).
// With alpha = 1 this accumulates the gradient; with dW = W, db = b and alpha = −η it is the plain SGD update fused in.
template <typename T>
void dense_backward_params(Products& p, int l, const T* delta, const T* A_prev, T* dW, T* db, int B, int in, int out, T alpha) {
  products_weight_gradient(p, l, delta, A_prev, dW, B, in, out, alpha);
  const ScopedStepPhase phase(StepPhase::BiasGradient);
  for (int i = 0; i < B; ++i) {
    const T* d = delta + static_cast<size_t>(i) * out;
    for (int j = 0; j < out; ++j) db[j] += alpha * d[j];
  }
}

// dA_prev = delta W  (the first half of δ^(l-1) = (W^l)ᵀ δ^l ⊙ g'(z^(l-1)); the caller applies g').
template <typename T>
void dense_backward_input(Products& p, int l, const T* delta, const T* W, T* dA_prev, int B, int in, int out) {
  products_input_gradient(p, l, delta, W, dA_prev, B, in, out);
}

}  // namespace blasprop
