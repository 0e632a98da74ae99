/**
 * mode=always and mode=spill: the segmented log on disk (segment-writer.ts, segment-reader.ts),
 * recovery at open, the persisted low-water mark, onFull policies and disk errors.
 *
 * Spill keeps a memory tail (MemQueue) while the sink is healthy; the tail is written out, in
 * order, when the sink turns unhealthy, when the memory budget is exceeded, and at close.
 * Invariant: every id in the memory tail is above every id on disk or pending for disk, and
 * the tail is only read once nothing is pending for disk, so hand-out stays in append order.
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { AckTracker } from './ack-tracker.ts';
import { AppendTicket, closedError } from './append-ticket.ts';
import { CursorKeeper } from './cursor-keeper.ts';
import { DropCounter, silentLog } from './drop-counter.ts';
import type { SpoolLog } from './drop-counter.ts';
import { diskDropReason, failureDecision, fileSpoolStats, reportRecovery } from './file-spool-policy.ts';
import { nodeSpoolFs } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import { MemQueue } from './mem-queue.ts';
import { frameable, frameSize } from './record-codec.ts';
import { recoverSpool } from './recovery.ts';
import type { SpoolOptions } from './spool-config.ts';
import { SEGMENT_HEADER_BYTES } from './segment.ts';
import { SegmentReader } from './segment-reader.ts';
import { SegmentSet } from './segment-set.ts';
import { SegmentWriter } from './segment-writer.ts';
import type { FailureDecision } from './segment-writer.ts';
import { HandOutRelay, itemsTo, type AppendOptions, type AppendResult, type RecoveryReport, type Spool, type SpoolEntry, type SpoolItem, type SpoolSink, type SpoolStats } from './spool.ts';
import { Waiters } from './waiters.ts';

/**
 * Memory a replayable input (a file) may fill in spill mode before its appends wait: enough to
 * keep the sender busy (the producer buffers its own ~2 MiB of requests behind it), no more. The
 * rest of the memory budget stays free for inputs that cannot wait (MQTT). Measured on the 1 M-line
 * file benchmark: 4 MiB → 512 KiB cut the agent's peak RSS from ~220 to ~128 MiB at the same
 * lines/s (256 KiB saved only ~5 MiB more).
 */
export const REPLAYABLE_MEMORY_BYTES = 512 * 1024;

const noop = (): void => undefined;

export interface SpoolDeps {
  readonly fs?: SpoolFs;
  readonly clock?: Clock;
  readonly log?: SpoolLog;
}

export class FileSpool implements Spool {
  readonly mode: 'always' | 'spill';
  readonly capabilities = { durable: true } as const;
  private readonly fs: SpoolFs;
  private readonly clock: Clock;
  private readonly counter: DropCounter;
  private readonly set: SegmentSet;
  private readonly writer: SegmentWriter;
  private readonly tail = new MemQueue();
  private readonly waiting: AppendTicket[] = [];
  private readonly data = new Waiters<boolean>();
  /** Sources waiting in whenRoom: for the tail to be half empty (replayable input), or for the append queue to be empty. */
  private readonly roomInTail = new Waiters<void>();
  private readonly roomInQueue = new Waiters<void>();
  private readonly pendingCap: number;
  private readonly log: SpoolLog;
  /** maxBytes less room for the headers of the segments it can hold (32 bytes each). */
  private readonly budget: number;
  private reader!: SegmentReader;
  private tracker!: AckTracker;
  private cursor!: CursorKeeper;
  private state: 'new' | 'open' | 'closing' | 'closed' = 'new';
  private healthy = true;
  private nextId = 0;
  private records = 0;
  private appended = 0;
  private acked = 0;
  private quarantined = 0;
  private readChain: Promise<unknown> = Promise.resolve();
  /** readTo's hand-out step (the tracker exists from open() on). */
  private readonly relay = new HandOutRelay({ handOut: (id, ingestTime) => this.tracker.handOut(id, ingestTime) });
  private closing: Promise<void> | undefined;

