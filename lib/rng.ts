// A seeded random number generator: xoshiro128** (Blackman & Vigna 2018), seeded by splitmix32.
// native/kernels/rng.h implements the same generator bit for bit, so dropout masks and every
// random choice are the same on both backends for the same seed.

/** Seeds a 4-word xoshiro128** state from a 32-bit seed with splitmix32. */
export function seedState(seed: number): Uint32Array {
  const state = new Uint32Array(4);
  let x = seed >>> 0;
  for (let k = 0; k < 4; k++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    state[k] = (z ^ (z >>> 16)) >>> 0;
  }
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return state;
}

/** Advances the state and returns the next 32-bit output (native rng_next_u32). */
export function nextU32(s: Uint32Array): number {
  let s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  const x = Math.imul(s1, 5);
  const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = (s3 << 11) | (s3 >>> 21);
  s[0] = s0;
  s[1] = s1;
  s[2] = s2;
  s[3] = s3;
  return result;
}

/** A generator over a state that it owns or shares. */
export class Rng {
  readonly state: Uint32Array;

  constructor(seedOrState: number | Uint32Array) {
    this.state = typeof seedOrState === 'number' ? seedState(seedOrState) : seedOrState;
  }

  nextU32(): number {
    return nextU32(this.state);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by Box–Muller (one of the pair; deterministic across platforms). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Integer in [0, n) for n ≤ 2^32. */
  below(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle(order: Int32Array): void {
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}
