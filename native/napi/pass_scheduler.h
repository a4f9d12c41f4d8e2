// pass_scheduler.h — one process-wide admission queue for the BLAS passes of every network, thread
// and worker_thread, so concurrent fits share the cores instead of fighting over them.
//
// Why: OpenBLAS's thread count is process-global (openblas_set_num_threads) and its thread server is
// shared; several libuv workers calling the threaded BLAS at once ran 6 fits 13× slower than one after
// another on 2 cores. The scheduler keeps that from happening:
//   - a pass runs wide (the configured threads) when it is the only pass running or waiting;
//   - otherwise passes run narrow (one BLAS thread each), up to <configured threads> at once;
//   - a wide pass that sees another pass waiting turns narrow at its next step boundary, so nobody
//     waits for a whole chunk of steps (~50 ms) behind it, only for one step;
//   - the global thread count changes only while no BLAS call of another pass is under way;
//   - passes are admitted first come, first served, so every fit keeps progressing.
// Small passes on the calling thread (a few-row predict) skip the queue while the count is 1: they
// run at once, single-threaded, so they never wait behind the fits' steps.
// Statics of the addon are shared by all worker_threads of a process, hence one queue per process.
//
// oneDNN passes (products/onednn.h) go through the same queue and get their thread count the same
// way; the count goes to oneDNN's OpenMP team instead of OpenBLAS. oneDNN in Debian runs on OpenMP
// (libgomp) and OpenBLAS has its own pthread pool, whose workers busy-wait for a while after every
// call: two pools spinning on two cores starve each other (bench/engines.ts), so a oneDNN pass keeps
// OpenBLAS (left with level-1 calls and single rows) on one thread, and a oneDNN pass admitted wide
// (alone) also stops OpenBLAS's workers (the next threaded OpenBLAS call starts them again). The
// OpenMP count is per calling thread (an ICV), so the lease sets it on the thread that runs the pass.
// This file is the one place that decides thread counts.
//
// Subnormals: a pass flushes them on its own thread (kernels/flush_denormals.h), but a thread keeps
// the floating-point mode it was created with, and OpenBLAS starts its workers when the library
// loads. Their share of a threaded product used to run on subnormal inputs: 50 ms instead of 0.36 ms
// for one 128 × 784 × 256 sgemm on 2 threads here, and results that depended on the thread count.
// So before OpenBLAS first gets more than one thread (and again after a oneDNN pass stopped its
// workers), the scheduler restarts them from a thread that flushes: they inherit its mode. OpenMP
// teams are created inside passes, by a thread that already flushes, so they inherit it too.
// (test/flush-denormals.test.ts)
#pragma once
#include <cblas.h>
#if BLASPROP_HAVE_ONEDNN
#include <omp.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "../kernels/passes.h"

extern "C" int blas_thread_shutdown_(void);  // OpenBLAS: stops its worker threads
extern "C" int blas_thread_init(void);       // OpenBLAS: starts them, from the calling thread

namespace blasprop_napi {

// How passes are admitted. Scheduled is the policy; the others exist so bench/concurrency.ts can
// measure the candidates side by side (setSchedulePolicy in addon.cc).
enum class SchedulePolicy {
  Scheduled,    // wide when alone, else narrow up to the configured count at once (the default)
  Unscheduled,  // every pass sets its own count and runs at once (blasprop before the scheduler)
  Narrow,       // every pass on one BLAS thread, all at once (like OPENBLAS_NUM_THREADS=1)
  Serial,       // one pass at a time, wide (a global lock)
};

class PassScheduler {
 public:
  // Never destroyed: passes may still wait in it on thread-pool threads while the process exits.
  static PassScheduler& instance() {
    static PassScheduler* scheduler = new PassScheduler();
    return *scheduler;
  }

  // setThreads(n, adaptive): n BLAS threads for wide passes and n narrow passes at once. Applied when
  // the next pass is admitted, never under a running one.
  void configure(int threads, bool adaptive) {
    std::lock_guard<std::mutex> lock(mutex_);
    configured_ = threads;
    adaptive_ = adaptive;
    cv_.notify_all();
  }
  int configured() {
    std::lock_guard<std::mutex> lock(mutex_);
    return configured_locked();
  }
  bool adaptive() {
    std::lock_guard<std::mutex> lock(mutex_);
    return adaptive_;
  }
  void set_policy(SchedulePolicy policy) {
    std::lock_guard<std::mutex> lock(mutex_);
    policy_ = policy;
    cv_.notify_all();
  }

