// openblas.h — the OpenBLAS product engine: the three products of a dense layer through CBLAS
// (kernels/blas.h), gemm for batches and gemv/ger for a single row. It serves float64, batch 1 and
// every build without oneDNN. Shapes: A_prev [B × in], W [out × in] row-major, Z and delta [B × out].
#pragma once
#include "../kernels/blas.h"

namespace blasprop {

// Z = A_prev Wᵀ  (z^l = W^l a^(l-1) for every row).
template <typename T>
void openblas_forward(const T* A_prev, const T* W, T* Z, int B, int in, int out) {
  if (B == 1) {
    gemv(CblasNoTrans, out, in, T(1), W, in, A_prev, T(0), Z);
  } else {
    gemm(CblasNoTrans, CblasTrans, B, out, in, T(1), A_prev, in, W, in, T(0), Z, out);
  }
}

// dW += alpha · deltaᵀ A_prev  (∂L/∂W^l = δ^l (a^(l-1))ᵀ summed over the batch; ger for B = 1).
template <typename T>
void openblas_weight_gradient(const T* delta, const T* A_prev, T* dW, int B, int in, int out, T alpha) {
  if (B == 1) {
    ger(out, in, alpha, delta, A_prev, dW, in);
  } else {
    gemm(CblasTrans, CblasNoTrans, out, in, B, alpha, delta, out, A_prev, in, T(1), dW, in);
  }
}

// dA_prev = delta W  ((W^l)ᵀ δ^l for every row).
template <typename T>
void openblas_input_gradient(const T* delta, const T* W, T* dA_prev, int B, int in, int out) {
  if (B == 1) {
    gemv(CblasTrans, out, in, T(1), W, in, delta, T(0), dA_prev);
  } else {
    gemm(CblasNoTrans, CblasNoTrans, B, in, out, T(1), delta, out, W, in, T(0), dA_prev, in);
  }
}

}  // namespace blasprop
