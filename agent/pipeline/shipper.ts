import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { StopSignal } from '../core/stop-signal.ts';
import { isShardwiseError, ShardwiseError } from '../core/errors.ts';
import type { Producer } from '../kinesis/producer.ts';
import type { ProducerListener } from '../kinesis/producer-types.ts';
import type { Spool, SpoolItem, SpoolSink } from '../spool/spool.ts';
import type { UserRecord } from '../core/record.ts';
import { InFlightTable } from './in-flight.ts';
import { ReplayPacer } from './replay-pacer.ts';
import type { ReplayPacing, ReplayStats } from './replay-pacer.ts';

/** What the shipper uses of the producer (the producer core, or a fake in tests). */
export type ShipperProducer = Pick<Producer<number>, 'add' | 'addParts' | 'now' | 'hasCapacity' | 'waitForCapacity' | 'pendingRecords'> & {
  stats(): { readonly requestErrors: number; readonly entriesFailed: number };
  shardMap(): { readonly shards: readonly unknown[] } | undefined;
};

/** What the shipper tells the rest of the agent (metrics, keying, dead letters). */
export interface ShipperHooks {
  /**
   * Kinesis accepted a record (of `dataBytes` bytes, from `deviceId`, `latencyMs` after the agent
   * took it in); it is acked in the spool. `now`: the clock's monotonic ms when the answer came.
   */
  accepted(shardId: string, dataBytes: number, latencyMs: number, deviceId: string, now: number): void;
  /** The record can never be sent (it fails validation): dead-lettered and acked so it does not block the spool. */
  undeliverable(item: SpoolItem, error: ShardwiseError): void;
  /** A sink-wide failure (stream gone, access denied): records stay in the spool and are retried later. */
  sinkFailure(error: ShardwiseError): void;
}

export interface ShipperOptions {
  /** Records read from the spool per step. */
  readonly readBatch?: number;
  /** Wait before re-sending after a sink-wide failure. */
  readonly fatalRetryMs?: number;
  /** The sink counts as unhealthy this long after a failure (spill mode then writes to disk). */
  readonly unhealthyForMs?: number;
  /** Caps the backlog's send rate at a share of the stream's capacity (`spool.replayShare`). */
  readonly replay?: ReplayPacing | undefined;
  readonly clock?: Clock | undefined;
  /** How the shipper waits (tests pass one that moves a manual clock). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** How often the shipper looks again while the sink is down and the producer holds a probe's worth. */
const DOWN_POLL_MS = 200;

/**
 * Moves records from the spool to the producer and acknowledges them in the spool once Kinesis
 * accepted them. The spool is the one retry queue for sink-wide failures: the producer retries
 * throttling and transient errors by itself (its record TTL is off in the agent), and records that
 * fail for good stay un-acked here and are re-sent in order after a pause.
 *
 * While the sink is down (no shard map yet, or failures and no acceptance since), the producer
 * gets at most `readBatch` records: the rest stays in the spool, where it is durable and subject
 * to `onFull`, instead of piling up in the producer's memory. While the spool holds a backlog,
 * `replay` paces it (replay-pacer.ts).
 */
export class Shipper implements ProducerListener<number>, SpoolSink {
  private running = false;
  private loop: Promise<void> | undefined;
  private retry: SpoolItem[] = [];
  /** From a readTo: entries held back by replay pacing (all after the first held, to keep order), and the wait it asked for. */
  private held: SpoolItem[] = [];
  private heldWaitMs = 0;
  /** From a readTo: entries the producer refused, settled once the read is over (`take` must not ack). */
  private refused: { item: SpoolItem; err: unknown }[] = [];
  /** Open shards as of the current readTo, for replay pacing. */
  private shards: number | undefined;
  /** The producer's clock for the current readTo: one reading for all its entries. */
  private readAt = 0;
  /** The last answer's time (the producer's clock) and the wall clock then: one wall reading per answer. */
  private answerAt = Number.NaN;
  private answerWall = 0;
  /** The producer's token for a record is its slot here. */
  private readonly inFlight = new InFlightTable();
  private retryTimer: NodeJS.Timeout | undefined;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private wake: (() => void) | undefined;
  private healthy = true;
  private producer: ShipperProducer | undefined;
  private readonly clock: Clock;
  private readonly pacer: ReplayPacer | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private accepted = 0;
  private lastAccepted = 0;
  private lastAcceptedAt = Number.NEGATIVE_INFINITY;
  /** Last health check that found the producer empty. */
  private lastIdleAt = Number.NEGATIVE_INFINITY;
  private healthTimer: NodeJS.Timeout | undefined;
  private lastFailures = 0;
  private readonly stopping = new StopSignal();

