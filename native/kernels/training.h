// training.h — the mini-batch loop over a shuffled order of rows: gather each batch into the
// workspace, run one training step, record its loss. Runs many steps per call, so the cost of
// crossing from JavaScript is paid once per chunk of steps, not once per step.
#pragma once
#include <cstdint>
#include <cstring>
#include "flush_denormals.h"
#include "elementwise_threads.h"
#include "passes.h"
#include "step_phases.h"

namespace blasprop {

// A whole training set, row-major: X[rows × in], either Y[rows × out] or labels[rows], and
// optionally weights[rows].
template <typename T>
struct Dataset {
  const T* X = nullptr;
  Targets<T> y;
  size_t rows = 0;
};

// One call's work: the rows order[0..count) in batches of batch_size (the last one may be smaller).
struct BatchPlan {
  const int32_t* order = nullptr;
  size_t count = 0;
  int batch_size = 1;
  double first_step = 1;          // 1-based optimizer step number of the first batch (Adam's t)
  double* step_losses = nullptr;  // optional: (weighted) mean loss of each batch, 0 when its weights are all 0
  double* step_weights = nullptr; // optional: Σ w of each batch (its row count without weights)
  // optional: the denominator of each batch's gradient mean in place of its own Σ w; data-parallel
  // fits pass Σ w of the step over every rank ÷ ranks, so the reducer's average is the global weighted mean
  const double* step_denominators = nullptr;
  double* diagnostics = nullptr;  // optional: per-layer statistics of the last batch
  const GradientReducer* reducer = nullptr;  // optional: averages each step's gradient across processes
  StepHook between_steps;         // optional: run after every step but the last
};

// Copies the rows order[0..B) of the dataset into the workspace's X, targets and weights; the rows
// of X split over a oneDNN pass's threads (elementwise_threads.h).
template <typename T>
Targets<T> gather_batch(Network<T>& net, const Dataset<T>& data, const int32_t* order, int B) {
  const size_t in = net.sizes[0], out = net.sizes[net.L];
  Targets<T> batch;
  for_each_range(size_t(B), [&](size_t from, size_t count) {
    for (size_t i = from; i < from + count; ++i) std::memcpy(net.X + i * in, data.X + size_t(order[i]) * in, in * sizeof(T));
  }, kMinLightElementsPerThread / in);
  if (data.y.labels) {
    for (int i = 0; i < B; ++i) net.labels[i] = data.y.labels[order[i]];
    batch.labels = net.labels;
  } else {
    for (int i = 0; i < B; ++i) std::memcpy(net.Y + i * out, data.y.dense + size_t(order[i]) * out, out * sizeof(T));
    batch.dense = net.Y;
  }
  if (data.y.weights) {
    for (int i = 0; i < B; ++i) net.weights[i] = data.y.weights[order[i]];
    batch.weights = net.weights;
  }
  return batch;
}

template <typename T>
LossStats network_train_batches(Network<T>& net, const Dataset<T>& data, const BatchPlan& plan, const OptimizerConfig& c) {
  const ScopedFlushDenormals flush;
  const ScopedStepPhase pass(StepPhase::Other);
  products_reserve(net.products);
  LossStats total;
  size_t step = 0;
  for (size_t start = 0; start < plan.count; start += plan.batch_size, ++step) {
    const int B = static_cast<int>(std::min<size_t>(plan.batch_size, plan.count - start));
    step_phase_count_step();
    const Targets<T> y = [&] {
      const ScopedStepPhase gather(StepPhase::Gather);
      return gather_batch(net, data, plan.order + start, B);
    }();
    const bool last = start + plan.batch_size >= plan.count;
    const double denominator = plan.step_denominators ? plan.step_denominators[step] : targets_weight_sum(y, size_t(B));
    const LossStats s = network_train_step(net, net.X, y, B, c, plan.first_step + double(step),
                                           last ? plan.diagnostics : nullptr, plan.reducer, denominator);
    if (plan.step_losses) plan.step_losses[step] = s.weight_sum > 0 ? s.loss_sum / s.weight_sum : 0.0;
    if (plan.step_weights) plan.step_weights[step] = s.weight_sum;
    total.loss_sum += s.loss_sum;
    total.correct += s.correct;
    total.weight_sum += s.weight_sum;
    if (!last) plan.between_steps();
  }
  return total;
}

}  // namespace blasprop
