// passes.h — whole-network passes built from the per-layer kernels: forward, one training step
// (forward, backward, update), and the inference passes predict / evaluate / gradients.
//
// The lecture's equations (lecture 13, back propagation) and where each one is computed, over a
// batch of B rows (rows are examples, so every product is transposed from the lecture's columns):
//   forward   z^l = W^l a^(l-1) + b^l,  a^l = g(z^l)        Z = A_prev W^T + 1 b^T   dense_forward, bias_activation_forward
//   output    delta^L = dL/da^L (.) g'(z^L)                  output_loss_delta (losses.h)
//   weights   dL/dW^l = delta^l (a^(l-1))^T                  dL/dW = delta^T A_prev   dense_backward_params
//   biases    dL/db^l = delta^l                              dL/db = sum of delta's rows
//   backward  delta^(l-1) = (W^l)^T delta^l (.) g'(z^(l-1))  dX = delta W, then (.) g'   dense_backward_input, activation_backward
//   update    W <- W - eta dL/dW                              optimizer_update (optimizers.h), or fused into the dL/dW gemm
#pragma once
#include <algorithm>
#include <cmath>
#include <cstring>
#include "dense.h"
#include "diagnostics.h"
#include "dropout.h"
#include "elementwise_threads.h"
#include "flush_denormals.h"
#include "gradient_reducer.h"
#include "network.h"
#include "optimizers.h"
#include "step_phases.h"

