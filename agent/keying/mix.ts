/** Small integer hash mixers (murmur3 finalizer) for deterministic per-record pseudo-randomness. */

/** murmur3 fmix32: a bijective avalanche of a 32-bit integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of (a, b, c). */
export function mix3(a: number, b: number, c: number): number {
  return fmix32(Math.imul(fmix32(a ^ 0x9e3779b9) ^ b, 0x27d4eb2f) ^ fmix32(c + 0x165667b1));
}

/** Uniform double in [0, 1) from a 32-bit hash. */
export function unitOf(h: number): number {
  return (h >>> 0) / 4294967296;
}
