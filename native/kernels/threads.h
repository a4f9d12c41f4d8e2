// threads.h — how many BLAS threads a pass over a network should use.
#pragma once
#include <algorithm>
#include <cstddef>
#include "network.h"

namespace blasprop {

// Below this many multiply-adds in a pass's largest BLAS call, a second thread only pays off when it
// has a core to itself: on the 2-core development machine, batch-1 training of 784-256-128-10 ran
// 30k samples/s on 2 threads when the machine was idle but 6–11k when other processes were busy
// (17k on 1 thread either way). setThreads(n, { adaptive: true }) applies this rule for shared machines.
constexpr double kMinMultiplyAddsPerThreadedCall = 4.0e6;

// The thread count for a pass with B rows: the configured count, or 1 for small calls.
template <typename T>
int network_blas_threads(const Network<T>& net, int B, int configured) {
  size_t largest = 0;
  for (int l = 1; l <= net.L; ++l) largest = std::max(largest, static_cast<size_t>(net.sizes[l]) * net.sizes[l - 1]);
  return double(B) * double(largest) < kMinMultiplyAddsPerThreadedCall ? 1 : configured;
}

}  // namespace blasprop
