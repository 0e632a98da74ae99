/**
 * Where the bench sends records: one file per target (model://, kinesis://, mqtt://, http(s)://,
 * file://), all behind this interface.
 *
 * The engine hands a target whole `RecordBatch`es (struct of typed arrays, pooled) and the target
 * writes each record's outcome into the batch in place — shard index, status, ack time — so no
 * per-record object, promise or closure exists. One promise per batch (request) is the only
 * allocation the contract needs.
 *
 * Contract (every implementation, and every fake, must keep it; test/bench/target-contract.ts):
 * - `open` before anything else; `describe` is valid after `open` (shard ids may come from the service).
 * - `send(batch)` resolves once EVERY record of the batch has a result:
 *   `status[i]` (STATUS_OK / STATUS_THROTTLED / STATUS_FAILED), `shard[i]` (index into
 *   `describe().shards`, −1 if unknown) and `ackMs[i]` (run clock), and sets `batch.doneAtMs`.
 *   Per-record failures (throttling, InternalFailure) are results, not rejections. A rejection
 *   means the whole batch failed (network, credentials); the engine then marks every record failed.
 * - A target that aggregates fills `kinesisCount`/`kShard`/`kBytes`/`kThrottled` with the Kinesis
 *   records it wrote; otherwise leaves `kinesisCount` at −1.
 * - The target must not keep a reference to the batch after `send` resolves (the engine reuses it).
 * - In virtual mode (`ctx.virtual`), a target never waits on wall time: it computes `ackMs` and
 *   `doneAtMs` on the run clock, and the engine treats the batch as in flight until then.
 * - `close` releases everything; it is called once, after the last `send` settled.
 * - `describe()` may grow its `shards` list during a run (new shards after a reshard get new
 *   indices; existing indices never change); the engine reads it again at the end.
 */
import type { Clock } from '../../agent/core/clock.ts';
import type { ShardMap } from '../../agent/kinesis/shard-map.ts';
import type { RecordBatch } from '../engine/record-batch.ts';

/** What a target can ask the engine for each record beyond the batch's columns. */
export interface RecordKeys {
  /** The record's partition key (string targets: Kinesis, MQTT topic, HTTP header). */
  partitionKeyOf(device: number, seq: number): string;
  /** Its ExplicitHashKey, when the keying strategy pins one. */
  explicitHashKeyOf(device: number, seq: number): string | undefined;
}

export interface TargetContext {
  readonly keys: RecordKeys;
  /** The device id of a device index (for targets that address devices, e.g. MQTT topics). */
  readonly deviceIdOf: (device: number) => string;
  /** The run clock: ms since the run started (virtual in virtual mode). */
  readonly clock: Clock;
  readonly virtual: boolean;
  /**
   * A Kinesis-like target calls this when the stream's shard map changed (a reshard seen by the
   * producer), so shard-aware keying (balanced) follows it. Optional: fakes may ignore it.
   */
  readonly shardMapChanged?: ((map: ShardMap) => void) | undefined;
}

/** Counters of one shard as the target itself saw them. */
export interface TargetShardStats {
  readonly userRecords: number;
  readonly kinesisRecords: number;
  readonly bytes: number;
  /** Write attempts the service refused for throughput (retried or not). */
  readonly throttledAttempts: number;
}

/** What a target measured itself (optional `Target.stats()`); workers' stats add up. */
export interface TargetStats {
  /** Throttle events (e.g. PutRecords entries refused with ProvisionedThroughputExceeded), retried or not. */
  readonly throttledAttempts: number;
  /** By shard id. */
  readonly perShard: Readonly<Record<string, TargetShardStats>>;
  /** Request round-trip latency (e.g. PutRecords), an encoded µs HDR histogram, when measured. */
  readonly requestLatency?: string | undefined;
  /** Other counters by name (requests, retries, connections, …). */
  readonly counters: Readonly<Record<string, number>>;
}

export interface TargetCapabilities {
  /** The engine encodes payload bytes into the batch only when true (the model needs sizes only). */
  readonly needsPayload: boolean;
  /** Largest batch the target accepts per `send` (Kinesis PutRecords: 500). */
  readonly maxBatchRecords: number;
  /** Whether the target can run in virtual time (never waits on wall time). */
  readonly virtualTime: boolean;
}

export interface ShardLimits {
  readonly recordsPerSec: number;
  readonly bytesPerSec: number;
}

export interface TargetDescription {
  /** The target as the user wrote it, e.g. `model://?shards=8`. */
  readonly url: string;
  /** `model`, `kinesis`, `mqtt`, `http`, `file`, or a test fake's name. */
  readonly kind: string;
  /** Shard ids by shard index (empty when the target has no shards). */
  readonly shards: readonly string[];
  /** Per-shard write limits reports measure utilisation against (Kinesis defaults when absent). */
  readonly limits?: ShardLimits | undefined;
  /** True when the target aggregates user records into Kinesis records. */
  readonly aggregation: boolean;
  /** The stream's open shards (Kinesis-like targets): shard-aware keying (balanced) pins keys in them. */
  readonly shardMap?: ShardMap | undefined;
}

export interface Target {
  readonly capabilities: TargetCapabilities;
  open(ctx: TargetContext): Promise<void>;
  send(batch: RecordBatch): Promise<void>;
  close(): Promise<void>;
  describe(): TargetDescription;
  /** Optional: the target's own counters (cheap enough to call once a second). */
  stats?(): TargetStats;
}
