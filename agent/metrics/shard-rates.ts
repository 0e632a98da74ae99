/**
 * Per-shard throughput: totals and rates over the last `windowSec` seconds, fed from the producer's
 * onAccepted path. `record()` costs one clock read, one map lookup (skipped when the shard repeats,
 * as it does for every sub-record of an aggregate) and four additions into typed arrays: no
 * allocation. Rates come from 1-second ring buckets and are computed when read (on scrape).
 *
 * A rate is the sum of the last `windowSec` complete seconds divided by `windowSec` (or by the
 * seconds elapsed since the tracker started, while that is shorter); the current, partial second
 * is not counted. Skew is max/mean of records/s over the open shards (idle open shards count in
 * the mean), 0 while nothing flows.
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';

export interface ShardRate {
  readonly shardId: string;
  /** In the last `setOpenShards` list (true for every shard until that is first called). */
  readonly open: boolean;
  readonly records: number;
  readonly bytes: number;
  readonly recordsPerSec: number;
  readonly bytesPerSec: number;
}

export interface ShardRatesSnapshot {
  readonly shards: readonly ShardRate[];
  /** max/mean of records/s over open shards; 0 when nothing flows. */
  readonly skew: number;
  /** The open shard with the highest records/s, undefined when nothing flows. */
  readonly hottest: string | undefined;
  readonly totalRecordsPerSec: number;
  readonly totalBytesPerSec: number;
}

export interface ShardRatesOptions {
  readonly clock?: Clock | undefined;
  /** Seconds the rates average over. Default 10. */
  readonly windowSec?: number | undefined;
}

export class ShardRates {
  private readonly clock: Clock;
  private readonly window: number;
  /** Ring slots: the window plus the current second. */
  private readonly slots: number;
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private capacity = 0;
  private totalRecords = new Float64Array(0);
  private totalBytes = new Float64Array(0);
  /** [shard * slots + slot] */
  private ringRecords = new Float64Array(0);
  private ringBytes = new Float64Array(0);
  private readonly startSec: number;
  private curSec: number;
  private lastId: string | undefined;
  private lastIdx = -1;
  private open: Set<string> | undefined;

  constructor(options: ShardRatesOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.window = options.windowSec ?? 10;
    if (!Number.isInteger(this.window) || this.window < 1 || this.window > 3600) {
      throw new RangeError(`windowSec: expected an integer 1…3600, got ${this.window}`);
    }
    this.slots = this.window + 1;
    this.startSec = Math.floor(this.clock.now() / 1000);
    this.curSec = this.startSec;
    this.grow(8);
  }

  /** Hot path: `records` user records of `bytes` bytes were accepted on `shardId` (at `now`, the clock's ms, when known). */
  record(shardId: string, records: number, bytes: number, now: number = this.clock.now()): void {
    const sec = Math.floor(now / 1000);
    if (sec !== this.curSec) this.advance(sec);
    let i: number;
    if (shardId === this.lastId) i = this.lastIdx;
    else {
      i = this.index.get(shardId) ?? this.add(shardId);
      this.lastId = shardId;
      this.lastIdx = i;
    }
    const at = i * this.slots + mod(this.curSec, this.slots);
    this.ringRecords[at] = (this.ringRecords[at] as number) + records;
    this.ringBytes[at] = (this.ringBytes[at] as number) + bytes;
    this.totalRecords[i] = (this.totalRecords[i] as number) + records;
    this.totalBytes[i] = (this.totalBytes[i] as number) + bytes;
  }

  /** The shard map's open shards (after start and after every reshard): skew is computed over them. */
  setOpenShards(shardIds: readonly string[]): void {
    this.open = new Set(shardIds);
    for (const id of shardIds) if (!this.index.has(id)) this.add(id);
  }

  snapshot(): ShardRatesSnapshot {
    const sec = Math.floor(this.clock.now() / 1000);
    if (sec !== this.curSec) this.advance(sec);
    const span = Math.max(1, Math.min(this.window, this.curSec - this.startSec));
    const shards: ShardRate[] = [];
    let max = 0;
    let sum = 0;
    let n = 0;
    let hottest: string | undefined;
    let totalR = 0;
    let totalB = 0;
    for (let i = 0; i < this.ids.length; i++) {
      const shardId = this.ids[i] as string;
      let r = 0;
      let b = 0;
      for (let k = 1; k <= this.window; k++) {
        const at = i * this.slots + mod(this.curSec - k, this.slots);
        r += this.ringRecords[at] as number;
        b += this.ringBytes[at] as number;
      }
      const open = this.open === undefined || this.open.has(shardId);
      const recordsPerSec = r / span;
      const bytesPerSec = b / span;
      totalR += recordsPerSec;
      totalB += bytesPerSec;
      if (open) {
        n++;
        sum += recordsPerSec;
        if (recordsPerSec > max) {
          max = recordsPerSec;
          hottest = shardId;
        }
      }
      shards.push({ shardId, open, records: this.totalRecords[i] as number, bytes: this.totalBytes[i] as number, recordsPerSec, bytesPerSec });
    }
    const mean = n === 0 ? 0 : sum / n;
    return { shards, skew: mean > 0 ? max / mean : 0, hottest, totalRecordsPerSec: totalR, totalBytesPerSec: totalB };
  }

  /** Moves the ring to second `sec`, zeroing the slots of the seconds skipped. */
  private advance(sec: number): void {
    if (sec < this.curSec) return; // a clock that went back: keep counting into the current slot
    const steps = Math.min(sec - this.curSec, this.slots);
    const nShards = this.ids.length;
    for (let k = 1; k <= steps; k++) {
      const slot = mod(this.curSec + k, this.slots);
      for (let i = 0; i < nShards; i++) {
        const at = i * this.slots + slot;
        this.ringRecords[at] = 0;
        this.ringBytes[at] = 0;
      }
    }
    this.curSec = sec;
  }

  private add(shardId: string): number {
    const i = this.ids.length;
    if (i >= this.capacity) this.grow(this.capacity * 2);
    this.ids.push(shardId);
    this.index.set(shardId, i);
    return i;
  }

  private grow(capacity: number): void {
    const copy = (a: Float64Array, n: number): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.totalRecords = copy(this.totalRecords, capacity);
    this.totalBytes = copy(this.totalBytes, capacity);
    this.ringRecords = copy(this.ringRecords, capacity * this.slots);
    this.ringBytes = copy(this.ringBytes, capacity * this.slots);
    this.capacity = capacity;
  }
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
