import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock } from '../core/clock.ts';
import type { ShardwiseError } from '../core/errors.ts';
import type { UserRecord } from '../core/record.ts';
import type { BackoffOptions } from './backoff.ts';
import type { KinesisEndpoint, Transport } from './kinesis-endpoint.ts';
import type { StreamRef } from './stream-ref.ts';

export interface ProducerOptions {
  /**
   * Where requests go: an endpoint (kinesis-endpoint.ts; the SDK is loaded only if needed), or an
   * SDK client, whose region, endpoint and credentials the direct requests then use.
   */
  readonly client: KinesisClient | KinesisEndpoint;
  readonly stream: StreamRef;
  /**
   * KPL aggregation per predicted shard. Default on, 51,200-byte aggregates. `simdDigests`: compute
   * the MD5s of the aggregates a pump plans side by side in WebAssembly SIMD lanes (md5-batch.ts;
   * ~1.6x node:crypto per aggregate when several are planned at once). Default off: loading V8's
   * WebAssembly compiler costs a process ~9 MiB of RSS, too much on a gateway for what it saves.
   */
  readonly aggregation?: { readonly enabled: boolean; readonly maxBytes?: number; readonly simdDigests?: boolean } | undefined;
  /** How long a record may wait for company before its shard's batch goes out. Default 100 ms. */
  readonly lingerMs?: number | undefined;
  /** Concurrent PutRecords requests. Default 4. */
  readonly concurrency?: number | undefined;
  /** Entries a PutRecords request may hold (≤ 500) and their bytes incl. partition keys (≤ 5 MiB). */
  readonly maxRequestRecords?: number | undefined;
  readonly maxRequestBytes?: number | undefined;
  /**
   * Entries one shard may place in one request. One shard never has two requests in flight, so with
   * 1 (the default when aggregating) per-key order holds even through partial failures; more raises
   * a shard's throughput per round trip but a partial failure can then reorder (counted as `reordered`).
   * Default: 1 with aggregation, 500 without.
   */
  readonly maxEntriesPerShardPerRequest?: number | undefined;
  /** Per-shard token buckets so a steady producer stays under the shard limits. */
  readonly rateLimit?:
    | { readonly enabled: boolean; readonly recordsPerSec?: number; readonly bytesPerSec?: number; readonly factor?: number }
    | undefined;
  /** A record not accepted within this time is reported failed (E_TTL_EXPIRED). 0 = never. Default 30 s. */
  readonly recordTtlMs?: number | undefined;
  readonly retry?: BackoffOptions | undefined;
  /** add() returns false (and waitForCapacity() waits) beyond these. Defaults 100,000 records / 64 MiB. */
  readonly maxBufferedRecords?: number | undefined;
  readonly maxBufferedBytes?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly random?: (() => number) | undefined;
  /**
   * How PutRecords and ListShards are sent: `direct` (default for a stream named by `streamName`)
   * sends JSON requests signed by our SigV4 signer (sigv4.ts), the PutRecords body built with Node's
   * native base64; `sdk` goes through the SDK client (always used for a stream ARN, and for regions
   * outside the partitions whose endpoint we know).
   */
  readonly transport?: Transport | undefined;
  /** Request timeout of the direct transport when `client` is an SDK client (the SDK transport uses the client's; an endpoint has its own). Default 10 s. */
  readonly requestTimeoutMs?: number | undefined;
}

/** Per user record outcomes. Called exactly once per record added. */
export interface ProducerListener<T> {
  /** `now`: the producer's clock (monotonic ms) when the answer came, read once per answer. */
  onAccepted(token: T, shardId: string, sequenceNumber: string, subSequence: number, attempts: number, now: number): void;
  /** `record` is the record as added (rebuilt: the producer keeps its parts, not the object). */
  onFailed(token: T, error: ShardwiseError, attempts: number, record: UserRecord): void;
}

export interface ShardCounters {
  userRecords: number;
  kinesisRecords: number;
  bytes: number;
  throttled: number;
}

export interface ProducerStats {
  userRecordsAdded: number;
  userRecordsAccepted: number;
  userRecordsFailed: number;
  kinesisRecordsAccepted: number;
  requests: number;
  requestErrors: number;
  entriesFailed: number;
  throttledEntries: number;
  retriedUserRecords: number;
  ttlExpired: number;
  unexpectedShard: number;
  resentOutOfRange: number;
  reordered: number;
  shardMapRefreshes: number;
  failedByCode: Record<string, number>;
  perShard: Map<string, ShardCounters>;
}

export type { UserRecord };
