// optimizers.h — parameter updates from a gradient buffer, one flat loop per parameter segment.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include "blas.h"

namespace blasprop {

// Codes shared with lib/codes.ts (OPTIMIZER_CODES); keep the numbers in step.
enum class OptimizerType : int { Sgd = 0, Adam = 1, AdamW = 2, RMSprop = 3, Adagrad = 4 };

// The update rules and defaults follow PyTorch's torch.optim (the façade fills in the defaults).
struct OptimizerConfig {
  OptimizerType type = OptimizerType::Sgd;
  double learning_rate = 0.01;
  double momentum = 0;      // SGD: 0 is plain SGD; RMSprop: momentum of the scaled step
  bool nesterov = false;    // SGD: Nesterov momentum (Sutskever et al. 2013), PyTorch's formulation
  double beta1 = 0.9, beta2 = 0.999;  // Adam (Kingma & Ba 2015), AdamW (Loshchilov & Hutter 2019)
  double epsilon = 1e-8;    // Adam, AdamW, RMSprop, Adagrad: added to the root in the denominator
  double alpha = 0.99;      // RMSprop (Hinton 2012): smoothing of the mean square
  bool centered = false;    // RMSprop: divide by the root of the variance estimate (Graves 2013)
  double initial_accumulator = 0;  // Adagrad (Duchi et al. 2011): the sum of squares starts here
  // Weights only, never biases: the L2 penalty ½λ‖W‖² added to the gradient (λW), except for
  // AdamW, where it is the decoupled decay W ← W − ηλW applied before the Adam step.
  double weight_decay = 0;
  double max_norm = 0;      // > 0: each unit's incoming weight vector is rescaled to at most this norm (Srivastava et al. 2014)
  double clip_norm = 0;     // > 0: the whole gradient is rescaled to at most this global L2 norm (Pascanu et al. 2013)
};

// Plain SGD without momentum, clipping or diagnostics needs no gradient buffer: the update is fused
// into the backward gemm/ger (alpha = −η, beta = 1).
inline bool optimizer_is_fusable(const OptimizerConfig& c) {
  return c.type == OptimizerType::Sgd && c.momentum == 0 && c.clip_norm == 0;
}

// One step on the segment p[n] from its gradient g[n]. m, v and a are the optimizer's state for the
// segment (same layout as p):
//   SGD      m: velocity
//   Adam(W)  m: first moment, v: second moment
//   RMSprop  m: momentum buffer, v: mean square, a: mean gradient (centered)
//   Adagrad  v: sum of squares
// `decay` is the segment's weight decay (0 for biases); t is the 1-based step count since the state
// was last reset (Adam's bias correction; Adagrad's accumulator starts at initial_accumulator at t = 1).
template <typename T>
void optimizer_update(const OptimizerConfig& c, T* p, const T* g, T* m, T* v, T* a, size_t n, double decay, double t) {
  const T lr = T(c.learning_rate), wd = T(decay);
  switch (c.type) {
    case OptimizerType::Sgd: {
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
    case OptimizerType::Adam:
    case OptimizerType::AdamW: {
      // m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², p ← p − η m̂ / (√v̂ + ε).
      // Adam adds λp to g; AdamW instead first shrinks p ← (1 − ηλ) p, as torch.optim.AdamW.
      const bool decoupled = c.type == OptimizerType::AdamW;
      const T l2 = decoupled ? T(0) : wd;
      const T shrink = decoupled ? T(1.0 - c.learning_rate * decay) : T(1);
      const T b1 = T(c.beta1), b2 = T(c.beta2), eps = T(c.epsilon);
      const T m_correction = T(1.0 / (1.0 - std::pow(c.beta1, t)));
      const T v_correction = T(1.0 / (1.0 - std::pow(c.beta2, t)));
      for (size_t k = 0; k < n; ++k) {
        const T gk = g[k] + l2 * p[k];
        m[k] = b1 * m[k] + (T(1) - b1) * gk;
        v[k] = b2 * v[k] + (T(1) - b2) * gk * gk;
        p[k] = p[k] * shrink - lr * (m[k] * m_correction) / (std::sqrt(v[k] * v_correction) + eps);
      }
      return;
    }
    case OptimizerType::RMSprop: {
      // v ← α v + (1 − α) g²; centered: a ← α a + (1 − α) g and the root is of v − a² (clamped at 0
      // against rounding); d = √· + ε. Without momentum p ← p − η g / d; with it m ← μ m + g / d, p ← p − η m.
      const T alpha = T(c.alpha), one_minus_alpha = T(1) - alpha, eps = T(c.epsilon), mu = T(c.momentum);
      for (size_t k = 0; k < n; ++k) {
        const T gk = g[k] + wd * p[k];
        v[k] = alpha * v[k] + one_minus_alpha * gk * gk;
        T square = v[k];
        if (c.centered) {
          a[k] = alpha * a[k] + one_minus_alpha * gk;
          square = std::max(square - a[k] * a[k], T(0));
        }
        const T scaled = gk / (std::sqrt(square) + eps);
        if (c.momentum > 0) {
          m[k] = mu * m[k] + scaled;
          p[k] -= lr * m[k];
        } else {
          p[k] -= lr * scaled;
        }
      }
      return;
    }
    case OptimizerType::Adagrad: {
      // v ← v + g² (v = initial_accumulator before the first step), p ← p − η g / (√v + ε).
      const T eps = T(c.epsilon), initial = T(c.initial_accumulator);
      const bool first = t == 1;
      for (size_t k = 0; k < n; ++k) {
        const T gk = g[k] + wd * p[k];
        v[k] = (first ? initial : v[k]) + gk * gk;
        p[k] -= lr * (gk / (std::sqrt(v[k]) + eps));
      }
      return;
    }
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
