/**
 * Keying: how a record gets its partition key (and, for shard-aware strategies, an
 * ExplicitHashKey). One interface serves two callers:
 *
 * - the agent, which has strings: `keyFor({ deviceId, fields, seq, bytes })` → `{ partitionKey, explicitHashKey? }`;
 * - the bench, which has millions of devices as dense indices with precomputed key hashes
 *   (`DeviceKeys`): `keyInto(device, seq, bytes, out, offset)` writes the record's 128-bit hash key
 *   words and allocates nothing; `partitionKeyOf` / `explicitHashKeyOf` give the strings a real
 *   target sends.
 *
 * Ordering guarantees (Kinesis orders records per shard only; see docs/keying.md):
 * - `per-device`: all records of a device land on one shard, in order (device, balanced between moves).
 * - `per-key`: records with the same template key land on one shard, in order (field/template).
 * - `per-bucket`: records of a device with the same bucket (seq mod k) are in order (salted).
 * - `none`: records of a device spread over all shards (random).
 */

export type KeyingKind = 'device' | 'template' | 'random' | 'salted' | 'balanced';

export type OrderingGuarantee = 'per-device' | 'per-key' | 'per-bucket' | 'none';

/** One record as the agent keys it. */
export interface KeyInput {
  readonly deviceId: string;
  /** Parsed fields (JSON/CSV/MQTT), for the template strategy. */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /** Per-device sequence number (the envelope's); the salted strategy buckets by it. */
  readonly seq: number;
  /** Payload bytes; the balanced strategy measures load with it. */
  readonly bytes: number;
}

export interface KeyResult {
  readonly partitionKey: string;
  /** Decimal 0 … 2^128−1; set by shard-aware strategies (balanced). */
  readonly explicitHashKey?: string | undefined;
}

export interface KeyingStrategy {
  readonly kind: KeyingKind;
  readonly ordering: OrderingGuarantee;

  /** Agent path: keys one record (strings in, strings out). */
  keyFor(input: KeyInput): KeyResult;

  /**
   * Bench path: keys record `seq` of device index `device` (`bytes` of payload) and writes the
   * 128-bit hash key that picks its shard into `out[offset..offset+3]`. Returns the partition
   * key's UTF-8 length (it counts toward the shard's byte limit). Allocation-free except where a
   * strategy documents otherwise.
   */
  keyInto(device: number, seq: number, bytes: number, out: Uint32Array, offset: number): number;

  /** Bench path, for targets that send strings: the partition key of that record. */
  partitionKeyOf(device: number, seq: number): string;
  /** Bench path: the ExplicitHashKey of that record (undefined unless shard-aware). */
  explicitHashKeyOf(device: number, seq: number): string | undefined;
}

/**
 * Implemented by strategies that keep per-device in-flight counts (balanced): the caller reports
 * each keyed record's final outcome so a device is only moved once nothing of it is in flight.
 */
export interface AckAware {
  /** Records of `device` keyed but not yet acknowledged (or failed for good). */
  inFlight(device: number): number;
  /** `count` records of device index `device` reached a final outcome (accepted or given up). */
  onAckedIndex(device: number, count: number): void;
  /** Same, by device id (agent path). Unknown ids are ignored. */
  onAcked(deviceId: string, count: number): void;
}

export function isAckAware(s: KeyingStrategy): s is KeyingStrategy & AckAware {
  return typeof (s as Partial<AckAware>).onAckedIndex === 'function';
}
