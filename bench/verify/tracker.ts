/**
 * Per-device bookkeeping of a stream read back (verify): which seqs arrived (a bitset per
 * device), duplicates, order, and latency from the intended send time to the arrival timestamp.
 *
 * - lost: per device, seqs missing below the highest seen (gaps); with the run's per-device
 *   counts, also `missing` = expected − distinct seen, which includes losses at the tail.
 * - duplicates: a (device, seq) seen again.
 * - outOfOrder: a device's seq lower than its previous one, counted only when the two records
 *   came from the same shard or the later one from a descendant of the earlier one's shard
 *   (records are ordered per shard only; the reader delivers parents before children).
 */
import { LatencyRecorder } from '../results/latency-recorder.ts';
import type { PayloadFields } from './payload-fields.ts';
import { readPayloadFields } from './payload-fields.ts';

interface DeviceTrack {
  seen: Uint8Array;
  max: number;
  distinct: number;
  lastSeq: number;
  lastShard: string;
}

export interface TrackerOptions {
  /** True when shard `ancestor` is `shard` or one of its ancestors (parents, their parents …). */
  readonly related: (ancestor: string, shard: string) => boolean;
  /** Records whose intended time is before this (µs since the epoch) belong to an earlier run: skipped. */
  readonly sinceUs?: number | undefined;
}

export interface TrackerTotals {
  readonly records: number;
  readonly devices: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Records whose payload is not a bench payload. */
  readonly unparsed: number;
  /** Records of an earlier run (intended time before `sinceUs`), skipped. */
  readonly skippedOlder: number;
  /** Arrival before the intended time (clock skew between the bench host and the service). */
  readonly negativeLatency: number;
  readonly perShard: ReadonlyMap<string, number>;
}

export class VerifyTracker {
  readonly latency = new LatencyRecorder();
  private readonly devices = new Map<string, DeviceTrack>();
  private readonly fields: PayloadFields = { device: '', seq: 0, tsUs: 0 };
  private readonly perShard = new Map<string, number>();
  private records = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private unparsed = 0;
  private skippedOlder = 0;
  private negative = 0;

  constructor(private readonly options: TrackerOptions) {}

  add(shardId: string, data: Uint8Array, arrivalMs: number): void {
    const f = this.fields;
    if (!readPayloadFields(data, f)) {
      this.unparsed++;
      return;
    }
    if (this.options.sinceUs !== undefined && f.tsUs < this.options.sinceUs) {
      this.skippedOlder++;
      return;
    }
    this.records++;
    this.perShard.set(shardId, (this.perShard.get(shardId) ?? 0) + 1);
    if (!Number.isNaN(f.tsUs)) {
      const us = arrivalMs * 1000 - f.tsUs;
      if (us < 0) this.negative++;
      this.latency.record(us);
    }
    let t = this.devices.get(f.device);
    if (t === undefined) {
      t = { seen: new Uint8Array(Math.max(16, (f.seq >>> 3) + 1)), max: -1, distinct: 0, lastSeq: -1, lastShard: shardId };
      this.devices.set(f.device, t);
    }
    const byte = f.seq >>> 3;
    if (byte >= t.seen.length) {
      const grown = new Uint8Array(Math.max(byte + 1, t.seen.length * 2));
      grown.set(t.seen);
      t.seen = grown;
    }
    const bit = 1 << (f.seq & 7);
    if (((t.seen[byte] as number) & bit) !== 0) {
      this.duplicates++;
      return;
    }
    t.seen[byte] = (t.seen[byte] as number) | bit;
    t.distinct++;
    if (f.seq > t.max) t.max = f.seq;
    if (t.lastSeq >= 0 && f.seq < t.lastSeq && this.options.related(t.lastShard, shardId)) this.outOfOrder++;
    t.lastSeq = f.seq;
    t.lastShard = shardId;
  }

  totals(): TrackerTotals {
    let lost = 0;
    for (const t of this.devices.values()) lost += t.max + 1 - t.distinct;
    return {
      records: this.records,
      devices: this.devices.size,
      lost,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      unparsed: this.unparsed,
      skippedOlder: this.skippedOlder,
      negativeLatency: this.negative,
      perShard: this.perShard,
    };
  }

  /** Against the run's per-device counts: records expected, missing (expected − distinct seen), devices never seen. */
  compare(expected: (visit: (deviceId: string, count: number) => void) => void): { expected: number; missing: number; devicesNeverSeen: number; unexpectedDevices: number } {
    let total = 0;
    let missing = 0;
    let never = 0;
    const known = new Set<string>();
    expected((id, count) => {
      total += count;
      known.add(id);
      const t = this.devices.get(id);
      if (t === undefined) {
        if (count > 0) never++;
        missing += count;
      } else if (count > t.distinct) missing += count - t.distinct;
    });
    let unexpected = 0;
    for (const id of this.devices.keys()) if (!known.has(id)) unexpected++;
    return { expected: total, missing, devicesNeverSeen: never, unexpectedDevices: unexpected };
  }
}
