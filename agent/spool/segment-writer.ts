/**
 * The write path: pending entries → frames → one positional write per round into the active
 * segment (a round never spans two segments), rotation at segmentBytes, and the fsync policy:
 *
 *   batch    — fsync after every round; appends resolve after it.
 *   interval — rounds are written at once; one fsync per interval covers every round written
 *              since (group commit); appends resolve after it.
 *   never    — appends resolve after write(2): in the page cache, safe from kill -9 only.
 *
 * Concurrent appends that arrive while a round is in flight share the next round (and fsync).
 * A single pump owns the segment file descriptor, so writes, fsyncs and rotation never overlap.
 */
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { AppendTicket } from './append-ticket.ts';
import { errnoCode, fsyncDir, writeFully } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import { PendingQueue } from './pending-queue.ts';
import { KeyDict } from './key-dict.ts';
import { encodeFrame } from './record-codec.ts';
import { encodeSegmentHeader, newSegmentMeta, SEGMENT_HEADER_BYTES } from './segment.ts';
import type { SegmentMeta } from './segment.ts';
import type { SegmentSet } from './segment-set.ts';
import type { FsyncPolicy } from './spool.ts';

const ROUND_MAX_BYTES = 1024 * 1024;

export type FailureDecision = 'retry-now' | 'retry-later' | 'drop';

export interface WriterHooks {
  /** New frames are readable in `seg`. */
  written(seg: SegmentMeta): void;
  /** A write failed (`attempt` counts consecutive failures). Not called while closing: drop. */
  failed(code: string, attempt: number): Promise<FailureDecision>;
  /** Entries dropped after a failed write. */
  dropped(code: string, n: number): void;
  ioError(code: string, what: string): void;
}

export interface WriterOptions {
  readonly fs: SpoolFs;
  readonly dir: string;
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  readonly segmentBytes: number;
  readonly retryMs: number;
  readonly clock: Clock;
}

export class SegmentWriter {
  readonly pending = new PendingQueue();
  bytesWritten = 0;
  fsyncs = 0;
  /** errno code of the last failed write until a write succeeds again. */
  failingCode: string | undefined;
  /** Monotonic time before which no write is tried after a failure. */
  retryAt = 0;
  private active: SegmentMeta | undefined;
  private fd = -1;
  private buf = Buffer.allocUnsafe(ROUND_MAX_BYTES + SEGMENT_HEADER_BYTES);
  private readonly keys = new KeyDict(); // of the active segment
  private running = false;
  private closing = false;
  private attempt = 0;
  private syncWanted = false;
  private sealWanted = false;
  /** Bytes written since the last fsync. */
  private dirty = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastSyncAt = 0;
  private readonly roundTickets: AppendTicket[] = [];
  private readonly roundCounts: number[] = [];
  private readonly awaitTickets: AppendTicket[] = [];
  private readonly awaitCounts: number[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly o: WriterOptions,
    private readonly set: SegmentSet,
    private readonly hooks: WriterHooks,
  ) {}

  /** The segment being written, if any. */
  activeSegment(): SegmentMeta | undefined {
    return this.active;
  }

  /** Starts a pump if none runs and no retry wait is pending. */
  kick(): void {
    if (this.running || this.retryTimer !== undefined) return;
    this.running = true;
    setImmediate(() => void this.pump());
  }

  /** Seals the active segment once nothing is pending (spill: the backlog is gone, so it can be deleted). */
  sealWhenIdle(): void {
    if (this.active === undefined) return;
    this.sealWanted = true;
    this.kick();
  }

