/**
 * `model://?shards=N`: an in-process model of a Kinesis stream, no I/O. Each record goes to the
 * shard its hash key falls in (the same ShardMap the agent uses); each shard has token buckets at
 * the write limits (default 1,000 records/s and 1 MiB/s, one second of burst); a record (or an
 * aggregate) that finds the bucket short is throttled, not charged.
 *
 * Optional aggregation model (`aggregate=true`): within each batch, user records are packed per
 * predicted shard into aggregates of at most `aggregateBytes` (default 51,200, the KPL's); an
 * aggregate costs one record and its bytes, estimated as 20 bytes of framing + per user record
 * (data + partition key + 9 bytes of protobuf overhead). A lone user record goes unaggregated.
 *
 * Query parameters: shards, recordsPerSec, bytesPerSec, burstSec, aggregate, aggregateBytes,
 * latencyMs (added to every ack), stallAtMs + stallMs (the first batch sent at or after
 * stallAtMs completes stallMs late: a test hook for open-loop behaviour).
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { KINESIS_LIMITS, KPL_DEFAULTS } from '../../agent/core/limits.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { STATUS_OK, STATUS_THROTTLED } from '../engine/record-batch.ts';
import type { RecordBatch } from '../engine/record-batch.ts';
import type { ShardLimits, Target, TargetCapabilities, TargetContext, TargetDescription } from './target.ts';

export interface ModelOptions {
  readonly shards?: number | undefined;
  /** A custom shard map (e.g. after a simulated split); overrides `shards`. */
  readonly shardMap?: ShardMap | undefined;
  readonly recordsPerSec?: number | undefined;
  readonly bytesPerSec?: number | undefined;
  readonly burstSec?: number | undefined;
  readonly aggregate?: boolean | undefined;
  readonly aggregateBytes?: number | undefined;
  readonly latencyMs?: number | undefined;
  readonly stallAtMs?: number | undefined;
  readonly stallMs?: number | undefined;
  /** Limits `describe()` reports (a worker's share of a model still reports the whole shard's). */
  readonly describeLimits?: ShardLimits | undefined;
}

const FRAME_BYTES = 20;
const PER_RECORD_OVERHEAD = 9;

export class ModelTarget implements Target {
  readonly capabilities: TargetCapabilities = { needsPayload: false, maxBatchRecords: 100_000, virtualTime: true };
  readonly map: ShardMap;
  private readonly recLimit: number;
  private readonly byteLimit: number;
  private readonly recCap: number;
  private readonly byteCap: number;
  private readonly tokRec: Float64Array;
  private readonly tokBytes: Float64Array;
  private readonly last: Float64Array;
  private readonly aggregate: boolean;
  private readonly aggCap: number;
  private readonly latencyMs: number;
  private stallAtMs: number;
  private readonly stallMs: number;
  // Aggregation scratch, grown to the largest batch.
  private openAgg: Int32Array;
  private aggOf = new Int32Array(0);
  private aggBytes = new Float64Array(0);
  private aggCount = new Int32Array(0);
  private aggShard = new Int32Array(0);
  private aggThrottled = new Uint8Array(0);
  private ctx: TargetContext | undefined;
  /** Shard of every hash key with a given top 16 bits, or −1 when that slice spans a boundary. */
  private readonly prefixShard: Int32Array;

  constructor(
    readonly options: ModelOptions = {},
    readonly url = 'model://',
  ) {
    this.map = options.shardMap ?? ShardMap.uniform(options.shards ?? 1);
    const n = this.map.size;
    this.recLimit = positive('recordsPerSec', options.recordsPerSec ?? KINESIS_LIMITS.shardWriteRecordsPerSec);
    this.byteLimit = positive('bytesPerSec', options.bytesPerSec ?? KINESIS_LIMITS.shardWriteBytesPerSec);
    const burst = positive('burstSec', options.burstSec ?? 1);
    this.recCap = this.recLimit * burst;
    this.byteCap = this.byteLimit * burst;
    this.tokRec = new Float64Array(n).fill(this.recCap);
    this.tokBytes = new Float64Array(n).fill(this.byteCap);
    // Buckets start full; each shard's refill clock starts at its first record.
    this.last = new Float64Array(n).fill(Number.NaN);
    this.aggregate = options.aggregate ?? false;
    this.aggCap = positive('aggregateBytes', options.aggregateBytes ?? KPL_DEFAULTS.maxAggregateBytes);
    this.latencyMs = options.latencyMs ?? 0;
    this.stallAtMs = options.stallAtMs ?? Infinity;
    this.stallMs = options.stallMs ?? 0;
    this.openAgg = new Int32Array(n);
    this.prefixShard = prefixTable(this.map);
  }

