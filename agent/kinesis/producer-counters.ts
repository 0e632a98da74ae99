import type { ShardwiseError } from '../core/errors.ts';
import type { ProducerStats, ShardCounters } from './producer-types.ts';

/** Counters the producer keeps; `snapshot()` copies them for metrics and reports. */
export class ProducerCounters {
  added = 0;
  accepted = 0;
  failedTotal = 0;
  kinesisAccepted = 0;
  requests = 0;
  requestErrors = 0;
  entriesFailed = 0;
  throttledEntries = 0;
  retried = 0;
  ttlExpired = 0;
  unexpectedShard = 0;
  resentOutOfRange = 0;
  reordered = 0;
  pendingVerifications = 0;
  private readonly byCode: Record<string, number> = {};
  private readonly shards = new Map<string, ShardCounters>();

  shard(id: string): ShardCounters {
    let c = this.shards.get(id);
    if (!c) this.shards.set(id, (c = { userRecords: 0, kinesisRecords: 0, bytes: 0, throttled: 0 }));
    return c;
  }

  entryAccepted(shardId: string, bytes: number, userRecords: number): void {
    const c = this.shard(shardId);
    c.kinesisRecords++;
    c.bytes += bytes;
    c.userRecords += userRecords;
    this.kinesisAccepted++;
  }

  entryFailed(shardId: string, err: ShardwiseError): void {
    this.entriesFailed++;
    if (err.code === 'E_THROTTLED') this.throttled(shardId);
  }

  throttled(shardId: string): void {
    this.throttledEntries++;
    this.shard(shardId).throttled++;
  }

  requestFailed(err: ShardwiseError): void {
    this.requestErrors++;
    this.byCode[`request:${err.code}`] = (this.byCode[`request:${err.code}`] ?? 0) + 1;
  }

  failed(code: string): void {
    this.failedTotal++;
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
  }

  snapshot(shardMapRefreshes: number): ProducerStats {
    const perShard = new Map<string, ShardCounters>();
    for (const [id, c] of this.shards) perShard.set(id, { ...c });
    return {
      userRecordsAdded: this.added,
      userRecordsAccepted: this.accepted,
      userRecordsFailed: this.failedTotal,
      kinesisRecordsAccepted: this.kinesisAccepted,
      requests: this.requests,
      requestErrors: this.requestErrors,
      entriesFailed: this.entriesFailed,
      throttledEntries: this.throttledEntries,
      retriedUserRecords: this.retried,
      ttlExpired: this.ttlExpired,
      unexpectedShard: this.unexpectedShard,
      resentOutOfRange: this.resentOutOfRange,
      reordered: this.reordered,
      shardMapRefreshes,
      failedByCode: { ...this.byCode },
      perShard,
    };
  }
}
