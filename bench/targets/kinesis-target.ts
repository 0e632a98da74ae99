/**
 * `kinesis://STREAM?…` (kinesis-url.ts): records go through the agent's producer core
 * (agent/kinesis/producer.ts), so the bench measures what the agent would do: KPL aggregation per
 * predicted shard, per-shard rate limiting, retries of failed entries only, shard-map refresh.
 *
 * - Token per user record: `slot × 512 + i` (the batch's in-flight slot and the record's index in it).
 * - Per-record results from the producer's listener: the shard is the ShardId Kinesis returned for
 *   the record; a record given up after throttling (TTL) is STATUS_THROTTLED, other failures
 *   STATUS_FAILED (on the shard its hash key predicts); ackMs is when its outcome arrived.
 * - With aggregation, each accepted record with sub-sequence 0 starts one Kinesis record (every
 *   aggregate has exactly one); its bytes are the user records' data + key + 9 B of protobuf
 *   overhead (+ 20 B framing). The producer's exact per-shard totals are in `stats()`.
 * - `stats()`: the producer's per-shard throttle events (retried or not) and counters, and the
 *   PutRecords round-trip latency (an HDR histogram, measured by SDK middleware).
 * - A new shard map (reshard) is announced through `ctx.shardMapChanged`; new shards get new indices.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ShardwiseError } from '../../agent/core/errors.ts';
import { Producer } from '../../agent/kinesis/producer.ts';
import type { ProducerListener } from '../../agent/kinesis/producer-types.ts';
import type { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { STATUS_FAILED, STATUS_OK, STATUS_THROTTLED } from '../engine/record-batch.ts';
import type { RecordBatch } from '../engine/record-batch.ts';
import { createHistogram, encodeHistogram } from '../results/histogram.ts';
import type { Histogram } from '../results/histogram.ts';
import { LatencyRecorder } from '../results/latency-recorder.ts';
import { benchKinesisClient } from './kinesis-url.ts';
import type { KinesisTargetOptions } from './kinesis-url.ts';
import type { Target, TargetCapabilities, TargetContext, TargetDescription, TargetShardStats, TargetStats } from './target.ts';

const SLOT = 512;
const PER_RECORD_OVERHEAD = 9;
const FRAME_BYTES = 20;

interface Slot {
  readonly index: number;
  batch: RecordBatch | null;
  remaining: number;
  readonly sub: Int32Array;
  resolve: () => void;
}

export class KinesisTarget implements Target, ProducerListener<number> {
  readonly capabilities: TargetCapabilities = { needsPayload: true, maxBatchRecords: 500, virtualTime: false };
  private client: KinesisClient | undefined;
  private producer: Producer<number> | undefined;
  private ctx: TargetContext | undefined;
  private map: ShardMap | undefined;
  private readonly shardIds: string[] = [];
  private readonly shardIndex = new Map<string, number>();
  private readonly slots: Slot[] = [];
  private readonly freeSlots: number[] = [];
  private lastOfShard = new Int32Array(0);
  private readonly putLatency = new LatencyRecorder();
  private readonly putHistogram: Histogram = createHistogram();

  constructor(readonly options: KinesisTargetOptions) {}

  async open(ctx: TargetContext): Promise<void> {
    this.ctx = ctx;
    const o = this.options;
    const client = benchKinesisClient(o, o.concurrency * 2);
    this.client = client;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutRecordsCommand') return next(args);
        const t0 = performance.now();
        try {
          return await next(args);
        } finally {
          this.putLatency.record((performance.now() - t0) * 1000);
        }
      },
      { step: 'finalizeRequest', name: 'shardwiseBenchPutRecordsTiming' },
    );
    const factor = o.rateFactor * o.share;
    this.producer = new Producer<number>(
      {
        client,
        stream: o.stream,
        // A load generator on a workstation: the ~9 MiB the SIMD digests cost are well spent.
        aggregation: { enabled: o.aggregation, simdDigests: true },
        concurrency: o.concurrency,
        lingerMs: o.lingerMs,
        recordTtlMs: o.ttlMs,
        rateLimit: { enabled: o.rateLimit, recordsPerSec: o.limits.recordsPerSec, bytesPerSec: o.limits.bytesPerSec, factor },
      },
      this,
    );
    try {
      await this.producer.start();
    } catch (e) {
      client.destroy();
      throw e;
    }
    this.adopt(this.producer.shardMap() as ShardMap);
  }

  describe(): TargetDescription {
    return { url: this.options.url, kind: 'kinesis', shards: this.shardIds, limits: this.options.limits, aggregation: this.options.aggregation, shardMap: this.map };
  }

  send(batch: RecordBatch): Promise<void> {
    const producer = this.producer as Producer<number>;
    const keys = (this.ctx as TargetContext).keys;
    const slot = this.takeSlot(batch);
    const n = batch.length;
    slot.remaining = n;
    const done = new Promise<void>((resolve) => (slot.resolve = resolve));
    const base = slot.index * SLOT;
    for (let i = 0; i < n; i++) {
      const d = batch.device[i] as number;
      const seq = batch.seq[i] as number;
      batch.status[i] = STATUS_FAILED;
      batch.shard[i] = -1;
      slot.sub[i] = -1;
      try {
        producer.add({ partitionKey: keys.partitionKeyOf(d, seq), explicitHashKey: keys.explicitHashKeyOf(d, seq), data: batch.payload(i) }, base + i);
      } catch (e) {
        // A record the producer refuses before any request (too large, bad key): a per-record failure.
        this.onFailed(base + i, e as ShardwiseError);
      }
    }
    return done;
  }

  onAccepted(token: number, shardId: string, _sequenceNumber: string, subSequence: number): void {
    const slot = this.slots[(token / SLOT) | 0] as Slot;
    const i = token % SLOT;
    const b = slot.batch as RecordBatch;
    b.status[i] = STATUS_OK;
    b.shard[i] = this.indexOf(shardId);
    b.ackMs[i] = this.now(b);
    slot.sub[i] = subSequence;
    if (--slot.remaining === 0) this.finish(slot);
  }

  onFailed(token: number, error: ShardwiseError): void {
    const slot = this.slots[(token / SLOT) | 0] as Slot;
    const i = token % SLOT;
    const b = slot.batch as RecordBatch;
    const cause = (error as { cause?: unknown }).cause as { code?: unknown } | undefined;
    const throttled = error.code === 'E_THROTTLED' || (error.code === 'E_TTL_EXPIRED' && cause?.code === 'E_THROTTLED');
    b.status[i] = throttled ? STATUS_THROTTLED : STATUS_FAILED;
    const m = this.map;
    const predicted = m === undefined ? -1 : m.indexOfWords(b.hashKeys, i * 4);
    b.shard[i] = predicted < 0 || m === undefined ? -1 : this.indexOf(m.shardIdAt(predicted));
    b.ackMs[i] = this.now(b);
    if (--slot.remaining === 0) this.finish(slot);
  }

  stats(): TargetStats {
    const s = (this.producer as Producer<number>).stats();
    const perShard: Record<string, TargetShardStats> = {};
    for (const [id, c] of s.perShard) perShard[id] = { userRecords: c.userRecords, kinesisRecords: c.kinesisRecords, bytes: c.bytes, throttledAttempts: c.throttled };
    this.putLatency.flushInto(this.putHistogram);
    return {
      throttledAttempts: s.throttledEntries,
      perShard,
      requestLatency: encodeHistogram(this.putHistogram),
      counters: {
        putRecordsRequests: s.requests,
        requestErrors: s.requestErrors,
        entriesFailed: s.entriesFailed,
        retriedUserRecords: s.retriedUserRecords,
        ttlExpired: s.ttlExpired,
        unexpectedShard: s.unexpectedShard,
        resentOutOfRange: s.resentOutOfRange,
        reordered: s.reordered,
        shardMapRefreshes: s.shardMapRefreshes,
        kinesisRecordsAccepted: s.kinesisRecordsAccepted,
        userRecordsAccepted: s.userRecordsAccepted,
      },
    };
  }

  async close(): Promise<void> {
    try {
      await this.producer?.close();
    } finally {
      this.client?.destroy();
    }
  }

  private now(b: RecordBatch): number {
    const t = (this.ctx as TargetContext).clock.now();
    return t > b.sentAtMs ? t : b.sentAtMs;
  }

  private takeSlot(batch: RecordBatch): Slot {
    const free = this.freeSlots.pop();
    const slot = free !== undefined ? (this.slots[free] as Slot) : { index: this.slots.length, batch: null, remaining: 0, sub: new Int32Array(SLOT), resolve: () => undefined };
    if (free === undefined) this.slots.push(slot);
    slot.batch = batch;
    return slot;
  }

  private finish(slot: Slot): void {
    const b = slot.batch as RecordBatch;
    let done = b.sentAtMs;
    for (let i = 0; i < b.length; i++) if ((b.ackMs[i] as number) > done) done = b.ackMs[i] as number;
    b.doneAtMs = done;
    if (this.options.aggregation) this.kinesisRecords(b, slot.sub);
    else b.kinesisCount = -1;
    const m = (this.producer as Producer<number>).shardMap();
    if (m !== undefined && m !== this.map) {
      this.adopt(m);
      this.ctx?.shardMapChanged?.(m);
    }
    slot.batch = null;
    this.freeSlots.push(slot.index);
    slot.resolve();
  }

  /** One Kinesis record per accepted sub-sequence 0; the other user records add their bytes to it. */
  private kinesisRecords(b: RecordBatch, sub: Int32Array): void {
    if (this.lastOfShard.length < this.shardIds.length) this.lastOfShard = new Int32Array(this.shardIds.length * 2);
    const last = this.lastOfShard.fill(-1);
    let k = 0;
    for (let i = 0; i < b.length; i++) {
      const s = b.shard[i] as number;
      if (b.status[i] !== STATUS_OK || s < 0) continue;
      const bytes = (b.bytes[i] as number) + (b.keyBytes[i] as number) + PER_RECORD_OVERHEAD;
      const head = sub[i] === 0;
      const e = last[s] as number;
      if (head || e < 0) {
        b.kShard[k] = s;
        b.kBytes[k] = bytes + (head ? FRAME_BYTES + (b.keyBytes[i] as number) : 0);
        b.kThrottled[k] = 0;
        b.kPartial[k] = head ? 0 : 1;
        last[s] = k++;
      } else b.kBytes[e] = (b.kBytes[e] as number) + bytes;
    }
    b.kinesisCount = k;
  }

  private adopt(map: ShardMap): void {
    this.map = map;
    for (const s of map.shards) this.indexOf(s.shardId);
  }

  private indexOf(shardId: string): number {
    let i = this.shardIndex.get(shardId);
    if (i === undefined) {
      i = this.shardIds.length;
      this.shardIds.push(shardId);
      this.shardIndex.set(shardId, i);
    }
    return i;
  }
}
