/**
 * `salted`: k buckets per device: partition key = `${deviceId}#${bucket}` with
 * bucket = seq mod k (round robin over the device's own sequence numbers).
 *
 * Why seq mod k and not a hash: round robin splits a chatty device's load exactly evenly over its
 * k keys (a hash would only do so on average), and a consumer can rebuild the device's full order
 * by merging the k sub-streams on seq, because every bucket's sequence is known (b, b+k, b+2k, …).
 *
 * Ordering: per bucket. Records of a device within one bucket are in order; across buckets only
 * the payload's seq restores order. Load: a device's traffic is spread over up to k shards.
 *
 * Bench path: the k bucket keys of every device are hashed once when devices × k ≤
 * `cacheLimit` (16 bytes each); above that each record builds and hashes its key string.
 */
import { ShardwiseError } from '../core/errors.ts';
import { hashPartitionKeyInto } from '../kinesis/hash-key.ts';
import type { DeviceKeys } from './device-keys.ts';
import { requireKeys } from './device-keying.ts';
import type { KeyInput, KeyResult, KeyingStrategy } from './strategy.ts';

export interface SaltedKeyingOptions {
  /** Buckets per device, 2 … 1024. */
  readonly buckets: number;
  /** Largest devices × buckets to precompute on the bench path (default 2,000,000 = 32 MB). */
  readonly cacheLimit?: number | undefined;
}

export class SaltedKeying implements KeyingStrategy {
  readonly kind = 'salted' as const;
  readonly ordering = 'per-bucket' as const;
  readonly buckets: number;
  private cache: Uint32Array | null | undefined;
  private readonly cacheLimit: number;

  constructor(
    options: SaltedKeyingOptions,
    private readonly keys?: DeviceKeys,
  ) {
    const k = options.buckets;
    if (!Number.isInteger(k) || k < 2 || k > 1024) {
      throw new ShardwiseError('E_CONFIG', `keying.buckets: expected an integer 2…1024, got ${String(k)}`);
    }
    this.buckets = k;
    this.cacheLimit = options.cacheLimit ?? 2_000_000;
  }

  bucketOf(seq: number): number {
    return seq % this.buckets;
  }

  keyFor(input: KeyInput): KeyResult {
    return { partitionKey: `${input.deviceId}#${this.bucketOf(input.seq)}` };
  }

  keyInto(device: number, seq: number, _bytes: number, out: Uint32Array, offset: number): number {
    const keys = requireKeys(this.keys, this.kind);
    const b = seq % this.buckets;
    const cache = this.cache === undefined ? this.buildCache(keys) : this.cache;
    if (cache !== null) {
      const i = (device * this.buckets + b) * 4;
      out[offset] = cache[i] as number;
      out[offset + 1] = cache[i + 1] as number;
      out[offset + 2] = cache[i + 2] as number;
      out[offset + 3] = cache[i + 3] as number;
    } else {
      hashPartitionKeyInto(`${keys.idOf(device)}#${b}`, out, offset);
    }
    return keys.keyLength(device) + 1 + digits(b);
  }

  partitionKeyOf(device: number, seq: number): string {
    return `${requireKeys(this.keys, this.kind).idOf(device)}#${seq % this.buckets}`;
  }

  explicitHashKeyOf(): undefined {
    return undefined;
  }

  private buildCache(keys: DeviceKeys): Uint32Array | null {
    const k = this.buckets;
    if (keys.count * k > this.cacheLimit) {
      this.cache = null;
      return null;
    }
    const cache = new Uint32Array(keys.count * k * 4);
    for (let d = 0; d < keys.count; d++) {
      const id = keys.idOf(d);
      for (let b = 0; b < k; b++) hashPartitionKeyInto(`${id}#${b}`, cache, (d * k + b) * 4);
    }
    this.cache = cache;
    return cache;
  }
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
}
