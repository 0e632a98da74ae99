/**
 * Pinning a device inside a shard's hash range: key = start + floor(h64 × (end − start) / 2^64),
 * where h64 is the top 64 bits of MD5(device id). The result always lies in [start, end], keeps
 * the devices' hash order inside the range (so splitting the shard at any point divides its
 * devices in proportion to the split), and costs 16 limb multiplications (no BigInt).
 */
import type { ShardMap } from '../kinesis/shard-map.ts';
import { bigIntToWords } from '../kinesis/hash-key.ts';

/** Per-shard start and span (end − start) words of a shard map, for `pinInto`. */
export class ShardRanges {
  readonly starts: Uint32Array;
  readonly spans: Uint32Array;
  readonly size: number;

  constructor(readonly map: ShardMap) {
    const n = map.size;
    this.size = n;
    this.starts = new Uint32Array(n * 4);
    this.spans = new Uint32Array(n * 4);
    map.shards.forEach((s, i) => {
      bigIntToWords(s.startingHashKey, this.starts, i * 4);
      bigIntToWords(s.endingHashKey - s.startingHashKey, this.spans, i * 4);
    });
  }

  /** Writes the pinned hash key of the device whose hash words are at `hash[hi..]` inside shard `shard`. */
  pinInto(shard: number, hash: Uint32Array, hi: number, out: Uint32Array, offset: number): void {
    pinInto(hash, hi, this.starts, this.spans, shard * 4, out, offset);
  }
}

const prod = new Float64Array(12);

/** out = start + floor(topHalf(hash) × span / 2^64); start/span at `starts[si..]`/`spans[si..]`. */
export function pinInto(
  hash: Uint32Array,
  hi: number,
  starts: Uint32Array,
  spans: Uint32Array,
  si: number,
  out: Uint32Array,
  offset: number,
): void {
  // 16-bit limbs, least significant first.
  const h0 = hash[hi + 1] as number; // low word of the top 64 bits
  const h1 = hash[hi] as number;
  const a0 = h0 & 0xffff;
  const a1 = h0 >>> 16;
  const a2 = h1 & 0xffff;
  const a3 = h1 >>> 16;
  prod.fill(0);
  for (let w = 0; w < 4; w++) {
    const sw = spans[si + 3 - w] as number; // w = 0: least significant word
    const lo = sw & 0xffff;
    const hiL = sw >>> 16;
    const j0 = 2 * w;
    const j1 = j0 + 1;
    prod[j0] = (prod[j0] as number) + a0 * lo;
    prod[j0 + 1] = (prod[j0 + 1] as number) + a1 * lo + a0 * hiL;
    prod[j0 + 2] = (prod[j0 + 2] as number) + a2 * lo + a1 * hiL;
    prod[j0 + 3] = (prod[j0 + 3] as number) + a3 * lo + a2 * hiL;
    prod[j1 + 3] = (prod[j1 + 3] as number) + a3 * hiL;
  }
  // Carry through; limbs 4…11 are the product shifted right by 64 bits.
  let carry = 0;
  let w3 = 0;
  let w2 = 0;
  let w1 = 0;
  let w0 = 0;
  for (let k = 0; k < 12; k++) {
    const v = (prod[k] as number) + carry;
    carry = Math.floor(v / 65536);
    const limb = v - carry * 65536;
    if (k === 4) w3 = limb;
    else if (k === 5) w3 += limb * 65536;
    else if (k === 6) w2 = limb;
    else if (k === 7) w2 += limb * 65536;
    else if (k === 8) w1 = limb;
    else if (k === 9) w1 += limb * 65536;
    else if (k === 10) w0 = limb;
    else if (k === 11) w0 += limb * 65536;
  }
  // out = start + offset (128-bit add; never overflows since offset ≤ span).
  let s = (starts[si + 3] as number) + w3;
  out[offset + 3] = s >>> 0;
  let c = s > 0xffffffff ? 1 : 0;
  s = (starts[si + 2] as number) + w2 + c;
  out[offset + 2] = s >>> 0;
  c = s > 0xffffffff ? 1 : 0;
  s = (starts[si + 1] as number) + w1 + c;
  out[offset + 1] = s >>> 0;
  c = s > 0xffffffff ? 1 : 0;
  out[offset] = ((starts[si] as number) + w0 + c) >>> 0;
}