  /** Parses `model://?shards=8&aggregate=true&…`; unknown parameters are rejected with the valid list. */
  static fromUrl(url: string): ModelTarget {
    const u = new URL(url);
    if (u.protocol !== 'model:') throw new ShardwiseError('E_CONFIG', `model target: expected a model:// URL, got ${url}`);
    const known = ['shards', 'recordsPerSec', 'bytesPerSec', 'burstSec', 'aggregate', 'aggregateBytes', 'latencyMs', 'stallAtMs', 'stallMs'];
    const opts: Record<string, number | boolean> = {};
    for (const [k, v] of u.searchParams) {
      if (!known.includes(k)) throw new ShardwiseError('E_CONFIG', `model target ${url}: unknown parameter ${k} (valid: ${known.join(', ')})`);
      if (k === 'aggregate') opts[k] = v === '' || v === 'true' || v === '1';
      else {
        const x = Number(v);
        if (!Number.isFinite(x) || x < 0) throw new ShardwiseError('E_CONFIG', `model target ${url}: ${k}: expected a number ≥ 0, got ${JSON.stringify(v)}`);
        opts[k] = x;
      }
    }
    if (opts.shards !== undefined && (!Number.isInteger(opts.shards) || (opts.shards as number) < 1)) {
      throw new ShardwiseError('E_CONFIG', `model target ${url}: shards: expected an integer ≥ 1, got ${String(opts.shards)}`);
    }
    return new ModelTarget(opts as ModelOptions, url);
  }

  async open(ctx: TargetContext): Promise<void> {
    this.ctx = ctx;
  }

  describe(): TargetDescription {
    return {
      url: this.url,
      kind: 'model',
      shards: this.map.shards.map((s) => s.shardId),
      limits: this.options.describeLimits ?? { recordsPerSec: this.recLimit, bytesPerSec: this.byteLimit },
      aggregation: this.aggregate,
      shardMap: this.map,
    };
  }

