// bf16.h — float32 → bfloat16 conversion for the mixed-precision products: the upper 16 bits of
// the float, rounded to nearest even (the rounding of vcvtneps2bf16 and of PyTorch's autocast).
// The relative rounding error is at most 2^-8 (8 significant bits). Inputs are finite (the façade
// rejects NaN and ±Infinity in data; non-finite weights are not rounded specially).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace blasprop {

// bf16(x): the upper half of x's bits after adding half an ulp of bf16 (ties to even).
inline uint16_t bf16_round(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

// out[k] = bf16(in[k]) for k < n. A flat loop the compiler vectorizes.
inline void bf16_from_float(const float* in, uint16_t* out, size_t n) {
  for (size_t k = 0; k < n; ++k) out[k] = bf16_round(in[k]);
}

}  // namespace blasprop
