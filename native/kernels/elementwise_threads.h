// elementwise_threads.h — the step's loops outside the products (the optimizer update over every
// parameter, zeroing the gradient, gathering the batch, bias and activation, g')
// split over the threads of a oneDNN pass's OpenMP team, which would otherwise wait while one
// thread walks them: with momentum, the update was 2.5 ms of a 6.2 ms bf16 step of 784-1024-1024-10
// at batch 128 on 2 threads; gathering a batch of 512 rows of 784 took 284 µs on one thread, 171 on two.
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

// Fewest elements per thread worth a thread (a fork and join costs a few microseconds): for the
// optimizer's update, and for the light loops (a copy, an add, a compare per element: gathering the
// batch, bias and activation, g'), which take some 10 µs per 16k elements.
constexpr size_t kMinElementsPerThread = 1 << 16;
constexpr size_t kMinLightElementsPerThread = 1 << 14;

// Calls body(from, count) on contiguous ranges that cover [0, n) once: one call, or one per thread
// of the pass's team, each with subnormals flushed as on the pass's own thread (flush_denormals.h).
// A thread gets at least `grain` items (default: kMinElementsPerThread elements).
template <typename Body>
void for_each_range(size_t n, Body&& body, size_t grain = kMinElementsPerThread) {
#if defined(_OPENMP)
  const int threads = static_cast<int>(std::min<size_t>(size_t(elementwise_threads()), n / std::max<size_t>(grain, 1)));
  if (threads > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int k = 0; k < threads; ++k) {
      const ScopedFlushDenormals flush;
      const size_t from = n * size_t(k) / size_t(threads), to = n * size_t(k + 1) / size_t(threads);
      body(from, to - from);
    }
    return;
  }
#else
  (void)grain;
#endif
  body(size_t(0), n);
}

}  // namespace blasprop
