/**
 * mode=memory: a bounded in-memory spool. Nothing survives a restart or a crash; close()
 * counts what it still held as dropped ('closed-in-memory'). onFull=drop-oldest drops the
 * oldest entries not yet handed out (entries in flight are with the sink already). As in the
 * file spool, one entry may take at most a quarter of maxBytes ('too-large' otherwise).
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { AckTracker } from './ack-tracker.ts';
import { AppendTicket, closedError } from './append-ticket.ts';
import { DropCounter, silentLog } from './drop-counter.ts';
import type { SpoolLog } from './drop-counter.ts';
import { MemQueue } from './mem-queue.ts';
import { frameable, frameSize } from './record-codec.ts';
import { HandOutRelay, type AppendResult, type OnFull, type RecoveryReport, type Spool, type SpoolEntry, type SpoolItem, type SpoolSink, type SpoolStats } from './spool.ts';
import { Waiters } from './waiters.ts';

export interface MemorySpoolOptions {
  readonly maxBytes: number;
  readonly onFull: OnFull;
  readonly maxInFlight?: number;
  readonly clock?: Clock;
  readonly log?: SpoolLog;
}

export const EMPTY_RECOVERY: RecoveryReport = {
  segments: 0, records: 0, bytes: 0, lowWaterMark: 0, nextId: 0, tornBytes: 0, quarantined: [],
  skippedRecords: 0, skippedBytes: 0, deletedSegments: 0, cursorReset: false,
};

export class MemorySpool implements Spool {
  readonly mode = 'memory' as const;
  readonly capabilities = { durable: false } as const;
  private readonly q = new MemQueue();
  private readonly tracker = new AckTracker(0);
  private readonly relay = new HandOutRelay(this.tracker);
  private readonly waiting: AppendTicket[] = [];
  private readonly data = new Waiters<boolean>();
  private readonly counter: DropCounter;
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private nextId = 0;
  private state: 'new' | 'open' | 'closed' = 'new';
  private appended = 0;
  private acked = 0;

  constructor(private readonly o: MemorySpoolOptions) {
    this.clock = o.clock ?? systemClock;
    this.maxInFlight = o.maxInFlight ?? 1_000_000;
    this.counter = new DropCounter(o.log ?? silentLog, this.clock);
  }

  open(): Promise<RecoveryReport> {
    if (this.state !== 'new') throw new Error('spool: open() called twice');
    this.state = 'open';
    return Promise.resolve(EMPTY_RECOVERY);
  }

  append(entries: readonly SpoolEntry[]): Promise<AppendResult> {
    if (this.state !== 'open') return Promise.reject(closedError(this.state));
    const t = new AppendTicket(entries);
    if (entries.length === 0) return t.promise;
    this.waiting.push(t);
    if (this.waiting.length === 1) this.admit();
    return t.promise;
  }

  read(max: number): Promise<SpoolItem[]> {
    const out: SpoolItem[] = [];
    if (this.state !== 'open') return Promise.resolve(out);
    this.q.readInto(out, Math.min(max, this.maxInFlight - this.tracker.inFlight()));
    for (const it of out) this.tracker.handOut(it.id, it.ingestTime);
    return Promise.resolve(out);
  }

  readTo(max: number, sink: SpoolSink): Promise<number> {
    if (this.state !== 'open') return Promise.resolve(0);
    return Promise.resolve(this.relay.read(this.q, sink, Math.min(max, this.maxInFlight - this.tracker.inFlight())));
  }

  waitForData(): Promise<boolean> {
    if (this.state === 'closed') return Promise.resolve(false);
    if (this.readable()) return Promise.resolve(true);
    return this.data.wait();
  }

  ack(id: number): void {
    if (!this.tracker.ack(id)) return;
    this.q.release(id);
    this.acked++;
    if (this.waiting.length > 0) this.admit();
    if (this.data.size > 0 && this.readable()) this.data.wake(true);
  }

  setSinkHealthy(_healthy: boolean): void {}

  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closed';
    const err = closedError('closed');
    for (const t of this.waiting.splice(0)) t.fail(err);
    this.counter.drop('closed-in-memory', this.q.count);
    this.data.wake(false);
    this.counter.close();
    return Promise.resolve();
  }

  stats(): SpoolStats {
    const oldest = this.q.oldestIngestTime();
    return {
      mode: 'memory',
      records: this.q.count,
      bytes: this.q.bytes,
      diskBytes: 0,
      memoryBytes: this.q.bytes,
      segments: 0,
      oldestRecordAgeMs: Number.isNaN(oldest) ? 0 : Math.max(0, this.clock.wallNow() - oldest),
      inFlight: this.tracker.inFlight(),
      lowWaterMark: this.tracker.lowWaterMark(),
      appendedRecords: this.appended,
      ackedRecords: this.acked,
      diskBytesWritten: 0,
      fsyncs: 0,
      blockedAppends: this.waiting.length,
      drops: { ...this.counter.drops },
      ioErrors: { ...this.counter.ioErrors },
      diskHealthy: true,
      quarantinedSegments: 0,
    };
  }

  private readable(): boolean {
    return this.q.hasUnread() && this.tracker.inFlight() < this.maxInFlight;
  }

  /** Admits waiting appends in order; stops at the first entry that must wait (onFull=block). */
  private admit(): void {
    const max = this.o.maxBytes;
    let added = false;
    while (this.waiting.length > 0) {
      const t = this.waiting[0]!;
      while (t.next < t.entries.length) {
        const e = t.entries[t.next]!;
        const size = frameSize(e);
        if (size > max / 4 || !frameable(e, size)) {
          this.counter.drop('too-large', 1);
          t.drop(1);
          t.next++;
          continue;
        }
        if (this.q.bytes + size > max && !this.makeRoom(size)) {
          if (this.o.onFull === 'block') {
            if (added && this.readable()) this.data.wake(true);
            return;
          }
          this.counter.drop('full-drop-newest', 1);
          t.drop(1);
          t.next++;
          continue;
        }
        const id = this.nextId++;
        this.q.push(e, id, size);
        this.appended++;
        added = true;
        t.stored(1);
        t.next++;
      }
      this.waiting.shift();
    }
    if (added && this.readable()) this.data.wake(true);
  }

  private makeRoom(size: number): boolean {
    if (this.o.onFull !== 'drop-oldest') return false;
    while (this.q.bytes + size > this.o.maxBytes) {
      if (this.q.dropOldestUnread() === undefined) return false;
      this.counter.drop('full-drop-oldest', 1);
    }
    return true;
  }
}