  constructor(
    private readonly o: SpoolOptions,
    deps: SpoolDeps = {},
  ) {
    if (o.mode === 'memory') throw new Error('spool: FileSpool cannot run mode=memory (use MemorySpool)');
    this.mode = o.mode;
    this.fs = deps.fs ?? nodeSpoolFs;
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? silentLog;
    this.counter = new DropCounter(this.log, this.clock);
    const ioError = (code: string, what: string): void => this.counter.ioError(code, what);
    this.set = new SegmentSet(this.fs, o.dir, ioError);
    this.budget = o.maxBytes - SEGMENT_HEADER_BYTES * (Math.ceil(o.maxBytes / o.segmentBytes) + 2);
    this.pendingCap = Math.max(256 * 1024, Math.min(8 * 1024 * 1024, Math.floor(o.maxBytes / 8)));
    this.writer = new SegmentWriter(
      { fs: this.fs, dir: o.dir, fsync: o.fsync, fsyncIntervalMs: o.fsyncIntervalMs, segmentBytes: o.segmentBytes, retryMs: o.retryMs, clock: this.clock },
      this.set,
      {
        written: () => {
          if (this.waiting.length > 0) this.admit();
          this.wakeReaders();
        },
        failed: (code, attempt) => this.writeFailed(code, attempt),
        dropped: (code, n) => {
          this.records -= n;
          this.counter.drop(diskDropReason(code), n, code);
          if (this.waiting.length > 0) setImmediate(() => this.admit());
        },
        ioError,
      },
    );
  }

  async open(): Promise<RecoveryReport> {
    if (this.state !== 'new') throw new Error('spool: open() called twice');
    const ioError = (code: string, what: string): void => this.counter.ioError(code, what);
    const rec = await recoverSpool({ fs: this.fs, dir: this.o.dir, verify: this.o.verify, sync: this.o.fsync !== 'never', onIoError: ioError });
    for (const m of rec.segments) this.set.add(m);
    this.quarantined = reportRecovery(rec.report, this.log, this.counter);
    const lwm = rec.report.lowWaterMark;
    this.nextId = rec.report.nextId;
    this.records = rec.report.records;
    this.tracker = new AckTracker(lwm);
    this.reader = new SegmentReader(this.fs, this.o.dir, this.set, this.o.readChunkBytes, lwm, {
      corrupt: (records, bytes) => {
        this.records -= records;
        this.counter.drop('corrupt', records, `${bytes} bytes`);
      },
      ioError,
    });
    this.cursor = new CursorKeeper(
      {
        fs: this.fs, dir: this.o.dir, sync: this.o.fsync !== 'never', intervalMs: this.o.cursorIntervalMs,
        lowWaterMark: () => this.tracker.lowWaterMark(),
        worthPersisting: () => this.set.list.length > 0,
        afterPersist: (l) => {
          const active = this.writer.activeSegment();
          if (this.mode === 'spill' && active !== undefined && active.lastId < l && this.writer.pending.length === 0) this.writer.sealWhenIdle();
          if (this.set.removeAcked(l) > 0 && this.waiting.length > 0) this.admit();
        },
        ioError,
      },
      lwm,
    );
    this.cursor.start();
    this.state = 'open';
    return rec.report;
  }

  append(entries: readonly SpoolEntry[], opts?: AppendOptions): Promise<AppendResult> {
    if (this.state !== 'open') return Promise.reject(closedError(this.state === 'new' ? 'new' : 'closed'));
    const t = new AppendTicket(entries, opts?.replayable === true);
    if (entries.length === 0) return t.promise;
    this.waiting.push(t);
    if (this.waiting.length === 1) this.admit();
    return t.promise;
  }

  read(max: number): Promise<SpoolItem[]> {
    const run = this.readChain.then(() => this.readNow(max));
    // Settles with nothing: a chain that kept the items until the next read would keep them long
    // enough to be promoted (docs/in-flight-records.md).
    this.readChain = run.then(noop, noop);
    return run;
  }

  readTo(max: number, sink: SpoolSink): Promise<number> {
    const run = this.readChain.then(() => this.readToNow(max, sink));
    this.readChain = run.then(noop, noop);
    return run;
  }

  waitForData(): Promise<boolean> {
    if (this.state !== 'open') return Promise.resolve(false);
    if (this.readable()) return Promise.resolve(true);
    return this.data.wait();
  }

  ack(id: number): void {
    if (this.state === 'new' || this.state === 'closed' || !this.tracker.ack(id)) return;
    this.acked++;
    this.records--;
    if (this.mode === 'spill' && this.tail.release(id)) {
      if (this.waiting.length > 0) this.admit();
      else this.wakeRoom();
    }
    const oldest = this.set.oldestSealed();
    if (oldest !== undefined && oldest.lastId < this.tracker.lowWaterMark()) this.cursor.soon();
    if (this.data.size > 0 && this.readable()) this.data.wake(true);
  }