  send(batch: RecordBatch): Promise<void> {
    const now = batch.sentAtMs;
    const n = batch.length;
    const map = this.map;
    const keys = batch.hashKeys;
    const prefix = this.prefixShard;
    for (let i = 0; i < n; i++) {
      const s = prefix[(keys[i * 4] as number) >>> 16] as number;
      batch.shard[i] = s >= 0 ? s : map.indexOfWords(keys, i * 4);
    }
    if (this.aggregate) this.sendAggregated(batch, now);
    else {
      for (let i = 0; i < n; i++) {
        const ok = this.take(batch.shard[i] as number, (batch.bytes[i] as number) + (batch.keyBytes[i] as number), now);
        batch.status[i] = ok ? STATUS_OK : STATUS_THROTTLED;
      }
      batch.kinesisCount = -1;
    }
    let done = now + this.latencyMs;
    if (now >= this.stallAtMs) {
      done += this.stallMs;
      this.stallAtMs = Infinity;
    }
    batch.ackMs.fill(done, 0, n);
    batch.doneAtMs = done;
    if (this.ctx?.virtual !== false || done <= now) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, done - now));
  }

  async close(): Promise<void> {}

  private sendAggregated(batch: RecordBatch, now: number): void {
    const n = batch.length;
    if (this.aggOf.length < n) {
      this.aggOf = new Int32Array(n);
      this.aggBytes = new Float64Array(n);
      this.aggCount = new Int32Array(n);
      this.aggShard = new Int32Array(n);
      this.aggThrottled = new Uint8Array(n);
    }
    const open = this.openAgg.fill(-1);
    let aggs = 0;
    for (let i = 0; i < n; i++) {
      const s = batch.shard[i] as number;
      const size = (batch.bytes[i] as number) + (batch.keyBytes[i] as number) + PER_RECORD_OVERHEAD;
      let a = open[s] as number;
      if (a < 0 || (this.aggBytes[a] as number) + size > this.aggCap) {
        a = aggs++;
        open[s] = a;
        // Framing plus the outer partition key (the first record's).
        this.aggBytes[a] = FRAME_BYTES + (batch.keyBytes[i] as number);
        this.aggCount[a] = 0;
        this.aggShard[a] = s;
      }
      this.aggBytes[a] = (this.aggBytes[a] as number) + size;
      this.aggCount[a] = (this.aggCount[a] as number) + 1;
      this.aggOf[i] = a;
    }
    for (let a = 0; a < aggs; a++) {
      let bytes = this.aggBytes[a] as number;
      // A lone user record is sent as is: data + key.
      if (this.aggCount[a] === 1) bytes -= FRAME_BYTES + PER_RECORD_OVERHEAD;
      const s = this.aggShard[a] as number;
      const ok = this.take(s, bytes, now);
      this.aggThrottled[a] = ok ? 0 : 1;
      batch.kShard[a] = s;
      batch.kBytes[a] = bytes;
      batch.kThrottled[a] = ok ? 0 : 1;
    }
    batch.kinesisCount = aggs;
    for (let i = 0; i < n; i++) batch.status[i] = this.aggThrottled[this.aggOf[i] as number] === 1 ? STATUS_THROTTLED : STATUS_OK;
  }

  /** Takes one record and `bytes` from shard s's buckets if both suffice; false (nothing taken) otherwise. */
  private take(s: number, bytes: number, now: number): boolean {
    const last = this.last[s] as number;
    const dt = now - last;
    let r = this.tokRec[s] as number;
    let b = this.tokBytes[s] as number;
    if (Number.isNaN(last)) this.last[s] = now;
    else if (dt > 0) {
      r = Math.min(this.recCap, r + (dt * this.recLimit) / 1000);
      b = Math.min(this.byteCap, b + (dt * this.byteLimit) / 1000);
      this.last[s] = now;
    }
    const ok = r >= 1 && (b >= bytes || b >= this.byteCap);
    if (ok) {
      r -= 1;
      b -= bytes;
    }
    this.tokRec[s] = r;
    this.tokBytes[s] = b;
    return ok;
  }
}

function prefixTable(map: ShardMap): Int32Array {
  const table = new Int32Array(65536);
  const lo = new Uint32Array(4);
  const hi = Uint32Array.of(0, 0xffffffff, 0xffffffff, 0xffffffff);
  for (let p = 0; p < 65536; p++) {
    lo[0] = p * 65536;
    hi[0] = p * 65536 + 0xffff;
    const a = map.indexOfWords(lo, 0);
    table[p] = a >= 0 && a === map.indexOfWords(hi, 0) ? a : -1;
  }
  return table;
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new ShardwiseError('E_CONFIG', `model target: ${name}: expected a number > 0, got ${v}`);
  return v;
}

/**
 * Worker factory (see bench/engine/workers.ts): `spec` is a model:// URL; each of `part.count`
 * workers models 1/count of every shard's limits, since it sees about 1/count of each shard's traffic.
 */
export function createTarget(spec: unknown, part: { readonly index: number; readonly count: number }): ModelTarget {
  const full = ModelTarget.fromUrl(String(spec));
  const d = full.describe();
  const limits = d.limits ?? { recordsPerSec: KINESIS_LIMITS.shardWriteRecordsPerSec, bytesPerSec: KINESIS_LIMITS.shardWriteBytesPerSec };
  return new ModelTarget(
    { ...full.options, shardMap: full.map, recordsPerSec: limits.recordsPerSec / part.count, bytesPerSec: limits.bytesPerSec / part.count, describeLimits: limits },
    String(spec),
  );
}