  constructor(
    private readonly spool: Spool,
    private readonly hooks: ShipperHooks,
    private readonly opts: ShipperOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.pacer = opts.replay === undefined ? undefined : new ReplayPacer(opts.replay, this.clock);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The producer is built with this shipper as its listener, then handed over here. */
  attach(producer: ShipperProducer): void {
    this.producer = producer;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping.reset();
    this.lastIdleAt = this.clock.now();
    // Throttling and transient errors are retried inside the producer; they still make the sink
    // unhealthy for a while so a spill-mode spool writes to disk instead of holding memory.
    this.healthTimer = setInterval(() => this.updateHealth(), 1000);
    this.healthTimer.unref();
    this.loop = this.run();
  }

  /** Stops reading from the spool; what the producer holds is flushed by the caller. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.stopping.stop();
    this.wake?.();
    await this.loop;
  }

  get sinkHealthy(): boolean {
    return this.healthy;
  }

  /** Records taken out of the producer for a later retry. */
  get retrying(): number {
    return this.retry.length;
  }

  /** Backlog pacing (undefined when replay pacing is off). */
  replayStats(): ReplayStats | undefined {
    return this.pacer?.stats();
  }

  /** No shard map yet, or failures and nothing accepted since (checked once a second). */
  get sinkDown(): boolean {
    return this.producer?.shardMap() === undefined || this.lastFailureAt > this.lastAcceptedAt;
  }

  private async run(): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('shipper: attach(producer) before start()');
    const batch = this.opts.readBatch ?? 500;
    while (this.running) {
      if (this.retry.length > 0) {
        // Sink-wide failure: wait for the retry timer, then send the held records first, in order.
        await this.stopping.until(new Promise<void>((r) => (this.wake = r)));
        continue;
      }
      if (!producer.hasCapacity()) {
        await this.stopping.until(producer.waitForCapacity());
        continue;
      }
      let want = batch;
      if (this.sinkDown) {
        want = batch - producer.pendingRecords;
        if (want <= 0) {
          await this.stopping.until(this.sleep(DOWN_POLL_MS));
          continue;
        }
      }
      if (!(await this.readAndAdd(producer, want)) && (await this.stopping.until(this.spool.waitForData())) !== true) break;
    }
  }

  /**
   * Reads up to `want` records from the spool and adds them; false when there were none. A function
   * of its own so that no reference to the items outlives it: a suspended async function keeps its
   * locals, and `run` waits (for capacity) long enough for items it still held to be promoted.
   */
  private async readAndAdd(producer: ShipperProducer, want: number): Promise<boolean> {
    if (this.spool.readTo !== undefined) {
      // Entries straight from the spool's columns into the producer's (take), no item per entry.
      this.shards = producer.shardMap()?.shards.length;
      this.readAt = producer.now();
      const n = await this.spool.readTo(want, this);
      for (const { item, err } of this.refused.splice(0)) this.undeliverable(item, err);
      if (this.held.length > 0) {
        const held = this.held;
        this.held = [];
        await this.stopping.until(this.sleep(this.heldWaitMs));
        await this.addPaced(producer, held);
      }
      return n > 0;
    }
    const items = await this.spool.read(want);
    if (items.length === 0) return false;
    if (this.pacer === undefined) for (const item of items) this.add(item);
    else await this.addPaced(producer, items);
    return true;
  }

  /** Adds in order, waiting whenever the backlog is over its share (items not added by a stop come back after the restart). */
  private async addPaced(producer: ShipperProducer, items: readonly SpoolItem[]): Promise<void> {
    const pacer = this.pacer!;
    for (let i = 0; i < items.length && this.running; ) {
      const wait = pacer.admit(items[i]!, producer.shardMap()?.shards.length);
      if (wait > 0) {
        await this.stopping.until(this.sleep(wait));
        continue;
      }
      this.add(items[i]!);
      i++;
    }
  }

  private add(item: SpoolItem): void {
    const slot = this.inFlight.add(item);
    try {
      this.producer?.add(item, slot);
    } catch (err) {
      this.inFlight.release(slot);
      this.undeliverable(item, err);
    }
  }

