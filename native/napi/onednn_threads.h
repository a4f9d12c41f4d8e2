// onednn_threads.h — threads for a pass on the oneDNN engine. oneDNN in Debian runs on OpenMP
// (libgomp); OpenBLAS has its own pthread pool. Both pools busy-wait for a while after each call,
// so a pass keeps exactly one of them busy: on the oneDNN engine, oneDNN's OpenMP team gets the
// count setThreads configured and OpenBLAS (left with level-1 calls and single rows) gets one
// thread, so its pool never wakes. The OpenMP count is per calling thread (an ICV), so it is set on
// the thread that runs the pass, the main thread or a libuv worker.
#pragma once
#include <cblas.h>
#if BLASPROP_HAVE_ONEDNN
#include <omp.h>
#endif

#include "blas_threads.h"

namespace blasprop_napi {

// Sets the pools for a oneDNN pass whose policy choice is `wanted` (1 or the configured count).
inline void onednn_threads_apply(int wanted) {
  const int configured = g_configured_threads.load();
  if (configured == 0) return;
#if BLASPROP_HAVE_ONEDNN
  omp_set_num_threads(g_adaptive_threads.load() ? wanted : configured);
#else
  (void)wanted;
#endif
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

}  // namespace blasprop_napi
