// step_phases.h — where a training step's time goes, by phase: the products, the copies of their
// operands, and each piece of the work outside them (issue 11 asks the bench to show that work in
// time per step). Off unless a bench turns it on (stepPhaseTimes in napi/addon.cc); off, a phase
// costs one relaxed load. On, each phase's time is exclusive: a phase that starts inside another
// pauses the outer one, so the phases add up to the whole pass.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace blasprop {

enum class StepPhase : int {
  Other,               // whatever no phase below names: the loop, hooks, diagnostics
  Gather,              // copying the batch's rows into the workspace
  Products,            // the matrix products (gemm/gemv/ger, oneDNN matmul)
  OperandCopies,       // oneDNN: rounding operands to bf16, the transposed scaled copy of δ
  BiasActivation,      // z += b, a = g(z)
  Loss,                // softmax/loss and δ^L
  Dropout,             // masks forward and backward
  ActivationBackward,  // δ ⊙ g'(z)
  BiasGradient,        // column sums of δ into db (or b, fused SGD)
  ZeroGradients,       // clearing the gradient buffer before backward
  Optimizer,           // clipping, the update, weight decay, max-norm
  Count
};

constexpr int kStepPhaseCount = static_cast<int>(StepPhase::Count);

// The process-wide totals: nanoseconds per phase and steps timed. Meant for one pass at a time.
struct StepPhaseTotals {
  std::atomic<bool> enabled{false};
  std::atomic<int64_t> nanoseconds[kStepPhaseCount] = {};
  std::atomic<int64_t> steps{0};
};

inline StepPhaseTotals& step_phase_totals() {
  static StepPhaseTotals totals;
  return totals;
}

// Counts one training step, when timing is on.
inline void step_phase_count_step() {
  StepPhaseTotals& t = step_phase_totals();
  if (t.enabled.load(std::memory_order_relaxed)) t.steps.fetch_add(1, std::memory_order_relaxed);
}

#if defined(__wasm__)
// The WebAssembly engine imports nothing, a clock included: no timing there.
class ScopedStepPhase {
 public:
  explicit ScopedStepPhase(StepPhase) {}
  ScopedStepPhase(const ScopedStepPhase&) = delete;
  ScopedStepPhase& operator=(const ScopedStepPhase&) = delete;
};
#else
// Charges the time of its scope to `phase`, pausing the phase it interrupts on this thread.
class ScopedStepPhase {
 public:
  explicit ScopedStepPhase(StepPhase phase) : on_(step_phase_totals().enabled.load(std::memory_order_relaxed)) {
    if (!on_) return;
    const int64_t now = clock_ns();
    charge(now);
    outer_ = current();
    current() = phase;
  }
  ~ScopedStepPhase() {
    if (!on_) return;
    charge(clock_ns());
    current() = outer_;
  }
  ScopedStepPhase(const ScopedStepPhase&) = delete;
  ScopedStepPhase& operator=(const ScopedStepPhase&) = delete;

 private:
  static int64_t clock_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  // The phase running on this thread; Count outside every phase (time there is not charged).
  static StepPhase& current() {
    static thread_local StepPhase phase = StepPhase::Count;
    return phase;
  }
  static int64_t& since() {
    static thread_local int64_t start = 0;
    return start;
  }
  // Adds the time since the last change on this thread to the running phase, if any.
  static void charge(int64_t now) {
    if (current() != StepPhase::Count) step_phase_totals().nanoseconds[static_cast<int>(current())].fetch_add(now - since(), std::memory_order_relaxed);
    since() = now;
  }
  bool on_;
  StepPhase outer_ = StepPhase::Count;
};
#endif

}  // namespace blasprop