namespace blasprop {

// Rows per chunk for the inference passes: bounds the workspace whatever the number of rows.
constexpr int kInferenceChunkRows = 512;

// Called between two steps (or inference chunks) of a call, never during one: lets the caller's
// scheduler change the BLAS thread count at a boundary (native/napi/pass_scheduler.h). Must not allocate.
struct StepHook {
  void (*call)(void* context) = nullptr;
  void* context = nullptr;
  void operator()() const {
    if (call) call(context);
  }
};

// The workspace capacity (rows) a pass needs: min(rows, chunk), where chunk is the batch size of a
// training call or kInferenceChunkRows. The caller points a workspace of that many rows first.
inline int network_pass_rows(size_t rows, size_t chunk) { return static_cast<int>(std::min(rows, chunk)); }

// The rows layer l reads in the last forward pass: the input or a^(l-1), after dropout when training.
template <typename T>
const T* network_layer_input(const Network<T>& net, const T* input, int l, bool training) {
  const int k = l - 1;
  if (training && net.dropout[k] > 0) return net.D[k];
  return k == 0 ? input : net.A[k];
}

// Forward through layers 1..L−1 (bias, g, and dropout when training) and the output layer's gemm:
// afterwards A[L] holds A^(L-1) (W^L)ᵀ without bias, for output_loss_delta or network_predict.
template <typename T>
void network_forward(Network<T>& net, const T* input, int B, bool training) {
  for (int l = 1; l <= net.L; ++l) {
    const int in = net.sizes[l - 1], out = net.sizes[l];
    if (training && net.dropout[l - 1] > 0) {
      const ScopedStepPhase phase(StepPhase::Dropout);
      const T* a = l == 1 ? input : net.A[l - 1];
      dropout_forward(net.dropout[l - 1], net.rng, a, net.M[l - 1], net.D[l - 1], static_cast<size_t>(B) * in);
    }
    dense_forward(net.products, l, network_layer_input(net, input, l, training), net.params + net.W_off[l], net.A[l], B, in, out);
    if (l < net.L) {
      const ScopedStepPhase phase(StepPhase::BiasActivation);
      for_each_range(size_t(B), [&](size_t from, size_t rows) {
        bias_activation_forward(net.g[l], net.slope[l], net.A[l] + from * out, net.params + net.b_off[l], int(rows), out);
      }, kMinLightElementsPerThread / out);
    }
  }
}

// Backward from δ^L (in net.delta) down to layer 1. With `fused_lr` ≥ 0 each layer's plain SGD update
// (W ← (1 − ηλ) W − η ∂L/∂W) is applied as soon as δ^(l-1) no longer needs the old W^l; otherwise
// the gradient is accumulated into net.grads. With an overlapping `reducer`, the average across
// processes of each layer's slice W^l b^l (contiguous in grads) starts as soon as it is computed.
template <typename T>
void network_backward(Network<T>& net, const T* input, int B, bool training, double fused_lr, double weight_decay,
                      const GradientReducer* reducer = nullptr) {
  T* delta = net.delta;
  T* delta_prev = net.delta_prev;
  for (int l = net.L; l >= 1; --l) {
    const int in = net.sizes[l - 1], out = net.sizes[l];
    T* W = net.params + net.W_off[l];
    if (l > 1) {  // δ^(l-1) = δ^l W^l ⊙ (dropout mask) ⊙ g'(z^(l-1)); layer 1's input needs no delta.
      const size_t n = static_cast<size_t>(B) * in;
      dense_backward_input(net.products, l, delta, W, delta_prev, B, in, out);
      if (training && net.dropout[l - 1] > 0) {
        const ScopedStepPhase phase(StepPhase::Dropout);
        dropout_backward(net.M[l - 1], delta_prev, n);
      }
      const ScopedStepPhase phase(StepPhase::ActivationBackward);
      for_each_range(n, [&](size_t from, size_t count) {
        activation_backward(net.g[l - 1], net.slope[l - 1], net.A[l - 1] + from, delta_prev + from, count);
      }, kMinLightElementsPerThread);
    }
    const T* a_prev = network_layer_input(net, input, l, training);
    if (fused_lr >= 0) {
      if (weight_decay > 0) {
        const ScopedStepPhase phase(StepPhase::Optimizer);
        scal(out * in, T(1 - fused_lr * weight_decay), W);
      }
      dense_backward_params(net.products, l, delta, a_prev, W, net.params + net.b_off[l], B, in, out, T(-fused_lr));
    } else {
      dense_backward_params(net.products, l, delta, a_prev, net.grads + net.W_off[l], net.grads + net.b_off[l], B, in, out, T(1));
      if (reducer && reducer->overlap) reducer_start(*reducer, net.grads + net.W_off[l], static_cast<size_t>(out) * (in + 1));
    }
    std::swap(delta, delta_prev);
  }
}

// Applies the optimizer to every layer from the gradients in net.grads (clipped first if asked),
// then the max-norm constraint. t is the 1-based step count.
template <typename T>
void network_apply_gradients(Network<T>& net, const OptimizerConfig& c, double t) {
  const ScopedStepPhase phase(StepPhase::Optimizer);
  const int n = static_cast<int>(net.param_count);
  if (c.clip_norm > 0) {
    const double norm = nrm2(n, net.grads);
    if (norm > c.clip_norm) scal(n, T(c.clip_norm / norm), net.grads);
  }
  // The update of the parameters [offset, offset + n), split over the pass's threads (elementwise_threads.h).
  const auto update = [&](size_t offset, size_t n, double decay) {
    for_each_range(n, [&](size_t from, size_t count) {
      const size_t k = offset + from;
      const auto at = [k](T* state) { return state ? state + k : nullptr; };  // state an optimizer does not keep is null
      optimizer_update(c, net.params + k, net.grads + k, at(net.opt_m), at(net.opt_v), at(net.opt_g), count, decay, t);
    });
  };
  for (int l = 1; l <= net.L; ++l) {
    update(net.W_off[l], static_cast<size_t>(net.sizes[l]) * net.sizes[l - 1], c.weight_decay);
    update(net.b_off[l], size_t(net.sizes[l]), 0.0);
  }
}

template <typename T>
void network_apply_max_norm(Network<T>& net, double max_norm) {
  if (max_norm <= 0) return;
  const ScopedStepPhase phase(StepPhase::Optimizer);
  for (int l = 1; l <= net.L; ++l) max_norm_constrain(net.params + net.W_off[l], net.sizes[l], net.sizes[l - 1], max_norm);
}

// One training step on the B rows at `input` (already gathered into the workspace): forward with
// dropout, loss, backward, update. The gradient is of the batch's weighted mean loss (the mean
// without weights): Σ w_i ∂L_i / `denominator`, where the denominator is the batch's Σ w_i (its row
// count without weights) unless a data-parallel fit passes the step's Σ w over every rank ÷ ranks. `diagnostics` (5 doubles per layer, or null) receives the step's per-layer
// statistics. With a `reducer` (data-parallel training) the gradient is averaged across processes
// before the update, so every process applies the same one; clipping and diagnostics see the
// averaged gradient. Returns the batch's (weighted) loss sum, correct count and weight sum.
template <typename T>
LossStats network_train_step(Network<T>& net, const T* input, Targets<T> y, int B, const OptimizerConfig& c,
                             double t, double* diagnostics, const GradientReducer* reducer, double denominator) {
  const int L = net.L;
  network_forward(net, input, B, true);
  const T scale = T(weighted_mean_scale(denominator));
  const LossStats stats = [&] {
    const ScopedStepPhase phase(StepPhase::Loss);
    return output_loss_delta(net.loss, net.g[L], net.slope[L], net.A[L], net.params + net.b_off[L], y, net.delta, B, net.sizes[L], scale);
  }();
  const bool fused = optimizer_is_fusable(c) && diagnostics == nullptr && reducer == nullptr;
  if (fused) {
    network_backward(net, input, B, true, c.learning_rate, c.weight_decay);
  } else {
    {
      const ScopedStepPhase phase(StepPhase::ZeroGradients);
      for_each_range(net.param_count, [&](size_t from, size_t count) { std::memset(net.grads + from, 0, count * sizeof(T)); });
    }
    network_backward(net, input, B, true, -1.0, 0.0, reducer);
    if (reducer) {
      if (!reducer->overlap) reducer_start(*reducer, net.grads, net.param_count);
      reducer_finish(*reducer);
    }
    if (diagnostics) network_diagnostics(net, B, diagnostics);
    network_apply_gradients(net, c, t);
  }
  network_apply_max_norm(net, c.max_norm);
  return stats;
}

// The rows' dense targets or labels, offset to row r.
template <typename T>
Targets<T> targets_from_row(Targets<T> y, size_t r, int out) {
  Targets<T> shifted;
  if (y.dense) shifted.dense = y.dense + r * out;
  if (y.labels) shifted.labels = y.labels + r;
  if (y.weights) shifted.weights = y.weights + r;
  return shifted;
}

// Loss sum, correct count and weight sum over `rows` rows of X without dropout; with
// accumulate_gradients the gradient of the (weighted) mean loss over all rows is written to net.grads
// as well. between_chunks runs between chunks of kInferenceChunkRows rows.
template <typename T>
LossStats network_evaluate(Network<T>& net, const T* X, Targets<T> y, size_t rows, bool accumulate_gradients,
                           StepHook between_chunks = {}) {
  const ScopedFlushDenormals flush;
  products_reserve(net.products);
  const int L = net.L, in = net.sizes[0], out = net.sizes[L];
  if (accumulate_gradients) std::memset(net.grads, 0, net.param_count * sizeof(T));
  LossStats total;
  total.weight_sum = targets_weight_sum(y, rows);
  const T scale = T(weighted_mean_scale(total.weight_sum));
  for (size_t r = 0; r < rows; r += kInferenceChunkRows) {
    const int B = static_cast<int>(std::min<size_t>(kInferenceChunkRows, rows - r));
    const T* input = X + r * in;
    network_forward(net, input, B, false);
    const LossStats s = output_loss_delta(net.loss, net.g[L], net.slope[L], net.A[L], net.params + net.b_off[L],
                                          targets_from_row(y, r, out), accumulate_gradients ? net.delta : nullptr,
                                          B, out, scale);
    if (accumulate_gradients) network_backward(net, input, B, false, -1.0, 0.0);
    total.loss_sum += s.loss_sum;
    total.correct += s.correct;
    if (r + kInferenceChunkRows < rows) between_chunks();
  }
  return total;
}

// Y[rows × out] = the network's output for X[rows × in].
template <typename T>
void network_predict(Network<T>& net, const T* X, size_t rows, T* Y) {
  const ScopedFlushDenormals flush;
  products_reserve(net.products);
  const int L = net.L, in = net.sizes[0], out = net.sizes[L];
  for (size_t r = 0; r < rows; r += kInferenceChunkRows) {
    const int B = static_cast<int>(std::min<size_t>(kInferenceChunkRows, rows - r));
    network_forward(net, X + r * in, B, false);
    bias_activation_forward(net.g[L], net.slope[L], net.A[L], net.params + net.b_off[L], B, out);
    std::memcpy(Y + r * out, net.A[L], static_cast<size_t>(B) * out * sizeof(T));
  }
}

}  // namespace blasprop
