/**
 * Typed errors with stable codes. `retryable` says whether the same operation may succeed later.
 * A PutRecords partial failure is not an exception: it is a per-record result (see kinesis/outcome.ts).
 */
export type ErrorCode =
  // record validation (never retryable)
  | 'E_RECORD_TOO_LARGE'
  | 'E_PARTITION_KEY'
  | 'E_EXPLICIT_HASH_KEY'
  | 'E_EMPTY_DATA'
  // service answers
  | 'E_THROTTLED'
  | 'E_KMS_THROTTLED'
  | 'E_INTERNAL_FAILURE'
  | 'E_SERVICE_UNAVAILABLE'
  | 'E_NETWORK'
  | 'E_TIMEOUT'
  | 'E_STREAM_NOT_FOUND'
  | 'E_ACCESS_DENIED'
  | 'E_EXPIRED_TOKEN'
  | 'E_INVALID_ARGUMENT'
  | 'E_KMS'
  | 'E_UNKNOWN_SERVICE_ERROR'
  // producer life cycle
  | 'E_TTL_EXPIRED'
  | 'E_PRODUCER_CLOSED'
  | 'E_SHARD_MAP'
  // KPL aggregation format (kinesis/aggregation.ts)
  | 'E_AGGREGATE_CORRUPT'
  | 'E_AGGREGATE_EMPTY'
  // local emulators and test infrastructure (bench/emulators/)
  | 'E_EMULATOR'
  // MQTT source (sources/mqtt/): broker refused a subscription; the mqtt.js client lacks a hook we rely on
  | 'E_MQTT_SUBSCRIBE'
  | 'E_MQTT_CLIENT'
  // file and video sources (sources/file/, sources/video/): unreadable or unwritable checkpoint/state file
  | 'E_CHECKPOINT'
  // spool (spool/): used after close(); a filesystem error it cannot survive (at open)
  | 'E_SPOOL_CLOSED'
  | 'E_SPOOL_IO'
  // envelope (envelope/): per-device sequence state cannot be read or made durable
  | 'E_SEQ_STATE'
  // lifecycle (lifecycle/): a part did not stop within the shutdown timeout
  | 'E_SHUTDOWN_TIMEOUT'
  // configuration
  | 'E_CONFIG';

export class ShardwiseError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShardwiseError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A user record failed validation before any request was made. */
export class RecordValidationError extends ShardwiseError {
  constructor(code: 'E_RECORD_TOO_LARGE' | 'E_PARTITION_KEY' | 'E_EXPLICIT_HASH_KEY' | 'E_EMPTY_DATA', message: string) {
    super(code, message, { retryable: false });
    this.name = 'RecordValidationError';
  }
}

/** The Kinesis service (or the network on the way) refused a request or an entry. */
export class KinesisServiceError extends ShardwiseError {
  /** The service's own error name, e.g. `ProvisionedThroughputExceededException`. */
  readonly serviceCode: string;
  constructor(code: ErrorCode, serviceCode: string, message: string, retryable: boolean, cause?: unknown) {
    super(code, message, { retryable, cause });
    this.name = 'KinesisServiceError';
    this.serviceCode = serviceCode;
  }
}

export function isShardwiseError(e: unknown): e is ShardwiseError {
  return e instanceof ShardwiseError;
}
