// dense.h — one fully connected layer, forward and backward side by side (the seed's equations).
// Shapes: A_prev [B × in], W [out × in] row-major, b [out], Z/A [B × out], delta [B × out].
#pragma once
#include <cstring>
#include "blas.h"

namespace blasprop {

// Z = A_prev Wᵀ (z^l = W^l a^(l-1) for every row; the bias is added by the fused activation pass).
template <typename T>
void dense_forward(const T* A_prev, const T* W, T* Z, int B, int in, int out) {
  if (B == 1) {
    gemv(CblasNoTrans, out, in, T(1), W, in, A_prev, T(0), Z);
  } else {
    gemm(CblasNoTrans, CblasTrans, B, out, in, T(1), A_prev, in, W, in, T(0), Z, out);
  }
}

// dW += alpha · deltaᵀ A_prev  (∂L/∂W^l = δ^l (a^(l-1))ᵀ summed over the batch; an outer product by ger for B = 1),
// db += alpha · column sums of delta (∂L/∂b^l = δ^l).
// With alpha = 1 this accumulates the gradient; with dW = W, db = b and alpha = −η it is the plain SGD update fused in.
template <typename T>
void dense_backward_params(const T* delta, const T* A_prev, T* dW, T* db, int B, int in, int out, T alpha) {
  if (B == 1) {
    ger(out, in, alpha, delta, A_prev, dW, in);
  } else {
    gemm(CblasTrans, CblasNoTrans, out, in, B, alpha, delta, out, A_prev, in, T(1), dW, in);
  }
  for (int i = 0; i < B; ++i) {
    const T* d = delta + static_cast<size_t>(i) * out;
    for (int j = 0; j < out; ++j) db[j] += alpha * d[j];
  }
}

// dA_prev = delta W  (the first half of δ^(l-1) = (W^l)ᵀ δ^l ⊙ g'(z^(l-1)); the caller applies g').
template <typename T>
void dense_backward_input(const T* delta, const T* W, T* dA_prev, int B, int in, int out) {
  if (B == 1) {
    gemv(CblasTrans, out, in, T(1), W, in, delta, T(0), dA_prev);
  } else {
    gemm(CblasNoTrans, CblasNoTrans, B, in, out, T(1), delta, out, W, in, T(0), dA_prev, in);
  }
}

}  // namespace blasprop
