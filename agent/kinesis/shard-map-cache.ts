import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { classifyRequestError } from './classify.ts';
import { ShardMap, type ShardInfo } from './shard-map.ts';

/** Every shard of the stream, open and closed (one ListShards walk, e.g. listAllShards). */
export type ShardLister = () => Promise<ShardInfo[]>;

export interface ShardMapCacheOptions {
  /** Least time between two ListShards calls (the API allows 100 TPS per stream, shared by every producer). */
  readonly minRefreshIntervalMs?: number;
  /** Ceiling of the backoff after failed refreshes. */
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
}

/**
 * The current shard map of one stream, refreshed on demand (a record landed on a shard we did not
 * predict, a gap in the hash space) with coalescing and backoff. Also remembers every shard ever
 * seen, closed ones included, so a landing shard's true range is known after a reshard.
 */
export class ShardMapCache {
  private map: ShardMap | undefined;
  private readonly known = new Map<string, ShardInfo>();
  private inflight: Promise<ShardMap> | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  refreshes = 0;
  refreshFailures = 0;

  constructor(
    private readonly listShards: ShardLister,
    private readonly opts: ShardMapCacheOptions = {},
  ) {}

  /** The current map; throws when none was loaded yet. */
  current(): ShardMap {
    if (!this.map) throw new Error('shard map not loaded: call refresh() first');
    return this.map;
  }

  get loaded(): boolean {
    return this.map !== undefined;
  }

  /** Range of any shard seen so far, open or closed. */
  shardInfo(shardId: string): ShardInfo | undefined {
    return this.known.get(shardId);
  }

  /** Reloads the map; concurrent callers share one ListShards walk; calls closer than the minimum interval wait for it. */
  refresh(): Promise<ShardMap> {
    if (this.inflight) return this.inflight;
    this.inflight = this.doRefresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async doRefresh(): Promise<ShardMap> {
    const clock = this.opts.clock ?? systemClock;
    const minInterval = this.opts.minRefreshIntervalMs ?? 1000;
    const backoff = this.failures === 0 ? 0 : Math.min(this.opts.maxBackoffMs ?? 30_000, minInterval * 2 ** this.failures);
    const wait = this.lastAttempt + Math.max(minInterval, backoff) - clock.now();
    if (wait > 0 && this.map) await new Promise((r) => setTimeout(r, wait));
    this.lastAttempt = clock.now();
    try {
      const shards = await this.listShards();
      for (const s of shards) this.known.set(s.shardId, s);
      const map = ShardMap.fromShards(shards);
      if (map.size === 0) throw new Error('the stream has no open shards');
      this.map = map;
      this.failures = 0;
      this.refreshes++;
      return map;
    } catch (err) {
      this.failures++;
      this.refreshFailures++;
      throw classifyRequestError(err);
    }
  }
}
