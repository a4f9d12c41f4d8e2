// dropout.h — inverted dropout (Srivastava et al. 2014): at training time each unit is kept with
// probability 1 − p and scaled by 1/(1 − p), so inference uses the full network unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include "rng.h"

namespace blasprop {

// Draws mask[n] (0 or 1/(1 − p)) from the generator state and writes out = a ⊙ mask.
// A unit is dropped when its 32-bit draw u satisfies u < p · 2³², the rule lib/rng.ts follows too.
template <typename T>
void dropout_forward(double p, uint32_t* rng, const T* a, T* mask, T* out, size_t n) {
  const double threshold = p * 4294967296.0;
  const T keep_scale = T(1.0 / (1.0 - p));
  for (size_t k = 0; k < n; ++k) {
    mask[k] = double(rng_next_u32(rng)) < threshold ? T(0) : keep_scale;
    out[k] = a[k] * mask[k];
  }
}

// dA *= mask: the gradient flows only through the units the forward pass kept.
template <typename T>
void dropout_backward(const T* mask, T* dA, size_t n) {
  for (size_t k = 0; k < n; ++k) dA[k] *= mask[k];
}

}  // namespace blasprop
