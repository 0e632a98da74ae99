import { bigIntToWords, compareHashKeys, hashKeyToDecimal } from './hash-key.ts';

/** One shard as ListShards describes it. Hash keys as bigint (0 … 2^128−1). */
export interface ShardInfo {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
  readonly parentShardId?: string | undefined;
  readonly adjacentParentShardId?: string | undefined;
  /** False once the shard has an EndingSequenceNumber (closed by a split or merge). */
  readonly open: boolean;
}

const TWO_128 = 1n << 128n;

/** Formats a shard index the way the service names shards: shardId-000000000007. */
export function shardIdFor(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/**
 * The open shards of a stream, sorted by hash range, with an allocation-free lookup from a
 * 128-bit hash key (4 big-endian uint32 words) to a shard index by binary search.
 */
export class ShardMap {
  readonly shards: readonly ShardInfo[];
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  private readonly byId: Map<string, number>;

  private constructor(open: readonly ShardInfo[]) {
    this.shards = open;
    this.starts = new Uint32Array(open.length * 4);
    this.ends = new Uint32Array(open.length * 4);
    this.byId = new Map();
    open.forEach((s, i) => {
      bigIntToWords(s.startingHashKey, this.starts, i * 4);
      bigIntToWords(s.endingHashKey, this.ends, i * 4);
      this.byId.set(s.shardId, i);
    });
  }

  /** Builds a map from any ListShards result: closed shards are dropped, the rest sorted by range. */
  static fromShards(all: readonly ShardInfo[]): ShardMap {
    const open = all.filter((s) => s.open).sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
    return new ShardMap(open);
  }

  /** The hash-space split CreateStream makes for `count` shards: floor(2^128 / count) per shard, the last one takes the rest. */
  static uniform(count: number): ShardMap {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count: expected an integer ≥ 1, got ${count}`);
    const step = TWO_128 / BigInt(count);
    const shards: ShardInfo[] = [];
    for (let i = 0; i < count; i++) {
      const start = step * BigInt(i);
      const end = (i < count - 1 ? step * BigInt(i + 1) : TWO_128) - 1n;
      shards.push({ shardId: shardIdFor(i), startingHashKey: start, endingHashKey: end, open: true });
    }
    return new ShardMap(shards);
  }

  get size(): number {
    return this.shards.length;
  }

  /** Index of the open shard whose range holds the hash key, or -1 when no open shard covers it (a gap while resharding). */
  indexOfWords(words: Uint32Array, offset: number): number {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareHashKeys(words, offset, this.starts, mid * 4) < 0) hi = mid - 1;
      else if (compareHashKeys(words, offset, this.ends, mid * 4) > 0) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  indexOfHashKey(key: bigint): number {
    const w = new Uint32Array(4);
    bigIntToWords(key, w, 0);
    return this.indexOfWords(w, 0);
  }

  indexOfShardId(shardId: string): number {
    return this.byId.get(shardId) ?? -1;
  }

  shardIdAt(index: number): string {
    const s = this.shards[index];
    if (!s) throw new RangeError(`shard index ${index} out of range 0…${this.shards.length - 1}`);
    return s.shardId;
  }

  /** True when the hash key falls inside the range of the shard at `index`. */
  contains(index: number, words: Uint32Array, offset: number): boolean {
    return (
      compareHashKeys(words, offset, this.starts, index * 4) >= 0 && compareHashKeys(words, offset, this.ends, index * 4) <= 0
    );
  }

  /** Decimal starting hash key of a shard: a valid ExplicitHashKey that lands on it. */
  startingHashKeyDecimal(index: number): string {
    return hashKeyToDecimal(this.starts, index * 4);
  }

  /** Fraction of the 2^128 hash space each open shard owns (sums to 1 when the map is complete). */
  spaceShares(): number[] {
    return this.shards.map((s) => Number(((s.endingHashKey - s.startingHashKey + 1n) * 1_000_000_000n) / TWO_128) / 1e9);
  }
}
