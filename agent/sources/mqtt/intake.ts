/**
 * The MQTT source's hot path: decode each PUBLISH, gather records into batches (everything that
 * arrived before the next event-loop turn, at most `maxBatch`), hand batches to `Downstream.accept`
 * one at a time, and acknowledge each batch's QoS 1/2 messages only once its accept resolved.
 *
 * One accept in flight at a time keeps records in arrival order and lets batches grow while the
 * downstream is slow (group commit). Refused messages are dead-lettered through
 * `Downstream.reject` and acknowledged in their turn. Due acks are written together
 * (ack-flusher.ts: at once when a quarter of `maxInflight` is due, else within `ackDelayMs`, and at
 * once when stopping). When an accept rejects, the connection's acks stop for good
 * (`Link.alive = false`) and the source drops the connection, so the broker redelivers everything
 * unacknowledged on the next one (persistent session).
 */
import type { IPublishPacket } from 'mqtt';
import type { Downstream, RejectReason, SourceRecord } from '../source.ts';
import { ACK_DELAY_MS, AckFlusher } from './ack-flusher.ts';
import type { AckQueue } from './ack-queue.ts';
import type { PumpGate } from './client-hooks.ts';
import type { FilterIndex } from './topic-filter.ts';
import type { MessageDecoder } from './message-decoder.ts';

/** One MQTT connection as the intake sees it. */
export interface Link {
  readonly acks: AckQueue;
  /** False once the connection is gone or must not be acked on any more. */
  alive: boolean;
  /** PUBREL packets received: once it equals `acks.pubrecsTaken`, no QoS 2 flow is half done. */
  pubrels: number;
  /** Writes raw ack packets; returns how many bytes were handed to the socket (0 if closed). */
  write(bytes: Buffer): number;
}

interface Batch {
  readonly records: SourceRecord[];
  readonly link: Link | null;
  /** Every QoS 1/2 message of the link below this sequence number is in this or an earlier batch. */
  readonly seqEnd: number;
}

export interface IntakeCounters {
  received: number;
  /** Per configured topic filter (same order), then one slot for topics matching none. */
  readonly receivedByFilter: number[];
  accepted: number;
  readonly rejected: Map<RejectReason, number>;
  acceptFailures: number;
  acksSent: number;
}

export interface IntakeOptions {
  readonly name: string;
  readonly maxBatch: number;
  readonly maxInflight: number;
  /** Longest wait to gather due acks into one write (ack-flusher.ts; default 5 ms, 0 = at once). */
  readonly ackDelayMs?: number;
}

export class Intake implements PumpGate {
  readonly counters: IntakeCounters;
  private readonly opts: IntakeOptions;
  private readonly downstream: Downstream;
  private readonly decoder: MessageDecoder;
  private readonly filters: FilterIndex;
  private readonly onAcceptFailed: (err: unknown, link: Link | null) => void;
  private current: SourceRecord[] = [];
  private currentLink: Link | null = null;
  private currentSeqEnd = 0;
  private readonly ready: Batch[] = [];
  private inFlight: Batch | null = null;
  /** Records decoded and not yet through accept. */
  private buffered = 0;
  private readonly held: (() => void)[] = [];
  private tickScheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly acks: AckFlusher;
  /** Refused (dead-lettered) QoS 1/2 messages since the last tick, and their link. */
  private refusedLink: Link | null = null;
  private refusedDue = 0;

  constructor(
    opts: IntakeOptions,
    downstream: Downstream,
    decoder: MessageDecoder,
    filters: FilterIndex,
    filterCount: number,
    onAcceptFailed: (err: unknown, link: Link | null) => void,
  ) {
    this.opts = opts;
    this.downstream = downstream;
    this.decoder = decoder;
    this.filters = filters;
    this.onAcceptFailed = onAcceptFailed;
    this.acks = new AckFlusher(opts.maxInflight, opts.ackDelayMs ?? ACK_DELAY_MS, (link) => this.flushAcks(link));
    this.counters = {
      received: 0,
      receivedByFilter: new Array<number>(filterCount + 1).fill(0),
      accepted: 0,
      rejected: new Map(),
      acceptFailures: 0,
      acksSent: 0,
    };
  }

  /** Records waiting for or inside an accept call. */
  get pendingRecords(): number {
    return this.buffered;
  }

