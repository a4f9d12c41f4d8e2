// onednn_threads.h — the thread pools of a pass. oneDNN in Debian runs on OpenMP (libgomp);
// OpenBLAS has its own pthread pool, whose workers busy-wait for a while after every call. Two
// pools spinning on two cores starve each other (bench/engines.ts, 2 threads: a oneDNN pass right
// after a threaded OpenBLAS pass ran several times slower), so a pass keeps one pool busy:
//   OpenBLAS pass: OpenBLAS gets the count setThreads configured (blas_threads.h); oneDNN is idle.
//   oneDNN pass: oneDNN's OpenMP team gets that count; OpenBLAS (left with level-1 calls and
//     single rows) gets one thread, and its workers are stopped unless an OpenBLAS pass is running
//     (the next threaded OpenBLAS call starts them again).
// The OpenMP count is per calling thread (an ICV), so it is set on the thread that runs the pass.
#pragma once
#include <cblas.h>

#include <atomic>
#include <mutex>
#if BLASPROP_HAVE_ONEDNN
#include <omp.h>
#endif

#include "../products/products.h"
#include "blas_threads.h"

#if BLASPROP_HAVE_ONEDNN
extern "C" int blas_thread_shutdown_(void);  // OpenBLAS: stops its worker threads
#endif

namespace blasprop_napi {

inline std::mutex g_pools_mutex;  // orders pool changes against the start of OpenBLAS passes
inline int g_openblas_passes = 0;  // OpenBLAS passes running now (guarded by g_pools_mutex)

// Sets the pools for a oneDNN pass whose policy choice is `wanted` (1 or the configured count).
inline void onednn_threads_apply(int wanted) {
  const int configured = g_configured_threads.load();
  if (configured == 0) return;
#if BLASPROP_HAVE_ONEDNN
  omp_set_num_threads(g_adaptive_threads.load() ? wanted : configured);
  const std::lock_guard<std::mutex> lock(g_pools_mutex);
  if (g_openblas_passes == 0 && openblas_get_num_threads() != 1) {
    openblas_set_num_threads(1);
    blas_thread_shutdown_();
  }
#else
  (void)wanted;
#endif
}

// The pools of one pass on `engine`, for the pass's lifetime.
class PassThreads {
 public:
  PassThreads(blasprop::ProductEngine engine, int wanted) : openblas_(engine == blasprop::ProductEngine::OpenBLAS) {
    if (!openblas_) {
      onednn_threads_apply(wanted);
      return;
    }
    const std::lock_guard<std::mutex> lock(g_pools_mutex);
    ++g_openblas_passes;
    blas_threads_apply(wanted);
  }
  ~PassThreads() {
    if (!openblas_) return;
    const std::lock_guard<std::mutex> lock(g_pools_mutex);
    --g_openblas_passes;
  }
  PassThreads(const PassThreads&) = delete;
  PassThreads& operator=(const PassThreads&) = delete;

 private:
  bool openblas_;
};

}  // namespace blasprop_napi
