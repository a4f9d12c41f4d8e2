// An independent reference for tests: a plain, unoptimized forward pass and loss written from the
// the lecture's equations, sharing no code with either backend.
export type Act = 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leaky-relu' | 'softmax';

export interface RefLayer {
  W: number[][]; // [out][in]
  b: number[];
  activation: Act;
  slope?: number;
}

export function g(act: Act, z: number[], slope = 0.01): number[] {
  switch (act) {
    case 'identity': return z.slice();
    case 'sigmoid': return z.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh': return z.map(Math.tanh);
    case 'relu': return z.map((v) => Math.max(0, v));
    case 'leaky-relu': return z.map((v) => (v > 0 ? v : slope * v));
    case 'softmax': {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, c) => a + c, 0);
      return e.map((v) => v / s);
    }
  }
}

/** a^L for one input row: z^l = W^l a^(l-1) + b^l, a^l = g(z^l). */
export function forward(layers: RefLayer[], x: number[]): number[] {
  let a = x;
  for (const layer of layers) {
    const z = layer.W.map((row, j) => row.reduce((s, w, k) => s + w * a[k]!, 0) + layer.b[j]!);
    a = g(layer.activation, z, layer.slope);
  }
  return a;
}

/** Splits a flat W^1 b^1 … buffer into reference layers. */
export function unflatten(params: ArrayLike<number>, sizes: number[], acts: Act[], slopes?: number[]): RefLayer[] {
  const layers: RefLayer[] = [];
  let o = 0;
  for (let l = 1; l < sizes.length; l++) {
    const out = sizes[l]!, inp = sizes[l - 1]!;
    const W: number[][] = [];
    for (let r = 0; r < out; r++) {
      W.push(Array.from({ length: inp }, (_, c) => params[o + r * inp + c]!));
    }
    o += out * inp;
    const b = Array.from({ length: out }, (_, j) => params[o + j]!);
    o += out;
    layers.push({ W, b, activation: acts[l - 1]!, slope: slopes?.[l - 1] });
  }
  return layers;
}

/** Seeded test data: a tiny LCG so the tests do not depend on the library's own RNG. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomRows(rows: number, cols: number, rand: () => number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rand() * 2 - 1) * scale));
}