  /** Writes everything pending (dropping it if writes fail), fsyncs, closes the file. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kick();
    while (this.running || this.pending.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    await this.seal();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.syncWanted) {
          this.syncWanted = false;
          await this.sync();
        } else if (this.pending.length > 0 && (this.closing || this.retryTimer === undefined)) {
          await this.round();
        } else if (this.sealWanted && this.pending.length === 0) {
          this.sealWanted = false;
          await this.seal();
        } else break;
      }
    } finally {
      this.running = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private async round(): Promise<void> {
    const q = this.pending;
    const seg0 = this.active;
    if (seg0 !== undefined && seg0.records > 0 && seg0.bytes + q.size(0) > this.o.segmentBytes) await this.seal();
    const room = this.o.segmentBytes - (this.active?.bytes ?? SEGMENT_HEADER_BYTES);
    let n = 0;
    let bytes = 0;
    while (n < q.length) {
      const s = q.size(n);
      if (n > 0 && (bytes + s > room || bytes + s > ROUND_MAX_BYTES)) break;
      bytes += s;
      n++;
    }
    if (this.buf.length < bytes) this.buf = Buffer.allocUnsafe(bytes);
    if (this.active === undefined) this.keys.reset();
    const baseId = this.active?.baseId ?? q.id(0);
    const timeBase = this.active?.timeBase ?? q.entry(0).ingestTime;
    const at = this.active?.bytes ?? SEGMENT_HEADER_BYTES;
    let off = 0;
    for (let k = 0; k < n; k++) off = encodeFrame(this.buf, off, q.entry(k), q.id(k) - baseId, timeBase, this.keys, at + off);
    let seg = this.active;
    try {
      seg ??= await this.create(baseId, q.entry(0).ingestTime);
      await writeFully(this.o.fs, this.fd, this.buf, 0, off, seg.bytes);
    } catch (e) {
      await this.failed(e, n, seg);
      return;
    }
    this.attempt = 0;
    this.failingCode = undefined;
    seg.bytes += off;
    seg.records += n;
    seg.lastId = q.id(n - 1);
    this.set.grew(off);
    this.bytesWritten += off;
    this.dirty = true;
    this.collectTickets(n);
    q.shift(n);
    this.hooks.written(seg);
    if (this.o.fsync === 'never') this.completeTickets(this.roundTickets, this.roundCounts);
    else {
      for (let i = 0; i < this.roundTickets.length; i++) {
        this.awaitTickets.push(this.roundTickets[i]!);
        this.awaitCounts.push(this.roundCounts[i]!);
      }
      this.roundTickets.length = 0;
      this.roundCounts.length = 0;
      if (this.o.fsync === 'batch') await this.sync();
      else this.scheduleSync();
    }
  }

  private async failed(e: unknown, n: number, seg: SegmentMeta | undefined): Promise<void> {
    const code = errnoCode(e);
    this.hooks.ioError(code, 'segment write');
    this.failingCode = code;
    this.keys.forget(); // the round's key definitions never reached the file
    if (seg !== undefined) {
      try {
        await this.o.fs.ftruncate(this.fd, seg.bytes);
      } catch (te) {
        this.hooks.ioError(errnoCode(te), 'truncate after a failed write');
        await this.seal();
      }
    }
    this.attempt++;
    const decision: FailureDecision = this.closing ? 'drop' : await this.hooks.failed(code, this.attempt);
    if (decision === 'retry-now') return;
    this.retryAt = this.o.clock.now() + this.o.retryMs;
    if (decision === 'drop') {
      const all = this.pending.length;
      this.collectTickets(all);
      this.pending.shift(all);
      for (let i = 0; i < this.roundTickets.length; i++) this.roundTickets[i]!.drop(this.roundCounts[i]!);
      this.roundTickets.length = 0;
      this.roundCounts.length = 0;
      this.hooks.dropped(code, all);
      this.attempt = 0;
      return;
    }
    const backoff = Math.min(this.o.retryMs, 50 * 2 ** Math.min(this.attempt, 10));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, backoff);
  }

  private async create(baseId: number, firstIngestTime: number): Promise<SegmentMeta> {
    const meta = newSegmentMeta(baseId, firstIngestTime);
    const path = join(this.o.dir, meta.name);
    const fd = await this.o.fs.open(path, 'w', 0o600);
    try {
      const h = Buffer.allocUnsafe(SEGMENT_HEADER_BYTES);
      encodeSegmentHeader(h, 0, baseId, firstIngestTime);
      await writeFully(this.o.fs, fd, h, 0, SEGMENT_HEADER_BYTES, 0);
      if (this.o.fsync !== 'never') await fsyncDir(this.o.fs, this.o.dir);
    } catch (e) {
      await this.o.fs.close(fd).catch((ce: unknown) => this.hooks.ioError(errnoCode(ce), 'close'));
      await this.o.fs.unlink(path).catch((ue: unknown) => this.hooks.ioError(errnoCode(ue), 'unlink of a failed segment'));
      throw e;
    }
    this.fd = fd;
    this.active = meta;
    this.set.add(meta);
    this.bytesWritten += SEGMENT_HEADER_BYTES;
    return meta;
  }

  /** fsyncs (unless never), resolves appends waiting for it, closes and seals the active segment. */
  private async seal(): Promise<void> {
    if (this.active === undefined) return;
    await this.sync();
    try {
      await this.o.fs.close(this.fd);
    } catch (e) {
      this.hooks.ioError(errnoCode(e), 'close of a segment');
    }
    this.fd = -1;
    this.active.sealed = true;
    this.active = undefined;
  }

  private async sync(): Promise<void> {
    if (this.fd >= 0 && this.o.fsync !== 'never' && this.dirty) {
      this.dirty = false;
      try {
        await this.o.fs.fsync(this.fd);
        this.fsyncs++;
      } catch (e) {
        // The kernel may have dropped the pages: start a new segment; the appends still resolve
        // (their bytes were written), the error is counted and logged.
        this.hooks.ioError(errnoCode(e), 'fsync');
      }
      this.lastSyncAt = this.o.clock.now();
    }
    this.completeTickets(this.awaitTickets, this.awaitCounts);
  }

  private scheduleSync(): void {
    if (this.syncTimer !== undefined) return;
    const wait = Math.max(0, this.lastSyncAt + this.o.fsyncIntervalMs - this.o.clock.now());
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncWanted = true;
      if (!this.running) this.kick();
    }, wait);
  }

  private collectTickets(n: number): void {
    const q = this.pending;
    for (let k = 0; k < n; k++) {
      const t = q.ticket(k);
      if (t === undefined) continue;
      const last = this.roundTickets.length - 1;
      if (last >= 0 && this.roundTickets[last] === t) this.roundCounts[last] = this.roundCounts[last]! + 1;
      else {
        this.roundTickets.push(t);
        this.roundCounts.push(1);
      }
    }
  }

  private completeTickets(tickets: AppendTicket[], counts: number[]): void {
    for (let i = 0; i < tickets.length; i++) tickets[i]!.stored(counts[i]!);
    tickets.length = 0;
    counts.length = 0;
  }
}