  /** SpoolSink: one entry of a readTo, as its parts; what `add` does for an item. */
  take(id: number, partitionKey: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, deviceId: string, ingestTime: number): void {
    const pacer = this.pacer;
    if (pacer !== undefined && this.held.length === 0) this.heldWaitMs = pacer.admitParts(ingestTime, length, partitionKey.length, this.shards);
    if (pacer !== undefined && (this.held.length > 0 || this.heldWaitMs > 0)) {
      // Over the backlog's share: this entry and every later one wait (readAndAdd adds them paced).
      this.held.push(itemOf(id, partitionKey, explicitHashKey, buffer, offset, length, deviceId, ingestTime));
      return;
    }
    const slot = this.inFlight.addParts(id, length, ingestTime, deviceId);
    try {
      this.producer?.addParts(partitionKey, explicitHashKey, buffer, offset, length, slot, this.readAt);
    } catch (err) {
      this.inFlight.release(slot);
      this.refused.push({ item: itemOf(id, partitionKey, explicitHashKey, buffer, offset, length, deviceId, ingestTime), err });
    }
  }

  /** A record that can never be sent: dead-lettered and acked, so it does not block the spool. */
  private undeliverable(item: SpoolItem, err: unknown): void {
    const e = isShardwiseError(err) ? err : new ShardwiseError('E_INVALID_ARGUMENT', String(err), { cause: err });
    this.spool.ack(item.id);
    this.hooks.undeliverable(item, e);
  }

  onAccepted(slot: number, shardId: string, _seq: string, _sub: number, _attempts: number, now: number): void {
    const t = this.inFlight;
    this.accepted++;
    this.spool.ack(t.id(slot));
    if (now !== this.answerAt) {
      // Ingest times are wall-clock ms (they outlive a restart).
      this.answerAt = now;
      this.answerWall = this.clock.wallNow();
    }
    this.hooks.accepted(shardId, t.dataBytes(slot), this.answerWall - t.ingestTime(slot), t.deviceId(slot), now);
    t.release(slot);
  }

  onFailed(slot: number, error: ShardwiseError, _attempts: number, rec: UserRecord): void {
    const item = this.inFlight.item(slot, rec);
    this.inFlight.release(slot);
    this.lastFailureAt = this.clock.now();
    if (error.code === 'E_RECORD_TOO_LARGE' || error.code === 'E_PARTITION_KEY' || error.code === 'E_EXPLICIT_HASH_KEY') {
      this.spool.ack(item.id);
      this.hooks.undeliverable(item, error);
      return;
    }
    if (this.retry.length === 0) this.hooks.sinkFailure(error);
    this.retry.push(item);
    if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => this.resend(), this.opts.fatalRetryMs ?? 10_000);
    }
  }

  private resend(): void {
    this.retryTimer = undefined;
    const items = this.retry;
    this.retry = [];
    for (const item of items) this.add(item);
    this.wake?.();
  }

  private updateHealth(): void {
    const p = this.producer;
    const now = this.clock.now();
    if (this.accepted > this.lastAccepted) this.lastAcceptedAt = now;
    this.lastAccepted = this.accepted;
    if (p) {
      const st = p.stats();
      const failures = st.requestErrors + st.entriesFailed;
      // Failures only: a producer at capacity is normal under load, and sending the intake to disk
      // then (spill mode, fsync per interval) would slow it to in-flight / interval.
      if (failures > this.lastFailures) this.lastFailureAt = now;
      this.lastFailures = failures;
      // Requests that hang (a dead uplink drops packets) fail only at their timeout: records held
      // with nothing accepted for unhealthyForMs count as a failure too.
      if (p.pendingRecords === 0) this.lastIdleAt = now;
      else if (now - Math.max(this.lastAcceptedAt, this.lastIdleAt) > (this.opts.unhealthyForMs ?? 5000)) this.lastFailureAt = now;
    }
    const healthy = now - this.lastFailureAt > (this.opts.unhealthyForMs ?? 5000) && this.retry.length === 0;
    if (healthy !== this.healthy) {
      this.healthy = healthy;
      this.spool.setSinkHealthy(healthy);
    }
  }
}

/** An entry taken as parts, as a spool item again (the rare paths that keep it: paced, refused). */
function itemOf(id: number, partitionKey: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, deviceId: string, ingestTime: number): SpoolItem {
  return { id, partitionKey, explicitHashKey, data: new Uint8Array(buffer, offset, length), deviceId, ingestTime };
}
