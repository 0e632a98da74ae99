/**
 * Paces the spool's backlog (`spool.replayShare`): a record that waited in the spool longer than
 * `backlogAfterMs` is catch-up traffic, and catch-up may use at most `share` × the stream's
 * capacity (the per-shard write limits × open shards), so a gateway draining hours of backlog
 * leaves the rest of the stream to the other producers instead of throttling it. Fresh records
 * are not paced (the producer's per-shard limiter still applies to everything).
 *
 * With aggregation only bytes are counted: an aggregated record counts once against the
 * 1,000 records/s limit, so for small records bytes are the binding limit. Without it, each
 * record counts against records/s too. The spool is FIFO and the shipper adds records in the
 * order it read them, so pacing delays records but never reorders a device's records.
 */
import type { Clock } from '../core/clock.ts';
import { TokenBucket } from '../kinesis/token-bucket.ts';
import type { SpoolItem } from '../spool/spool.ts';

export interface ReplayPacing {
  /** Share of the stream's capacity the backlog may use, 0 < share ≤ 1. */
  readonly share: number;
  /** Write limits of one shard. */
  readonly shardRecordsPerSec: number;
  readonly shardBytesPerSec: number;
  /** Count records against records/s too (aggregation off). */
  readonly countRecords: boolean;
  /** A record older than this (ingest to read) is backlog; default 2 s. */
  readonly backlogAfterMs?: number | undefined;
}

export interface ReplayStats {
  readonly share: number;
  /** Open shards the rate was computed for (1 until the shard map is known). */
  readonly shards: number;
  /** Current caps for the backlog; recordsPerSec is null when records are not counted. */
  readonly bytesPerSec: number;
  readonly recordsPerSec: number | null;
  /** Backlog records (and their bytes: data + partition key) passed through the pacer. */
  readonly backlogRecords: number;
  readonly backlogBytes: number;
  /** Times the pacer held the backlog back, and the total wait it asked for. */
  readonly waits: number;
  readonly waitedMs: number;
}

/** Seconds of burst each bucket holds: short, so the cap holds over any second. */
const BURST_SECONDS = 0.2;

export class ReplayPacer {
  private shards = 0;
  private bytes!: TokenBucket;
  private records: TokenBucket | undefined;
  private backlogRecords = 0;
  private backlogBytes = 0;
  private waits = 0;
  private waitedMs = 0;
  private readonly backlogAfterMs: number;

  constructor(
    private readonly o: ReplayPacing,
    private readonly clock: Clock,
  ) {
    if (!(o.share > 0 && o.share <= 1)) throw new RangeError(`replay share: expected 0 < share ≤ 1, got ${o.share}`);
    this.backlogAfterMs = o.backlogAfterMs ?? 2000;
    this.setShards(1);
  }

  /**
   * 0 when `item` may go now (a backlog item is charged), else the milliseconds to wait before
   * asking again. `shards` is the number of open shards (undefined before the map is known).
   */
  admit(item: SpoolItem, shards: number | undefined): number {
    return this.admitParts(item.ingestTime, item.data.length, item.partitionKey.length, shards);
  }

  /** admit() of an entry given by its ingest time, data length and partition key length. */
  admitParts(ingestTime: number, dataLength: number, keyLength: number, shards: number | undefined): number {
    if (this.clock.wallNow() - ingestTime < this.backlogAfterMs) return 0;
    const n = shards === undefined || shards < 1 ? 1 : shards;
    if (n !== this.shards) this.setShards(n);
    const cost = dataLength + keyLength;
    const rec = this.records;
    if (!this.bytes.canTake(cost) || (rec !== undefined && !rec.canTake(1))) {
      const wait = Math.max(1, this.bytes.waitMs(cost), rec === undefined ? 0 : rec.waitMs(1));
      this.waits++;
      this.waitedMs += wait;
      return wait;
    }
    this.bytes.take(cost);
    rec?.take(1);
    this.backlogRecords++;
    this.backlogBytes += cost;
    return 0;
  }

  stats(): ReplayStats {
    return {
      share: this.o.share,
      shards: this.shards,
      bytesPerSec: this.bytes.ratePerSec,
      recordsPerSec: this.records?.ratePerSec ?? null,
      backlogRecords: this.backlogRecords,
      backlogBytes: this.backlogBytes,
      waits: this.waits,
      waitedMs: this.waitedMs,
    };
  }

  /** The stream was resharded (or its map became known): new rates, full buckets. */
  private setShards(n: number): void {
    this.shards = n;
    const bytesPerSec = this.o.share * this.o.shardBytesPerSec * n;
    this.bytes = new TokenBucket(bytesPerSec, bytesPerSec * BURST_SECONDS, this.clock);
    const recordsPerSec = this.o.share * this.o.shardRecordsPerSec * n;
    this.records = this.o.countRecords ? new TokenBucket(recordsPerSec, Math.max(1, recordsPerSec * BURST_SECONDS), this.clock) : undefined;
  }
}
