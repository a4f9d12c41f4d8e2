// threads.h — how many BLAS threads a pass over a network should use.
#pragma once
#include <algorithm>
#include <cstddef>
#include "network.h"

namespace blasprop {

// Below this many multiply-adds in a pass's largest BLAS call, splitting the call across threads
// costs more in start-up and synchronisation than it saves: OpenBLAS 0.3.21 threads gemv and ger from
// ~8k elements and gemm almost always, which made batch-1 training 2× slower with 2 threads than
// with 1 on the 2-core development machine (bench/results.md has the measurements).
constexpr double kMinMultiplyAddsPerThreadedCall = 4.0e6;

// The thread count for a pass with B rows: the configured count, or 1 for small calls.
template <typename T>
int network_blas_threads(const Network<T>& net, int B, int configured) {
  size_t largest = 0;
  for (int l = 1; l <= net.L; ++l) largest = std::max(largest, static_cast<size_t>(net.sizes[l]) * net.sizes[l - 1]);
  return double(B) * double(largest) < kMinMultiplyAddsPerThreadedCall ? 1 : configured;
}

}  // namespace blasprop
