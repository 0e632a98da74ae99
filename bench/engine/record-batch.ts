/**
 * One request's worth of records as a struct of typed arrays, reused from a pool: the engine fills
 * the inputs, the target fills the per-record results in place (no per-record objects or closures).
 */

/** Per-record outcome written by the target. */
export const STATUS_OK = 0;
/** The shard refused the record (ProvisionedThroughputExceeded, or the model's token bucket). */
export const STATUS_THROTTLED = 1;
/** Any other failure (InternalFailure, network, a rejected request). */
export const STATUS_FAILED = 2;

/** Told about each record a batch drops. */
export interface DropSink {
  dropped(device: number): void;
}

export class RecordBatch {
  readonly capacity: number;
  length = 0;
  /** Run-relative ms when the engine handed the batch to the target. */
  sentAtMs = 0;
  /** Run-relative ms when the last record's result was known (virtual mode: simulated by the target). */
  doneAtMs = 0;

  // Inputs (engine)
  readonly device: Int32Array;
  readonly seq: Uint32Array;
  /** Run-relative ms the record was due (the open-loop schedule). */
  readonly intendedMs: Float64Array;
  /** Payload bytes. */
  readonly bytes: Int32Array;
  /** Partition key UTF-8 bytes (count toward the shard's byte limit). */
  readonly keyBytes: Uint16Array;
  /** 128-bit hash key per record (4 big-endian words), as keying produced it. */
  readonly hashKeys: Uint32Array;
  /** Payload bytes, when the target needs them: record i is data[dataStart[i] … dataStart[i+1]). */
  data: Uint8Array;
  readonly dataStart: Int32Array;

  // Results (target)
  /** Shard index in the target's `describe().shards`, −1 when unknown. */
  readonly shard: Int32Array;
  readonly status: Uint8Array;
  /** Run-relative ms the record's result arrived. */
  readonly ackMs: Float64Array;
  /**
   * Kinesis records actually written (aggregates count once): count, then per record its shard,
   * bytes and whether it was throttled. −1 means "one per user record" (no aggregation): the
   * engine derives them from the user records.
   */
  kinesisCount = -1;
  readonly kShard: Int32Array;
  readonly kBytes: Int32Array;
  readonly kThrottled: Uint8Array;
  /**
   * 1 when entry k only adds bytes to a Kinesis record counted in another batch (an aggregate that
   * spans engine batches); 0 (the default) when the entry is a Kinesis record of its own. A target
   * that writes entries sets this for each entry it writes.
   */
  readonly kPartial: Uint8Array;

  constructor(capacity: number, withData: boolean) {
    this.capacity = capacity;
    this.device = new Int32Array(capacity);
    this.seq = new Uint32Array(capacity);
    this.intendedMs = new Float64Array(capacity);
    this.bytes = new Int32Array(capacity);
    this.keyBytes = new Uint16Array(capacity);
    this.hashKeys = new Uint32Array(capacity * 4);
    this.data = new Uint8Array(withData ? capacity * 256 : 0);
    this.dataStart = new Int32Array(capacity + 1);
    this.shard = new Int32Array(capacity);
    this.status = new Uint8Array(capacity);
    this.ackMs = new Float64Array(capacity);
    this.kShard = new Int32Array(capacity);
    this.kBytes = new Int32Array(capacity);
    this.kThrottled = new Uint8Array(capacity);
    this.kPartial = new Uint8Array(capacity);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** Payload of record i (a view, valid until the batch is reused). */
  payload(i: number): Uint8Array {
    return this.data.subarray(this.dataStart[i] as number, this.dataStart[i + 1] as number);
  }

  /** Makes sure `extra` more payload bytes fit after the current end. */
  reserveData(extra: number): void {
    const end = this.dataStart[this.length] as number;
    if (end + extra <= this.data.length) return;
    let cap = Math.max(1024, this.data.length);
    while (cap < end + extra) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.data.subarray(0, end));
    this.data = grown;
  }

  reset(): void {
    this.length = 0;
    this.kinesisCount = -1;
    this.dataStart[0] = 0;
  }

  /**
   * Removes records due before `cutoffMs` (too late to send), preserving order; each removed
   * record's device is reported to `sink`. Returns how many were removed.
   */
  dropIntendedBefore(cutoffMs: number, sink: DropSink): number {
    let w = 0;
    const n = this.length;
    for (let r = 0; r < n; r++) {
      if ((this.intendedMs[r] as number) < cutoffMs) {
        sink.dropped(this.device[r] as number);
        continue;
      }
      if (w !== r) this.move(r, w);
      w++;
    }
    this.length = w;
    return n - w;
  }

  private move(from: number, to: number): void {
    this.device[to] = this.device[from] as number;
    this.seq[to] = this.seq[from] as number;
    this.intendedMs[to] = this.intendedMs[from] as number;
    this.bytes[to] = this.bytes[from] as number;
    this.keyBytes[to] = this.keyBytes[from] as number;
    this.hashKeys.copyWithin(to * 4, from * 4, from * 4 + 4);
    if (this.data.length > 0) {
      const s = this.dataStart[from] as number;
      const e = this.dataStart[from + 1] as number;
      const ws = this.dataStart[to] as number;
      this.data.copyWithin(ws, s, e);
      this.dataStart[to + 1] = ws + (e - s);
    }
  }
}