  setSinkHealthy(healthy: boolean): void {
    if (this.mode !== 'spill' || this.healthy === healthy) return;
    this.healthy = healthy;
    if (!healthy && this.state === 'open' && this.tail.count > 0) {
      this.flushTail();
      this.writer.kick();
    }
    if (!healthy && this.state === 'open' && this.waiting.length > 0) this.admit();
    this.wakeRoom();
  }

  close(): Promise<void> {
    if (this.state === 'new') return Promise.resolve();
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const err = closedError('closed');
    for (const t of this.waiting.splice(0)) t.fail(err);
    if (this.tail.count > 0) this.flushTail();
    await this.writer.close();
    await this.readChain;
    await this.reader.close();
    await this.cursor.close();
    await this.set.settled();
    this.state = 'closed';
    this.counter.close();
    this.data.wake(false);
    this.roomInTail.wake();
    this.roomInQueue.wake();
  }

  stats(): SpoolStats {
    const opened = this.state !== 'new';
    return fileSpoolStats({
      mode: this.mode, records: this.records, appended: this.appended, acked: this.acked, blocked: this.waiting.length,
      tracker: opened ? this.tracker : undefined, tail: this.tail, set: this.set, writer: this.writer,
      cursorBytesWritten: opened ? this.cursor.bytesWritten : 0, counter: this.counter, wallNow: this.clock.wallNow(), quarantined: this.quarantined,
    });
  }

  private async readNow(max: number): Promise<SpoolItem[]> {
    const out: SpoolItem[] = [];
    if (this.state !== 'open') return out;
    const limit = Math.min(max, this.o.maxInFlight - this.tracker.inFlight());
    if (this.reader.hasUnread()) await this.reader.readInto(out, limit);
    if (out.length < limit && this.tailIsNext()) {
      const from = out.length;
      this.tail.readInto(out, limit);
      if (out.length > from) this.reader.skipTo(out[out.length - 1]!.id + 1);
    }
    for (const it of out) this.tracker.handOut(it.id, it.ingestTime);
    this.tracker.skipTo(this.reader.nextId);
    return out;
  }

  /** readNow handing parts: from the memory tail straight out of its columns; from disk, as items. */
  private async readToNow(max: number, sink: SpoolSink): Promise<number> {
    if (this.state !== 'open') return 0;
    if (!this.tailIsNext()) return itemsTo(await this.readNow(max), sink);
    const n = this.relay.read(this.tail, sink, Math.min(max, this.o.maxInFlight - this.tracker.inFlight()));
    if (n > 0) this.reader.skipTo(this.relay.lastId + 1);
    this.tracker.skipTo(this.reader.nextId);
    return n;
  }

  /** The next entries to hand out are in the memory tail: nothing left to read from disk, nothing waiting to be written. */
  private tailIsNext(): boolean {
    return !this.reader.hasUnread() && this.tail.hasUnread() && this.writer.pending.length === 0;
  }

  private readable(): boolean {
    if (this.tracker.inFlight() >= this.o.maxInFlight) return false;
    if (this.reader.hasUnread()) return true;
    return this.tail.hasUnread() && this.writer.pending.length === 0;
  }

  private wakeReaders(): void {
    if (this.data.size > 0 && this.readable()) this.data.wake(true);
  }

  whenRoom(opts?: AppendOptions): Promise<void> | undefined {
    const replayable = opts?.replayable === true;
    if (this.hasRoom(replayable)) return undefined;
    return (replayable ? this.roomInTail : this.roomInQueue).wait();
  }

  /** Nothing waits to be appended and, for replayable input kept in memory, the tail is at most half full. */
  private hasRoom(replayable: boolean): boolean {
    if (this.state !== 'open') return true;
    if (this.waiting.length > 0) return false;
    if (!replayable || this.mode !== 'spill' || !this.healthy) return true;
    return this.tail.bytes <= Math.min(this.o.memoryBytes, REPLAYABLE_MEMORY_BYTES) / 2;
  }

