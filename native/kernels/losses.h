// losses.h — the output layer: bias, g, the loss L(y, ŷ) and δ^L = ∂L/∂z^L in one pass per row.
// Losses are summed over a row's units and returned summed over rows, each row times its weight w_i
// (1 without weights); the caller divides by Σ w_i (and passes delta_scale = 1/Σ w_i), so loss and
// gradients are weighted means over the batch: Σ w_i L_i / Σ w_i (the mean when unweighted).
#pragma once
#include <cmath>
#include <cstdint>
#include "activations.h"

namespace blasprop {

// Codes shared with lib/codes.ts; keep the numbers in step.
enum class Loss : int { MSE = 0, CrossEntropy = 1, BinaryCrossEntropy = 2 };

// The targets of a batch: dense rows Y[B×out], or (cross-entropy only) class labels[B]; and
// optionally a weight per row, weights[B] (sample weight × class weight, ≥ 0).
template <typename T>
struct Targets {
  const T* dense = nullptr;
  const int32_t* labels = nullptr;
  const T* weights = nullptr;
};

struct LossStats {
  double loss_sum = 0;    // Σ over rows of w_i × the per-example loss
  double correct = 0;     // Σ over rows of w_i × (argmax matches, or units on the right side of 0.5; see below)
  double weight_sum = 0;  // Σ over rows of w_i: the row count without weights
};

// Σ w_i over rows [0, rows) in double, or the row count when the targets carry no weights.
template <typename T>
double targets_weight_sum(const Targets<T>& y, size_t rows) {
  if (!y.weights) return double(rows);
  double sum = 0;
  for (size_t i = 0; i < rows; ++i) sum += double(y.weights[i]);
  return sum;
}

// The δ^L scale that makes gradients weighted means: 1 / Σ w_i, and 0 when every weight is 0.
inline double weighted_mean_scale(double weight_sum) { return weight_sum > 0 ? 1.0 / weight_sum : 0.0; }

// Accuracy is per example by argmax for several outputs, and per unit by the 0.5 threshold for
// binary cross-entropy or a single output. lib/metrics.ts divides by the matching count.
inline bool accuracy_by_threshold(Loss loss, int out) { return loss == Loss::BinaryCrossEntropy || out == 1; }

template <typename T>
inline int argmax(const T* x, int n) {
  int best = 0;
  for (int j = 1; j < n; ++j) if (x[j] > x[best]) best = j;
  return best;
}

// log(1 + e^z) without overflow.
template <typename T>
inline T softplus(T z) { return (z > 0 ? z : T(0)) + std::log1p(std::exp(-std::fabs(z))); }

// Z[B×out] holds A_prev Wᵀ on entry and a^L on return. When delta is not null it receives
// δ^L · delta_scale · w_i (row i); δ^L is a − y for softmax + cross-entropy and sigmoid + binary cross-entropy,
// and (a − y) ⊙ g'(z) for mse (L = ½ Σ (y − a)², the lecture's).
template <typename T>
LossStats output_loss_delta(Loss loss, Activation g, T slope, T* Z, const T* b, Targets<T> y,
                              T* delta, int B, int out, T delta_scale) {
  LossStats stats;
  stats.weight_sum = targets_weight_sum(y, static_cast<size_t>(B));
  const bool by_threshold = accuracy_by_threshold(loss, out);
  for (int i = 0; i < B; ++i) {
    T* z = Z + static_cast<size_t>(i) * out;
    T* d = delta ? delta + static_cast<size_t>(i) * out : nullptr;
    const T* yi = y.dense ? y.dense + static_cast<size_t>(i) * out : nullptr;
    const int label = y.labels ? y.labels[i] : -1;
    const double w = y.weights ? double(y.weights[i]) : 1.0;
    const T scale = y.weights ? delta_scale * y.weights[i] : delta_scale;
    for (int j = 0; j < out; ++j) z[j] += b[j];

    if (loss == Loss::CrossEntropy) {
      // L = (Σ_k y_k) · logΣexp(z) − Σ_k y_k z_k; for a one-hot y this is −log softmax(z)_label.
      double y_dot_z = 0, y_sum = 0;
      if (yi) {
        for (int j = 0; j < out; ++j) { y_dot_z += double(yi[j]) * double(z[j]); y_sum += double(yi[j]); }
      } else {
        y_dot_z = z[label];
        y_sum = 1;
      }
      const double lse = softmax_row(z, out);
      stats.loss_sum += w * (y_sum * lse - y_dot_z);
      if (d) {
        for (int j = 0; j < out; ++j) {
          const T yj = yi ? yi[j] : T(j == label ? 1 : 0);
          d[j] = (z[j] * T(y_sum) - yj) * scale;
        }
      }
      stats.correct += w * (argmax(z, out) == (yi ? argmax(yi, out) : label));
      continue;
    }

    if (loss == Loss::BinaryCrossEntropy) {
      // L = Σ_j softplus(z_j) − y_j z_j, the same as −y log σ(z) − (1 − y) log(1 − σ(z)) but finite for any z.
      for (int j = 0; j < out; ++j) {
        stats.loss_sum += w * (double(softplus(z[j])) - double(yi[j]) * double(z[j]));
        z[j] = sigmoid(z[j]);
        if (d) d[j] = (z[j] - yi[j]) * scale;
      }
    } else {  // MSE with any activation but softmax.
      activation_forward(g, slope, z, out);
      for (int j = 0; j < out; ++j) {
        const double r = double(z[j]) - double(yi[j]);
        stats.loss_sum += w * (0.5 * r * r);
        if (d) d[j] = (z[j] - yi[j]) * scale;
      }
      if (d) activation_backward(g, slope, z, d, static_cast<size_t>(out));
    }
    if (by_threshold) {
      for (int j = 0; j < out; ++j) stats.correct += w * ((z[j] >= T(0.5)) == (yi[j] >= T(0.5)));
    } else {
      stats.correct += w * (argmax(z, out) == argmax(yi, out));
    }
  }
  return stats;
}

}  // namespace blasprop
