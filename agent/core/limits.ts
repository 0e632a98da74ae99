/** Kinesis Data Streams service limits (AWS API reference). Defaults; make them configurable where they may change. */
export const KINESIS_LIMITS = {
  /** Data + partition key, bytes. */
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyChars: 256,
  maxRecordsPerPutRecords: 500,
  /** Data + partition keys of all entries, bytes. */
  maxBytesPerPutRecords: 5 * 1024 * 1024,
  shardWriteRecordsPerSec: 1000,
  shardWriteBytesPerSec: 1024 * 1024,
  shardReadBytesPerSec: 2 * 1024 * 1024,
  shardGetRecordsPerSec: 5,
  listShardsMaxResults: 1000,
  /** Largest hash key: 2^128 - 1. */
  maxHashKey: (1n << 128n) - 1n,
} as const;

/** KPL defaults that we copy. */
export const KPL_DEFAULTS = {
  maxAggregateBytes: 51_200,
  lingerMs: 100,
  recordTtlMs: 30_000,
  rateLimitFactor: 1.5,
} as const;

/** A PUT payload unit is a 25 KB chunk of a record (cost model). */
export const PUT_PAYLOAD_UNIT_BYTES = 25 * 1024;
