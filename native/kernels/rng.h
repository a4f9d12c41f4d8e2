// rng.h — xoshiro128** (Blackman & Vigna 2018), the generator lib/rng.ts implements bit for bit,
// so dropout masks drawn here equal the TypeScript backend's for the same seed.
#pragma once
#include <cstdint>

namespace blasprop {

inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// Advances the 4-word state s and returns the next 32-bit output.
inline uint32_t rng_next_u32(uint32_t* s) {
  const uint32_t result = rotl32(s[1] * 5u, 7) * 9u;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

}  // namespace blasprop
