// diagnostics.h — per-layer numbers that show vanishing and exploding gradients (the lecture's
// "unstable gradients"), read from buffers one training step already filled.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include "blas.h"
#include "network.h"

namespace blasprop {

// Doubles written per layer, in this order. lib/fit-run.ts (readDiagnostics) reads the same layout; lib/codes.ts has the count.
constexpr int kDiagnosticsPerLayer = 5;
// [0] ‖∂L/∂W^l‖₂  [1] ‖∂L/∂b^l‖₂  [2] mean of a^l  [3] std of a^l
// [4] fraction of units with a ≤ 0 on every row of the batch (ReLU and leaky ReLU layers; NaN otherwise)

template <typename T>
void network_diagnostics(const Network<T>& net, int B, double* out) {
  for (int l = 1; l <= net.L; ++l) {
    const int in = net.sizes[l - 1], units = net.sizes[l];
    double* d = out + (l - 1) * kDiagnosticsPerLayer;
    d[0] = nrm2(units * in, net.grads + net.W_off[l]);
    d[1] = nrm2(units, net.grads + net.b_off[l]);
    const T* A = net.A[l];
    const size_t n = static_cast<size_t>(B) * units;
    double sum = 0, sum_sq = 0;
    for (size_t k = 0; k < n; ++k) { sum += A[k]; sum_sq += double(A[k]) * A[k]; }
    const double mean = sum / double(n);
    d[2] = mean;
    d[3] = std::sqrt(std::max(0.0, sum_sq / double(n) - mean * mean));
    if (net.g[l] == Activation::Relu || net.g[l] == Activation::LeakyRelu) {
      int dead = 0;
      for (int j = 0; j < units; ++j) {
        bool ever_active = false;
        for (int i = 0; i < B && !ever_active; ++i) ever_active = A[static_cast<size_t>(i) * units + j] > 0;
        dead += !ever_active;
      }
      d[4] = double(dead) / units;
    } else {
      d[4] = std::numeric_limits<double>::quiet_NaN();
    }
  }
}

}  // namespace blasprop