  // How a pass was admitted: its BLAS thread count, and whether it holds the whole machine.
  struct Admission {
    int threads = 0;
    bool wide = false;
  };

  // Blocks until a pass may run and sets the BLAS thread count for it. `wanted` is the pass's own
  // choice (kernels/threads.h): the configured count, or 1 for small calls when adaptive. For a
  // oneDNN pass (`onednn`) the admitted count is its OpenMP team's, and OpenBLAS gets one thread.
  // Every acquire must be paired with release(the admission).
  Admission acquire(int wanted, bool onednn) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (policy_ == SchedulePolicy::Unscheduled) {
      const int want = wanted_locked(wanted);
      set_threads_locked(onednn ? 1 : want);  // may change the count under a running pass: the old behaviour
      ++narrow_;
      return {want, false};
    }
    const uint64_t ticket = next_ticket_++;
    queue_.push_back(ticket);
    waiting_.store(int(queue_.size()), std::memory_order_relaxed);
    Admission admission;
    for (;;) {  // setThreads may change the count while the pass waits: read it on every try
      if (queue_.front() == ticket) admission = admit_locked(wanted_locked(wanted), configured_locked(), onednn);
      if (admission.threads > 0) break;
      cv_.wait(lock);
    }
    queue_.pop_front();
    waiting_.store(int(queue_.size()), std::memory_order_relaxed);
    cv_.notify_all();  // the next in line may be admitted as well
    return admission;
  }

  // Called by a running pass between two steps: a wide pass with others waiting turns narrow, so
  // they are admitted now instead of when its call ends. One relaxed load when nobody waits.
  void yield_if_waited(Admission& admission) {
    if (!admission.wide || waiting_.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty() || policy_ != SchedulePolicy::Scheduled) return;
    set_threads_locked(1);  // safe: this pass is the only one running, and it is between BLAS calls
    wide_ = 0;
    ++narrow_;
    admission = {1, false};
    cv_.notify_all();
  }

  void release(Admission admission) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (admission.wide) wide_ = 0;
    else --narrow_;
    cv_.notify_all();
  }

  // A small pass that skips the queue (see the top of this file), when the count is 1; returns
  // whether it may. It never changes the count, and the count does not change under it.
  bool try_enter_unscheduled() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (policy_ != SchedulePolicy::Scheduled || blas_threads_ != 1) return false;
    ++unscheduled_;
    return true;
  }
  void leave_unscheduled() {
    std::lock_guard<std::mutex> lock(mutex_);
    --unscheduled_;
    cv_.notify_all();
  }

 private:
  PassScheduler() = default;

  int configured_locked() {
    if (configured_ == 0) configured_ = std::max(1, openblas_get_num_threads());  // OPENBLAS_NUM_THREADS was set
    return configured_;
  }

  // The thread count a pass that would like `wanted` gets when it runs alone.
  int wanted_locked(int wanted) {
    const int C = configured_locked();
    return adaptive_ ? std::min(wanted, C) : C;
  }

  // How the head of the queue is admitted, or threads = 0 if it must wait.
  Admission admit_locked(int want, int C, bool onednn) {
    const bool idle = wide_ == 0 && narrow_ == 0;
    const bool can_switch = idle && unscheduled_ == 0;
    switch (policy_) {
      case SchedulePolicy::Serial:
        if (!can_switch) return {};
        set_wide_locked(want, onednn);
        return {want, true};
      case SchedulePolicy::Narrow:
        if (blas_threads_ != 1 && !can_switch) return {};
        set_threads_locked(1);
        ++narrow_;
        return {1, false};
      default:
        break;
    }
    if (want > 1 && queue_.size() == 1 && can_switch) {
      set_wide_locked(want, onednn);
      return {want, true};
    }
    if (wide_ > 0 || narrow_ >= C || (blas_threads_ != 1 && !can_switch)) return {};
    set_threads_locked(1);
    ++narrow_;
    return {1, false};
  }

  // Admits the one pass that runs, wide: OpenBLAS gets its count, or a oneDNN pass's OpenBLAS gets one
  // thread and its workers stop (nothing else is inside OpenBLAS now).
  void set_wide_locked(int want, bool onednn) {
    set_threads_locked(onednn ? 1 : want);
    if (onednn) {
      blas_thread_shutdown_();
      workers_flush_ = false;  // whoever calls threaded OpenBLAS next would start them
    }
    wide_ = 1;
  }

  void set_threads_locked(int n) {
    if (blas_threads_ == n) return;
    const blasprop::ScopedFlushDenormals flush;  // workers openblas_set_num_threads adds inherit it
    if (n > 1 && !workers_flush_ && wide_ + narrow_ + unscheduled_ == 0) {  // nobody inside OpenBLAS
      blas_thread_shutdown_();
      blas_thread_init();
      workers_flush_ = true;
    }
    openblas_set_num_threads(n);
    blas_threads_ = n;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<uint64_t> queue_;  // tickets of the passes waiting, in arrival order
  std::atomic<int> waiting_{0};  // queue_.size(), readable without the lock
  uint64_t next_ticket_ = 0;
  int configured_ = 0;          // 0 until setThreads: OpenBLAS's own default
  bool adaptive_ = false;
  SchedulePolicy policy_ = SchedulePolicy::Scheduled;
  int wide_ = 0;                // 1 while a wide pass runs
  int narrow_ = 0;              // narrow passes running
  int unscheduled_ = 0;         // small passes running outside the queue
  int blas_threads_ = -1;       // the count last given to OpenBLAS (-1: not set by us yet)
  bool workers_flush_ = false;  // whether OpenBLAS's workers were started by a flushing thread
};

