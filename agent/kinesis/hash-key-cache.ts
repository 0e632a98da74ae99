import { hashPartitionKeyInto } from './hash-key.ts';

/**
 * Hash keys (MD5 of the partition key) of recently seen partition keys. A gateway keys by device
 * id, so a few thousand keys repeat millions of times: a Map lookup costs a small fraction of an
 * MD5. Holds at most `capacity` keys; when full it starts over, and when the keys did not repeat
 * (random keys) it stops caching for a while, so such keys pay little more than the MD5.
 */
export class HashKeyCache {
  private readonly index = new Map<string, number>();
  private readonly words: Uint32Array;
  /** Lookups answered since the cache last started over. */
  private hits = 0;
  /** Misses still to go before caching again (after a full cache whose keys did not repeat). */
  private bypass = 0;

  constructor(private readonly capacity = 4096) {
    this.words = new Uint32Array(4 * capacity);
  }

  /** Writes the hash key of `key` into out[offset..offset+3], as hashPartitionKeyInto does. */
  into(key: string, out: Uint32Array, offset: number): void {
    const slot = this.index.get(key);
    const w = this.words;
    if (slot !== undefined) {
      this.hits++;
      const at = 4 * slot;
      out[offset] = w[at] as number;
      out[offset + 1] = w[at + 1] as number;
      out[offset + 2] = w[at + 2] as number;
      out[offset + 3] = w[at + 3] as number;
      return;
    }
    hashPartitionKeyInto(key, out, offset);
    if (this.bypass > 0) {
      this.bypass--;
      return;
    }
    if (this.index.size === this.capacity) {
      const repeating = this.hits >= this.capacity;
      this.index.clear();
      this.hits = 0;
      if (!repeating) {
        this.bypass = 16 * this.capacity;
        return;
      }
    }
    const at = 4 * this.index.size;
    this.index.set(key, this.index.size);
    w[at] = out[offset] as number;
    w[at + 1] = out[offset + 1] as number;
    w[at + 2] = out[offset + 2] as number;
    w[at + 3] = out[offset + 3] as number;
  }
}
