// elementwise_threads.h — the step's largest elementwise loops (the optimizer update over every
// parameter, zeroing the gradient) split over the threads of a oneDNN pass's OpenMP team, which
// would otherwise wait while one thread walks megabytes of parameters: with momentum, that loop
// was 2.5 ms of a 6.2 ms bf16 step of 784-1024-1024-10 at batch 128 on 2 threads.
// Only oneDNN passes split: their OpenMP team is the pool already running their products, and
// OpenBLAS is held to one thread meanwhile. An OpenBLAS pass keeps everything outside its BLAS calls
// on one thread, for a second pool next to OpenBLAS's spinning workers would fight it for the cores.
// The loops are elementwise, so the result does not depend on the split.
#pragma once
#include <algorithm>
#include <cstddef>

#include "flush_denormals.h"

namespace blasprop {

#if defined(_OPENMP)
// The threads this thread's elementwise loops may use; the pass lease (napi/pass_scheduler.h) sets
// it for a oneDNN pass and puts back 1 when the pass ends.
inline int& elementwise_threads() {
  static thread_local int threads = 1;
  return threads;
}
#endif

// Fewest elements per thread worth a thread (a fork and join costs a few microseconds).
constexpr size_t kMinElementsPerThread = 1 << 16;

// Calls body(from, count) on contiguous ranges that cover [0, n) once: one call, or one per thread
// of the pass's team, each with subnormals flushed as on the pass's own thread (flush_denormals.h).
template <typename Body>
void for_each_range(size_t n, Body&& body) {
#if defined(_OPENMP)
  const int threads = static_cast<int>(std::min<size_t>(size_t(elementwise_threads()), n / kMinElementsPerThread));
  if (threads > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int k = 0; k < threads; ++k) {
      const ScopedFlushDenormals flush;
      const size_t from = n * size_t(k) / size_t(threads), to = n * size_t(k + 1) / size_t(threads);
      body(from, to - from);
    }
    return;
  }
#endif
  body(size_t(0), n);
}

}  // namespace blasprop