// A pass's sums and how long it ran once admitted (not counting its wait in the queue), which fit
// uses to size its chunks of steps: the wait grows with the number of concurrent fits, the work does not.
struct PassResult {
  blasprop::LossStats stats;
  double run_ms = -1;  // -1: not measured
};

// Holds a place in the scheduler for one pass: acquired on construction, released on destruction.
// Constructed on the thread that runs the pass (the OpenMP count of a oneDNN pass is per thread).
class PassLease {
 public:
  explicit PassLease(int wanted, blasprop::ProductEngine engine = blasprop::ProductEngine::OpenBLAS)
      : onednn_(engine == blasprop::ProductEngine::OneDNN),
        admission_(PassScheduler::instance().acquire(wanted, onednn_)),
        admitted_(std::chrono::steady_clock::now()) {
    set_team();
  }
  // Milliseconds since admission.
  double elapsed_ms() const { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - admitted_).count(); }
  ~PassLease() {
#if BLASPROP_HAVE_ONEDNN
    blasprop::elementwise_threads() = 1;
#endif
    PassScheduler::instance().release(admission_);
  }
  // The hook a pass runs between its steps (kernels/passes.h StepHook): PassScheduler::yield_if_waited.
  blasprop::StepHook between_steps() { return {&PassLease::yield, this}; }
  PassLease(const PassLease&) = delete;
  PassLease& operator=(const PassLease&) = delete;

 private:
  static void yield(void* lease) {
    auto* self = static_cast<PassLease*>(lease);
    const bool wide = self->admission_.wide;
    PassScheduler::instance().yield_if_waited(self->admission_);
    if (wide && !self->admission_.wide) self->set_team();
  }
  // A oneDNN pass's OpenMP team gets the admitted count, for its products and its elementwise loops
  // (kernels/elementwise_threads.h); runs on the pass's thread.
  void set_team() const {
#if BLASPROP_HAVE_ONEDNN
    if (!onednn_) return;
    omp_set_num_threads(admission_.threads);
    blasprop::elementwise_threads() = admission_.threads;
#endif
  }
  bool onednn_;
  PassScheduler::Admission admission_;
  std::chrono::steady_clock::time_point admitted_;
};

// A small pass outside the queue for the duration of a scope, if the scheduler lets it (entered()).
class UnscheduledPass {
 public:
  explicit UnscheduledPass(bool small) : entered_(small && PassScheduler::instance().try_enter_unscheduled()) {}
  ~UnscheduledPass() {
    if (entered_) PassScheduler::instance().leave_unscheduled();
  }
  bool entered() const { return entered_; }
  UnscheduledPass(const UnscheduledPass&) = delete;
  UnscheduledPass& operator=(const UnscheduledPass&) = delete;

 private:
  bool entered_;
};

}  // namespace blasprop_napi
