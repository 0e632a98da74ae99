import type { PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { systemClock, type Clock } from '../core/clock.ts';
import { RecordValidationError, ShardwiseError } from '../core/errors.ts';
import { KINESIS_LIMITS, KPL_DEFAULTS } from '../core/limits.ts';
import type { UserRecord } from '../core/record.ts';
import { AggregateBuilder } from './aggregation.ts';
import { Md5Batch } from './md5-batch.ts';
import { DEFAULT_BACKOFF, fullJitterDelay, type BackoffOptions } from './backoff.ts';
import { classifyEntryError, classifyRequestError } from './classify.ts';
import { explicitHashKeyInto, validatePartitionKey } from './hash-key.ts';
import { HashKeyCache } from './hash-key-cache.ts';
import { Lane } from './lane.ts';
import { PendingTable, type Pending } from './pending.ts';
import { ProducerCounters } from './producer-counters.ts';
import type { ProducerListener, ProducerOptions, ProducerStats } from './producer-types.ts';
import type { Entry, RequestLimits } from './request-builder.ts';
import { RequestPlanner } from './request-planner.ts';
import { ShardMapCache } from './shard-map-cache.ts';
import type { ShardMap } from './shard-map.ts';
import { ShardLimiter, type ShardRateLimit } from './token-bucket.ts';
import { verifyLanding } from './landing.ts';
import { putRecordsSender, type PutRecordsSender } from './direct-put-records.ts';
import { KinesisEndpoint } from './kinesis-endpoint.ts';
import { listAllShards } from './list-shards.ts';

/**
 * The Kinesis producer core: user records in, one outcome per record out.
 *
 * add → hash (MD5 or ExplicitHashKey) → lane of the predicted shard → [linger] → entry (KPL aggregate
 * per shard, or single) → per-shard token bucket → PutRecords (≤ 500 entries / 5 MiB, `concurrency`
 * in flight, one per shard) → per-entry result: accepted records are reported, failed entries go back
 * to the front of their lane after a jittered backoff until their TTL; nothing else is re-sent.
 */
export class Producer<T> {
  private readonly cache: ShardMapCache;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly lingerMs: number;
  private readonly concurrency: number;
  private readonly ttlMs: number;
  private readonly backoff: BackoffOptions;
  private readonly rate: ShardRateLimit | undefined;
  private readonly maxBufferedRecords: number;
  private readonly maxBufferedBytes: number;
  private readonly planner: RequestPlanner<T>;
  private readonly counters = new ProducerCounters();
  private readonly putRecords: PutRecordsSender;
  private readonly scratch = new Uint32Array(4);
  /** Hash keys of recent partition keys (device ids repeat). */
  private readonly keyHashes = new HashKeyCache();
  /** Every record held, from add() to its outcome. */
  private readonly table = new PendingTable<T>();

  private map: ShardMap | undefined;
  private lanes: Lane<T>[] = [];
  private readonly lanesById = new Map<string, Lane<T>>();
  /** Records whose hash key no open shard covers (a gap while resharding, or no map yet). */
  private unrouted: Pending[] = [];
  private inFlightRequests = 0;
  private bufferedBytes = 0;
  private pumpQueued = false;
  /** Where aggregates leave their MD5s until the requests that carry them are planned. */
  private readonly digests: Md5Batch | undefined;

  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private flushing = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private capacityWaiters: (() => void)[] = [];

  constructor(
    private readonly opts: ProducerOptions,
    private readonly listener: ProducerListener<T>,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    const aggregate = opts.aggregation?.enabled ?? true;
    const maxAgg = opts.aggregation?.maxBytes ?? KPL_DEFAULTS.maxAggregateBytes;
    if (aggregate && (maxAgg < 256 || maxAgg > KINESIS_LIMITS.maxRecordBytes)) {
      throw new RangeError(`aggregation.maxBytes: expected 256…${KINESIS_LIMITS.maxRecordBytes}, got ${maxAgg}`);
    }
    const limits: RequestLimits = {
      maxRecords: clampInt(opts.maxRequestRecords ?? 500, 1, KINESIS_LIMITS.maxRecordsPerPutRecords, 'maxRequestRecords'),
      maxBytes: clampInt(opts.maxRequestBytes ?? KINESIS_LIMITS.maxBytesPerPutRecords, 1024, KINESIS_LIMITS.maxBytesPerPutRecords, 'maxRequestBytes'),
      maxEntriesPerLane: clampInt(opts.maxEntriesPerShardPerRequest ?? (aggregate ? 1 : 500), 1, 500, 'maxEntriesPerShardPerRequest'),
      maxAggregateBytes: aggregate ? maxAgg : 0,
    };
    this.lingerMs = clampInt(opts.lingerMs ?? KPL_DEFAULTS.lingerMs, 0, 60_000, 'lingerMs');
    this.concurrency = clampInt(opts.concurrency ?? 4, 1, 256, 'concurrency');
    // With simdDigests, aggregates leave their MD5 to `digests`: pump() computes those of all the requests it plans at once.
    this.digests = aggregate && opts.aggregation?.simdDigests === true ? new Md5Batch() : undefined;
    const agg = aggregate ? new AggregateBuilder(maxAgg, this.digests) : undefined;
    this.planner = new RequestPlanner<T>(limits, this.lingerMs, this.concurrency, agg, this.table);
    this.ttlMs = opts.recordTtlMs === 0 ? Number.POSITIVE_INFINITY : (opts.recordTtlMs ?? KPL_DEFAULTS.recordTtlMs);
    this.backoff = opts.retry ?? DEFAULT_BACKOFF;
    const rl = opts.rateLimit ?? { enabled: true };
    const factor = rl.factor ?? 1;
    this.rate = rl.enabled
      ? {
          recordsPerSec: (rl.recordsPerSec ?? KINESIS_LIMITS.shardWriteRecordsPerSec) * factor,
          bytesPerSec: (rl.bytesPerSec ?? KINESIS_LIMITS.shardWriteBytesPerSec) * factor,
        }
      : undefined;
    // An SDK client (the bench, tests) is wrapped: its region, endpoint and credentials, our own sockets.
    const endpoint =
      opts.client instanceof KinesisEndpoint
        ? opts.client
        : KinesisEndpoint.fromClient(opts.client, { requestTimeoutMs: opts.requestTimeoutMs, maxSockets: this.concurrency * 2 });
    // Direct or through the SDK: one rule for both calls (KinesisEndpoint.goesDirect).
    const transport = opts.transport ?? 'direct';
    this.putRecords = putRecordsSender(endpoint, transport);
    this.cache = new ShardMapCache(() => listAllShards(endpoint, opts.stream, 1000, transport), { clock: this.clock });
    this.maxBufferedRecords = opts.maxBufferedRecords ?? 100_000;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
  }

  /** Loads the shard map. Fatal errors (stream not found, access denied) reject; retryable ones are retried with backoff. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.applyMap(await this.cache.refresh());
        return;
      } catch (err) {
        const e = err instanceof ShardwiseError ? err : classifyRequestError(err);
        if (!e.retryable || this.closed) throw e;
        await sleep(fullJitterDelay(attempt, this.backoff, this.random) + 100);
      }
    }
  }

  /** Current shard map (after start). */
  shardMap(): ShardMap | undefined {
    return this.map;
  }

  /**
   * Queues one user record. Invalid records throw a RecordValidationError here, before any request.
   * Returns false when the buffer is over its limits: the caller should await waitForCapacity().
   */
  add(rec: UserRecord, token: T): boolean {
    const d = rec.data;
    return this.addParts(rec.partitionKey, rec.explicitHashKey, d.buffer, d.byteOffset, d.length, token);
  }

  /**
   * add() of a record given as its parts: its data is `length` bytes of `buffer` from `offset` (no
   * view needed). `now`: the clock's reading, when the caller adds many records at one moment.
   */
  addParts(key: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, token: T, now: number = this.clock.now()): boolean {
    if (this.closed) throw new ShardwiseError('E_PRODUCER_CLOSED', 'producer is closed');
    validatePartitionKey(key);
    const bytes = length + Buffer.byteLength(key);
    if (bytes > KINESIS_LIMITS.maxRecordBytes) {
      throw new RecordValidationError(
        'E_RECORD_TOO_LARGE',
        `record of ${bytes} bytes (data + partition key) exceeds the ${KINESIS_LIMITS.maxRecordBytes}-byte limit`,
      );
    }
    const w = this.scratch;
    if (explicitHashKey !== undefined) explicitHashKeyInto(explicitHashKey, w, 0);
    else this.keyHashes.into(key, w, 0);
    const p = this.table.addParts(key, explicitHashKey, buffer, offset, length, token, w, bytes, now + this.ttlMs, now);
    this.counters.added++;
    this.bufferedBytes += bytes;
    this.route(p, now);
    return this.hasCapacity();
  }

  /** The producer's clock (monotonic ms): a reading to pass to addParts for a batch of records. */
  now(): number {
    return this.clock.now();
  }

  hasCapacity(): boolean {
    return this.table.count < this.maxBufferedRecords && this.bufferedBytes < this.maxBufferedBytes;
  }

  waitForCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Records added and not yet reported. */
  get pendingRecords(): number {
    return this.table.count;
  }

  /** Sends everything now (ignoring linger) and resolves once every record added so far has its outcome. */
  async flush(): Promise<void> {
    if (this.table.count === 0) return;
    this.flushing++;
    this.schedulePump();
    try {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then refuses new records. Records still failing keep retrying until their TTL. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Gives up without waiting: refuses new records and stops the timers. Records not yet accepted
   * get no outcome (the agent's spool still holds them and sends them after a restart).
   */
  abandon(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): ProducerStats {
    return this.counters.snapshot(this.cache.refreshes);
  }

  // ---- routing ---------------------------------------------------------------------------------

  private route(p: Pending, now: number = this.clock.now()): void {
    const lane = this.laneFor(p);
    if (!lane) {
      this.unrouted.push(p);
      this.refreshMap();
      return;
    }
    lane.push(p);
    if (this.planner.isReady(lane, now, this.flushing > 0)) this.schedulePump();
    else this.wakeAt(this.table.queuedAt(p) + this.lingerMs);
  }

  private laneFor(p: Pending): Lane<T> | undefined {
    if (!this.map) return undefined;
    const i = this.map.indexOfWords(this.table.hashWords(p, this.scratch), 0);
    return i < 0 ? undefined : this.lanes[i];
  }

  /** Routes records that must go out before anything queued (failed ones): to the front of their lanes, order kept. */
  private requeueFront(ps: readonly Pending[]): void {
    const byLane = new Map<Lane<T>, Pending[]>();
    const now = this.clock.now();
    for (const p of ps) {
      this.table.setQueuedAt(p, now - this.lingerMs); // already waited: ready once the backoff ends
      const lane = this.laneFor(p);
      if (!lane) {
        this.unrouted.push(p);
        continue;
      }
      let list = byLane.get(lane);
      if (!list) byLane.set(lane, (list = []));
      list.push(p);
    }
    for (const [lane, list] of byLane) lane.unshiftAll(list);
    if (this.unrouted.length > 0) this.refreshMap();
  }

  private refreshMap(): void {
    this.cache.refresh().then(
      (map) => {
        this.applyMap(map);
        this.schedulePump();
      },
      () => {
        // Counted in the cache; records stay unrouted until a later refresh or their TTL.
        this.wakeAt(this.clock.now() + 1000);
      },
    );
  }

  private applyMap(map: ShardMap): void {
    if (map === this.map) return;
    this.map = map;
    const lanes: Lane<T>[] = [];
    const orphans: Pending[] = [];
    const keep = new Set<string>();
    for (const s of map.shards) {
      let lane = this.lanesById.get(s.shardId);
      if (!lane) {
        lane = new Lane<T>(s.shardId, this.rate ? new ShardLimiter(this.rate, this.clock) : undefined, this.table);
        this.lanesById.set(s.shardId, lane);
      }
      lanes.push(lane);
      keep.add(s.shardId);
    }
    for (const [id, lane] of this.lanesById) {
      if (keep.has(id)) continue;
      orphans.push(...lane.drain());
      this.lanesById.delete(id);
    }
    this.lanes = lanes;
    orphans.push(...this.unrouted);
    this.unrouted = [];
    for (const p of orphans) this.route(p);
  }

  // ---- pumping ---------------------------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private wakeAt(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, Math.max(0, at - this.clock.now()));
  }

  private pump(): void {
    if (this.closed && this.flushing === 0) return;
    const now = this.clock.now();
    this.expire(now);
    // Plan every request there is room for, then compute their aggregates' digests side by side, then send.
    const planned: Entry<T>[][] = [];
    while (this.inFlightRequests + planned.length < this.concurrency) {
      const entries = this.planner.next(this.lanes, now, this.inFlightRequests + planned.length, this.flushing > 0);
      if (entries.length === 0) break;
      planned.push(entries);
    }
    this.digests?.flush();
    for (const entries of planned) this.send(entries);
    this.scheduleNextWake(now);
    this.settleWaiters();
  }

  /** Fails the records at lane heads whose TTL has passed (queues are oldest-first). */
  private expire(now: number): void {
    if (this.ttlMs === Number.POSITIVE_INFINITY) return;
    for (const lane of this.lanes) {
      if (lane.inFlight) continue;
      for (let p = lane.peek(); p !== undefined && this.table.deadline(p) <= now; p = lane.peek()) {
        lane.shift();
        this.fail(p, this.ttlError(p), true);
      }
    }
    if (this.unrouted.length > 0) {
      const keep: Pending[] = [];
      for (const p of this.unrouted) {
        if (this.table.deadline(p) <= now) this.fail(p, this.ttlError(p), true);
        else keep.push(p);
      }
      this.unrouted = keep;
    }
  }

  private scheduleNextWake(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const lane of this.lanes) {
      const head = lane.peek();
      if (head === undefined || lane.inFlight) continue;
      const t = this.table;
      next = Math.min(next, Math.max(lane.notBefore, t.queuedAt(head) + (this.flushing > 0 ? 0 : this.lingerMs)), t.deadline(head));
    }
    if (next !== Number.POSITIVE_INFINITY) this.wakeAt(Math.max(next, now + 1));
  }

  // ---- sending and outcomes --------------------------------------------------------------------

  private send(entries: Entry<T>[]): void {
    this.inFlightRequests++;
    this.counters.requests++;
    this.putRecords(this.opts.stream, entries.map((e) => e.wire)).then(
      (res) => this.onResponse(entries, res),
      (err: unknown) => this.onRequestError(entries, err),
    );
  }

  private onResponse(entries: Entry<T>[], res: PutRecordsCommandOutput): void {
    const results = res.Records ?? [];
    const failedLanes = new Set<Lane<T>>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry<T>;
      const r = results[i];
      if (!r || r.ErrorCode || !r.ShardId || !r.SequenceNumber) {
        const err = classifyEntryError(r?.ErrorCode ?? 'InternalFailure', r?.ErrorMessage ?? 'no result for this entry');
        this.counters.entryFailed(entry.lane.shardId, err);
        failedLanes.add(entry.lane);
        this.retry(entry.records, err);
        continue;
      }
      // An earlier entry of this shard failed and will be re-sent after this one: per-key order may break.
      if (failedLanes.has(entry.lane)) this.counters.reordered += entry.records.length;
      if (r.ShardId !== entry.lane.shardId) {
        this.counters.unexpectedShard++;
        this.landedElsewhere(entry, r.ShardId, r.SequenceNumber);
        continue;
      }
      this.accept(entry, r.ShardId, r.SequenceNumber, entry.records);
    }
    this.finishRequest(entries, failedLanes);
  }

  private onRequestError(entries: Entry<T>[], err: unknown): void {
    const e = classifyRequestError(err);
    this.counters.requestFailed(e);
    const failedLanes = new Set<Lane<T>>();
    for (const entry of entries) {
      failedLanes.add(entry.lane);
      if (e.code === 'E_THROTTLED') this.counters.throttled(entry.lane.shardId);
      this.retry(entry.records, e);
    }
    this.finishRequest(entries, failedLanes);
  }

  private finishRequest(entries: Entry<T>[], failedLanes: Set<Lane<T>>): void {
    const now = this.clock.now();
    for (const entry of entries) {
      const lane = entry.lane;
      if (!lane.inFlight) continue;
      lane.inFlight = false;
      if (failedLanes.has(lane)) {
        lane.failures++;
        lane.notBefore = Math.max(lane.notBefore, now + fullJitterDelay(lane.failures, this.backoff, this.random));
      } else {
        lane.failures = 0;
      }
    }
    this.inFlightRequests--;
    this.pump();
  }

  private accept(entry: Entry<T>, shardId: string, seq: string, records: readonly Pending[]): void {
    this.counters.entryAccepted(shardId, entry.bytes, records.length);
    const whole = records === entry.records;
    const t = this.table;
    const now = this.clock.now();
    for (let i = 0; i < records.length; i++) {
      const p = records[i] as Pending;
      const token = t.token(p);
      const attempts = t.attempts(p) + 1;
      this.done(p);
      this.counters.accepted++;
      // The sub-sequence is the record's index inside its aggregate (0 for a single record).
      this.listener.onAccepted(token, shardId, seq, whole ? i : entry.records.indexOf(p), attempts, now);
    }
  }

  /** An entry landed on a shard we did not predict: the map is stale. Sub-records outside the landing shard's range would be dropped by the KCL, so they are sent again. */
  private landedElsewhere(entry: Entry<T>, shardId: string, seq: string): void {
    this.counters.pendingVerifications++;
    verifyLanding(this.cache, this.table, entry.records, shardId).then(
      ({ inRange, outOfRange }) => {
        this.counters.pendingVerifications--;
        this.accept(entry, shardId, seq, inRange);
        if (outOfRange.length > 0) {
          this.counters.resentOutOfRange += outOfRange.length;
          for (const p of outOfRange) this.table.countAttempt(p);
          this.requeueFront(outOfRange);
        }
        const map = this.cache.loaded ? this.cache.current() : undefined;
        if (map) this.applyMap(map);
        this.schedulePump();
      },
      (err: unknown) => {
        // No shard map to check against: treat as written (it is in the stream) and say so.
        this.counters.pendingVerifications--;
        this.counters.requestFailed(classifyRequestError(err));
        this.accept(entry, shardId, seq, entry.records);
        this.schedulePump();
      },
    );
  }

  private retry(records: readonly Pending[], err: ShardwiseError): void {
    const again: Pending[] = [];
    const now = this.clock.now();
    const t = this.table;
    for (const p of records) {
      t.countAttempt(p);
      if (!err.retryable) this.fail(p, err, false);
      else if (now >= t.deadline(p)) {
        t.setLastError(p, err);
        this.fail(p, this.ttlError(p), true);
      } else {
        t.setLastError(p, err);
        again.push(p);
      }
    }
    this.counters.retried += again.length;
    this.requeueFront(again);
  }

  private ttlError(p: Pending): ShardwiseError {
    const lastError = this.table.lastError(p);
    const last = lastError ? `; last error: ${lastError.message}` : '';
    return new ShardwiseError('E_TTL_EXPIRED', `record not accepted within its ${this.ttlMs} ms TTL after ${this.table.attempts(p)} attempts${last}`, {
      cause: lastError,
    });
  }

  private fail(p: Pending, err: ShardwiseError, ttl: boolean): void {
    if (ttl) this.counters.ttlExpired++;
    this.counters.failed(err.code);
    const token = this.table.token(p);
    const attempts = this.table.attempts(p);
    const rec = this.table.rec(p);
    this.done(p);
    this.listener.onFailed(token, err, attempts, rec);
  }

  /** The record got its outcome: its slot is freed. */
  private done(p: Pending): void {
    this.bufferedBytes -= this.table.bytes(p);
    this.table.release(p);
  }

  private settleWaiters(): void {
    if (this.capacityWaiters.length > 0 && this.hasCapacity()) {
      const ws = this.capacityWaiters;
      this.capacityWaiters = [];
      for (const w of ws) w();
    }
    if (this.idleWaiters.length > 0 && this.table.count === 0 && this.counters.pendingVerifications === 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }
}

function clampInt(v: number, min: number, max: number, name: string): number {
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`${name}: expected ${min}…${max}, got ${v}`);
  return Math.floor(v);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
