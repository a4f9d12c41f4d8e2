// flush_denormals.h — subnormal floats are flushed to zero while a pass runs (as PyTorch's
// set_flush_denormal). Late in training, softmax tails and deltas underflow into the subnormal
// range, where x86 arithmetic is many times slower: MNIST epochs 8–10 of the demo ran at 26k instead
// of 43k samples/s. Values that small (< 1.2e-38 in float32) carry no information for training.
// x86: MXCSR's flush-to-zero and denormals-are-zero bits; AArch64: FPCR.FZ, which does both.
// Elsewhere (WebAssembly has no such control) subnormals are kept.
#pragma once
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <cstdint>

namespace blasprop {

// Sets flush-to-zero and denormals-are-zero on this thread for the object's lifetime.
class ScopedFlushDenormals {
 public:
#if defined(__SSE__)
  static constexpr unsigned int kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  ScopedFlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~ScopedFlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned int saved_;
#elif defined(__aarch64__)
  static constexpr uint64_t kFlushToZero = uint64_t(1) << 24;  // FPCR.FZ
  ScopedFlushDenormals() {
    asm volatile("mrs %0, fpcr" : "=r"(saved_));
    asm volatile("msr fpcr, %0" : : "r"(saved_ | kFlushToZero));
  }
  ~ScopedFlushDenormals() { asm volatile("msr fpcr, %0" : : "r"(saved_)); }

 private:
  uint64_t saved_;
#else
  ScopedFlushDenormals() {}  // user-provided, so a scoped instance is not an "unused variable"
#endif
};

}  // namespace blasprop
