// blas_threads.h — the process-wide BLAS thread setting: the count setThreads configured, and whether
// each pass may drop to one thread for small calls (kernels/threads.h has the rule).
#pragma once
#include <cblas.h>
#include <atomic>

namespace blasprop_napi {

inline std::atomic<int> g_configured_threads{0};  // 0: OpenBLAS's own default until setThreads
inline std::atomic<bool> g_adaptive_threads{false};

inline void blas_threads_configure(int n, bool adaptive) {
  g_configured_threads.store(n);
  g_adaptive_threads.store(adaptive);
  openblas_set_num_threads(n);
}

// Sets the thread count for a pass whose policy choice is `wanted` (1 or the configured count).
inline void blas_threads_apply(int wanted) {
  const int configured = g_configured_threads.load();
  if (configured == 0) return;
  const int n = g_adaptive_threads.load() ? wanted : configured;
  if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

}  // namespace blasprop_napi