  private wakeRoom(): void {
    if (this.roomInQueue.size > 0 && this.hasRoom(false)) this.roomInQueue.wake();
    if (this.roomInTail.size > 0 && this.hasRoom(true)) this.roomInTail.wake();
  }

  private used(): number {
    return this.set.diskBytes + this.writer.pending.bytes + this.tail.bytes;
  }

  /** Admits waiting appends in order; stops at the first entry that must wait. */
  private admit(): void {
    const o = this.o;
    let toDisk = false;
    let toMemory = false;
    try {
      while (this.waiting.length > 0) {
        const t = this.waiting[0]!;
        while (t.next < t.entries.length) {
          const e = t.entries[t.next]!;
          const size = frameSize(e);
          if (!frameable(e, size) || size > o.maxBytes / 4) {
            this.dropOne(t, 'too-large');
            continue;
          }
          const memory = this.mode === 'spill' && this.healthy && size <= o.memoryBytes;
          if (memory && t.replayable && this.tail.count > 0 && this.tail.bytes + size > Math.min(o.memoryBytes, REPLAYABLE_MEMORY_BYTES)) {
            // A replayable input waits for acks to free memory: its data is safe where it is.
            return;
          }
          if (memory && this.tail.bytes + size > o.memoryBytes) this.flushTail();
          else if (!memory && this.tail.count > 0) this.flushTail();
          const w = this.writer;
          if (!memory && w.failingCode !== undefined && o.onFull !== 'block' && this.clock.now() < w.retryAt) {
            this.dropOne(t, diskDropReason(w.failingCode));
            continue;
          }
          if (!memory && w.pending.length > 0 && w.pending.bytes + size > this.pendingCap) return;
          if (this.used() + size > this.budget && !this.makeRoom(size)) {
            // block waits for acks. The drop policies first let pending writes finish: drop-oldest
            // needs them in whole segments, and pending entries weigh their frame-size bound until
            // written, so drop-newest decides on real sizes and refuses a clean run of the newest.
            if (o.onFull === 'block' || w.pending.length > 0) return;
            this.dropOne(t, 'full-drop-newest');
            continue;
          }
          const id = this.nextId++;
          this.records++;
          this.appended++;
          t.next++;
          if (memory) {
            this.tail.push(e, id, size);
            t.stored(1);
            toMemory = true;
          } else {
            w.pending.push(e, id, size, t);
            toDisk = true;
          }
        }
        this.waiting.shift();
      }
    } finally {
      if (toDisk || this.writer.pending.length > 0) this.writer.kick();
      if (toMemory) this.wakeReaders();
      this.wakeRoom();
    }
  }

  private dropOne(t: AppendTicket, reason: Parameters<DropCounter['drop']>[0]): void {
    this.counter.drop(reason, 1);
    t.drop(1);
    t.next++;
  }

  /** Moves the memory tail, in order, to the disk queue (entries already acknowledged upstream). */
  private flushTail(): void {
    const pending = this.writer.pending;
    this.tail.drain((item, size) => pending.push(item, item.id, size, undefined));
  }

  /** onFull=drop-oldest: deletes whole oldest sealed segments (then unread memory) until `size` fits. */
  private makeRoom(size: number): boolean {
    if (this.o.onFull !== 'drop-oldest') return false;
    while (this.used() + size > this.budget) {
      if (this.evictOldestSegment()) continue;
      if (this.writer.pending.length > 0) return false;
      const it = this.tail.dropOldestUnread();
      if (it === undefined) return false;
      this.records--;
      this.counter.drop('full-drop-oldest', 1);
    }
    return true;
  }

  private evictOldestSegment(): boolean {
    const s = this.set.removeOldest();
    if (s === undefined) return false;
    const next = this.reader.nextId;
    const unread = s.lastId >= next ? Math.min(s.records, s.lastId - Math.max(next, s.baseId) + 1) : 0;
    const lost = unread + this.tracker.discardBelow(s.lastId + 1);
    this.reader.skipTo(s.lastId + 1);
    this.records -= lost;
    this.counter.drop('full-drop-oldest', lost);
    this.cursor.soon();
    return true;
  }

  private async writeFailed(code: string, attempt: number): Promise<FailureDecision> {
    const d = failureDecision(this.o.onFull, code, attempt, this.set.oldestSealed() !== undefined);
    if (d === 'retry-now') {
      this.evictOldestSegment();
      await this.set.settled();
    }
    return d;
  }
}
