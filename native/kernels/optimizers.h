// optimizers.h — parameter updates from a gradient buffer, one flat loop per parameter segment.
#pragma once
#include <cmath>
#include <cstddef>
#include "blas.h"

namespace blasprop {

// Codes shared with lib/codes.ts; keep the numbers in step.
enum class OptimizerType : int { Sgd = 0, Adam = 1 };

struct OptimizerConfig {
  OptimizerType type = OptimizerType::Sgd;
  double learning_rate = 0.01;
  double momentum = 0;      // SGD: 0 is plain SGD
  bool nesterov = false;    // SGD: Nesterov momentum (Sutskever et al. 2013), PyTorch's formulation
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // Adam (Kingma & Ba 2015)
  double weight_decay = 0;  // L2 penalty ½λ‖W‖² on weights (not biases), added to the gradient
  double max_norm = 0;      // > 0: each unit's incoming weight vector is rescaled to at most this norm (Srivastava et al. 2014)
  double clip_norm = 0;     // > 0: the whole gradient is rescaled to at most this global L2 norm (Pascanu et al. 2013)
};

// Plain SGD without momentum, clipping or diagnostics needs no gradient buffer: the update is fused
// into the backward gemm/ger (alpha = −η, beta = 1).
inline bool optimizer_is_fusable(const OptimizerConfig& c) {
  return c.type == OptimizerType::Sgd && c.momentum == 0 && c.clip_norm == 0;
}

// p[n] -= step(g + decay · p). m and v are the optimizer's state for this segment (same layout as p);
// t is the 1-based step count, for Adam's bias correction.
template <typename T>
void optimizer_update(const OptimizerConfig& c, T* p, const T* g, T* m, T* v, size_t n, double decay, double t) {
  const T lr = T(c.learning_rate), wd = T(decay);
  if (c.type == OptimizerType::Sgd) {
    const T mu = T(c.momentum);
    if (c.momentum == 0) {
      for (size_t k = 0; k < n; ++k) p[k] -= lr * (g[k] + wd * p[k]);
    } else {
      // v ← μ v + g; the step is v, or g + μ v with Nesterov.
      for (size_t k = 0; k < n; ++k) {
        const T gk = g[k] + wd * p[k];
        m[k] = mu * m[k] + gk;
        p[k] -= lr * (c.nesterov ? gk + mu * m[k] : m[k]);
      }
    }
    return;
  }
  // Adam: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², p ← p − η m̂ / (√v̂ + ε).
  const T b1 = T(c.beta1), b2 = T(c.beta2), eps = T(c.epsilon);
  const T m_correction = T(1.0 / (1.0 - std::pow(c.beta1, t)));
  const T v_correction = T(1.0 / (1.0 - std::pow(c.beta2, t)));
  for (size_t k = 0; k < n; ++k) {
    const T gk = g[k] + wd * p[k];
    m[k] = b1 * m[k] + (T(1) - b1) * gk;
    v[k] = b2 * v[k] + (T(1) - b2) * gk * gk;
    p[k] -= lr * (m[k] * m_correction) / (std::sqrt(v[k] * v_correction) + eps);
  }
}

// Rescales each row of W[out × in] whose L2 norm exceeds max_norm down to max_norm.
template <typename T>
void max_norm_constrain(T* W, int out, int in, double max_norm) {
  for (int r = 0; r < out; ++r) {
    T* row = W + static_cast<size_t>(r) * in;
    const double norm = nrm2(in, row);
    if (norm > max_norm) scal(in, T(max_norm / norm), row);
  }
}

}  // namespace blasprop
