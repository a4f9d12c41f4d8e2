// activations.h — g(z) and g'(z) for the hidden and output layers (the lecture's a^l = g(z^l)).
// g' is computed from a = g(z) alone, so the forward pass can overwrite z with a in place.
#pragma once
#include <cmath>
#include <cstddef>

namespace blasprop {

// Codes shared with lib/codes.ts; keep the numbers in step.
enum class Activation : int { Identity = 0, Sigmoid = 1, Tanh = 2, Relu = 3, LeakyRelu = 4, Softmax = 5 };

// σ(z) without overflow: exp is only ever taken of a non-positive number.
template <typename T>
inline T sigmoid(T z) {
  if (z >= 0) return T(1) / (T(1) + std::exp(-z));
  const T e = std::exp(z);
  return e / (T(1) + e);
}

// Softmax of one row in place, shifted by the row max (log-sum-exp trick). Returns log Σ exp(z).
template <typename T>
inline double softmax_row(T* z, int n) {
  T zmax = z[0];
  for (int j = 1; j < n; ++j) zmax = z[j] > zmax ? z[j] : zmax;
  T sum = 0;
  for (int j = 0; j < n; ++j) {
    z[j] = std::exp(z[j] - zmax);
    sum += z[j];
  }
  const T inv = T(1) / sum;
  for (int j = 0; j < n; ++j) z[j] *= inv;
  return double(zmax) + std::log(double(sum));
}

// One row z[n] in place: z becomes g(z).
template <typename T>
void activation_forward(Activation g, T slope, T* z, int n) {
  switch (g) {
    case Activation::Identity: break;
    case Activation::Sigmoid: for (int j = 0; j < n; ++j) z[j] = sigmoid(z[j]); break;
    case Activation::Tanh: for (int j = 0; j < n; ++j) z[j] = std::tanh(z[j]); break;
    case Activation::Relu: for (int j = 0; j < n; ++j) z[j] = z[j] > 0 ? z[j] : T(0); break;
    case Activation::LeakyRelu: for (int j = 0; j < n; ++j) z[j] = z[j] > 0 ? z[j] : slope * z[j]; break;
    case Activation::Softmax: softmax_row(z, n); break;
  }
}

// Z[rows×cols] holds A_prev Wᵀ; adds b to every row and applies g in place, fused in one pass
// per row while it is in cache: Z becomes A (z^l = W^l a^(l-1) + b^l, a^l = g(z^l)).
template <typename T>
void bias_activation_forward(Activation g, T slope, T* Z, const T* b, int rows, int cols) {
  for (int i = 0; i < rows; ++i) {
    T* z = Z + static_cast<size_t>(i) * cols;
    for (int j = 0; j < cols; ++j) z[j] += b[j];
    activation_forward(g, slope, z, cols);
  }
}

// dA[n] *= g'(z), with g' written in terms of A = g(z) (softmax is never a hidden layer).
// Leaky ReLU relies on slope ≥ 0, so sign(a) = sign(z).
template <typename T>
void activation_backward(Activation g, T slope, const T* A, T* dA, size_t n) {
  switch (g) {
    case Activation::Identity: case Activation::Softmax: break;
    case Activation::Sigmoid: for (size_t k = 0; k < n; ++k) dA[k] *= A[k] * (T(1) - A[k]); break;
    case Activation::Tanh: for (size_t k = 0; k < n; ++k) dA[k] *= T(1) - A[k] * A[k]; break;
    case Activation::Relu: for (size_t k = 0; k < n; ++k) dA[k] = A[k] > 0 ? dA[k] : T(0); break;
    case Activation::LeakyRelu: for (size_t k = 0; k < n; ++k) dA[k] = A[k] > 0 ? dA[k] : slope * dA[k]; break;
  }
}

}  // namespace blasprop
