/**
 * `random`: a fresh random partition key per record.
 *
 * Ordering: none. A device's records spread over every shard, so consumers see them out of order
 * (reorder by the payload's sequence number if needed). Load: the flattest possible per record,
 * but it defeats per-device ordering and per-key aggregation locality.
 *
 * Agent path: 16 random hex characters from a fast PRNG (not crypto: keys need spread, not secrecy).
 * Bench path: the hash key is a deterministic mix of (seed, device, seq), uniform over 2^128, so a
 * seeded run is reproducible; `partitionKeyOf` returns the matching 16-hex-digit key text (a real
 * target hashes that text, which is just as uniform, but not the same 128-bit value).
 */
import { fmix32, mix3 } from './mix.ts';
import type { KeyInput, KeyResult, KeyingStrategy } from './strategy.ts';

const HEX = '0123456789abcdef';
const KEY_CHARS = 16;

export class RandomKeying implements KeyingStrategy {
  readonly kind = 'random' as const;
  readonly ordering = 'none' as const;
  private s0: number;
  private s1: number;

  constructor(private readonly seed: number = (Math.random() * 2 ** 32) >>> 0) {
    this.s0 = fmix32(seed ^ 0xa5a5a5a5) | 1;
    this.s1 = fmix32(seed + 0x3c6ef372) | 1;
  }

  keyFor(_input: KeyInput): KeyResult {
    return { partitionKey: hex64(this.next(), this.next()) };
  }

  keyInto(device: number, seq: number, _bytes: number, out: Uint32Array, offset: number): number {
    const a = mix3(this.seed, device, seq);
    const b = mix3(a, seq, device ^ 0x5bd1e995);
    out[offset] = a;
    out[offset + 1] = b;
    out[offset + 2] = fmix32(a ^ b);
    out[offset + 3] = fmix32(b + 0x7f4a7c15);
    return KEY_CHARS;
  }

  partitionKeyOf(device: number, seq: number): string {
    const a = mix3(this.seed, device, seq);
    return hex64(a, mix3(a, seq, device ^ 0x5bd1e995));
  }

  explicitHashKeyOf(): undefined {
    return undefined;
  }

  /** xorshift64-style step on two 32-bit halves. */
  private next(): number {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= x << 23;
    this.s1 = x ^ y ^ (x >>> 17) ^ (y >>> 26);
    return (this.s1 + y) >>> 0;
  }
}

function hex64(a: number, b: number): string {
  let s = '';
  for (let k = 28; k >= 0; k -= 4) s += HEX[(a >>> k) & 15];
  for (let k = 28; k >= 0; k -= 4) s += HEX[(b >>> k) & 15];
  return s;
}