  onPublish(p: IPublishPacket, link: Link): void {
    if (this.closed) return; // stopping: neither accepted nor acked, so the broker redelivers it
    const c = this.counters;
    c.received++;
    const topic = p.topic;
    const fi = this.filters.indexOf(topic);
    c.receivedByFilter[fi < 0 ? c.receivedByFilter.length - 1 : fi]! += 1;
    const seq = p.qos === 0 ? -1 : link.acks.push(p.messageId ?? 0, p.qos);
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
    const rec = this.decoder.decode(topic, payload);
    if (rec === null) {
      const reason = this.decoder.lastReason;
      c.rejected.set(reason, (c.rejected.get(reason) ?? 0) + 1);
      this.downstream.reject(this.opts.name, reason, payload, this.decoder.lastDetail);
      if (seq >= 0) {
        link.acks.markDone(seq);
        if (this.refusedLink !== link) this.refusedDue = 0; // a dropped link's acks are moot
        this.refusedLink = link;
        this.refusedDue++;
      }
    } else {
      if (this.currentLink !== link && this.current.length > 0) this.closeBatch();
      this.currentLink = link;
      this.current.push(rec);
      this.buffered++;
      if (seq >= 0) this.currentSeqEnd = seq + 1;
      if (this.current.length >= this.opts.maxBatch) this.closeBatch();
    }
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      setImmediate(this.onTick);
    }
  }

  /** PumpGate: mqtt.js may go on to the next packet unless too many records are buffered. */
  proceed(next: () => void): void {
    if (this.buffered >= this.opts.maxInflight) this.held.push(next);
    else next();
  }

  /** The connection is gone: its open batch is closed (its records are still handed downstream). */
  linkDown(link: Link): void {
    link.alive = false;
    if (this.currentLink === link && this.current.length > 0) this.closeBatch();
    if (this.currentLink === link) this.currentLink = null;
    this.pump();
  }

  /** Stop taking messages; what was received still goes downstream. */
  close(): void {
    this.closed = true;
    if (this.current.length > 0) this.closeBatch();
    this.pump();
    this.acks.flush();
  }

  /** Resolves true once every batch went through accept, false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private isIdle(): boolean {
    return this.inFlight === null && this.ready.length === 0 && this.current.length === 0;
  }

  private readonly onTick = (): void => {
    this.tickScheduled = false;
    if (this.current.length > 0) this.closeBatch();
    const refused = this.refusedLink;
    if (refused !== null) {
      // acks of refused (dead-lettered) messages: due now, in arrival order with the rest
      this.refusedLink = null;
      this.acks.soon(refused, this.refusedDue, this.closed);
      this.refusedDue = 0;
    }
    this.pump();
  };

  private closeBatch(): void {
    this.ready.push({ records: this.current, link: this.currentLink, seqEnd: this.currentSeqEnd });
    this.current = [];
    this.currentSeqEnd = 0;
  }

  private pump(): void {
    if (this.inFlight !== null) return;
    let b = this.ready.shift();
    if (b === undefined) {
      this.notifyIdle();
      return;
    }
    // Batches closed while the previous accept was pending go down together (up to maxBatch):
    // one accept per event-loop turn would cap a durable spool at one small batch per fsync.
    while (this.ready.length > 0 && this.ready[0]!.link === b.link && b.records.length + this.ready[0]!.records.length <= this.opts.maxBatch) {
      const next = this.ready.shift()!;
      b = { records: b.records.concat(next.records), link: b.link, seqEnd: Math.max(b.seqEnd, next.seqEnd) };
    }
    this.inFlight = b;
    let accepted: Promise<void>;
    try {
      accepted = this.downstream.accept(this.opts.name, b.records);
    } catch (e) {
      accepted = Promise.reject(e);
    }
    accepted.then(this.onAccepted, this.onRejected);
  }

  private readonly onAccepted = (): void => {
    const b = this.finish();
    this.counters.accepted += b.records.length;
    if (b.link !== null && b.link.alive) {
      b.link.acks.doneUpTo(b.seqEnd);
      this.acks.soon(b.link, b.records.length, this.closed);
    }
    this.pump();
  };

  private readonly onRejected = (err: unknown): void => {
    const b = this.finish();
    this.counters.acceptFailures++;
    // the watermark must never pass these messages: no more acks on this connection
    if (b.link !== null) b.link.alive = false;
    this.onAcceptFailed(err, b.link);
    this.pump();
  };

  private finish(): Batch {
    const b = this.inFlight as Batch;
    this.inFlight = null;
    this.buffered -= b.records.length;
    while (this.held.length > 0 && this.buffered < this.opts.maxInflight) (this.held.shift() as () => void)();
    return b;
  }

  private flushAcks(link: Link): void {
    if (!link.alive) return;
    const bytes = link.acks.take();
    if (bytes !== null) this.counters.acksSent += link.write(bytes) >> 2;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    this.acks.flush(); // drained: no ack may wait for the timer (stop() disconnects next)
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
