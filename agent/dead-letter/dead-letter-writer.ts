/**
 * The dead-letter writer: every refused input (malformed JSON/CSV, too large, no device id, …) as
 * one JSON line (see dead-letter-line.ts) in a size-capped, rotated file (see rotating-file.ts).
 *
 * - `write()` is synchronous and never throws: it encodes the line into a small in-memory buffer,
 *   flushed every `flushIntervalMs`, when `flushBytes` are pending, and on `stop()`.
 * - I/O errors never reach the caller: the lines of the failed flush are counted as lost, the
 *   error is logged once per burst (code and path only, never payload content), and the next
 *   flush reopens the file. A buffer over `maxBufferBytes` (disk stuck) drops new lines (lost).
 * - Counts per (source, reason) for metrics (`forEachCount`), whether or not the line was written.
 * Power loss can lose the buffered lines (at most `flushIntervalMs` worth); the file is not fsynced
 * per line (SD cards), only on stop.
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { encodeDeadLetter } from './dead-letter-line.ts';
import { RotatingFile } from './rotating-file.ts';

/** The part of BurstLogger this needs (agent/log/burst-logger.ts). */
export interface DeadLetterLog {
  warn(key: string, message: string, fields?: object): void;
}

export interface DeadLetterOptions {
  /** From `deadLetter.path`. */
  readonly path: string;
  /** From `deadLetter.maxBytes`: size at which the file rotates. */
  readonly maxBytes: number;
  /** From `deadLetter.maxFiles`: rotated files kept. */
  readonly maxFiles: number;
  /** Payload bytes kept per line. Default 64 KiB. */
  readonly maxPayloadBytes?: number | undefined;
  /** Default 1000 ms. */
  readonly flushIntervalMs?: number | undefined;
  /** Pending bytes that trigger a flush before the interval. Default 64 KiB. */
  readonly flushBytes?: number | undefined;
  /** Pending bytes beyond which new lines are dropped (counted as lost). Default 4 MiB. */
  readonly maxBufferBytes?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly log?: DeadLetterLog | undefined;
}

export interface DeadLetterStats {
  /** Inputs handed to `write`. */
  readonly received: number;
  /** Lines written to the file. */
  readonly written: number;
  /** Lines lost to I/O errors or a full buffer. */
  readonly lost: number;
  /** Failed filesystem operations. */
  readonly ioErrors: number;
  readonly bytesWritten: number;
  readonly rotations: number;
  readonly pendingBytes: number;
}

export const DEAD_LETTER_DEFAULTS = {
  maxPayloadBytes: 64 * 1024,
  flushIntervalMs: 1000,
  flushBytes: 64 * 1024,
  maxBufferBytes: 4 * 1024 * 1024,
} as const;

export class DeadLetterWriter {
  readonly name = 'dead-letter';
  private readonly file: RotatingFile;
  private readonly clock: Clock;
  private readonly maxPayloadBytes: number;
  private readonly flushIntervalMs: number;
  private readonly flushBytes: number;
  private readonly maxBufferBytes: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly counts = new Map<string, Map<string, number>>();
  private n = { received: 0, written: 0, lost: 0, ioErrors: 0 };

  constructor(private readonly opts: DeadLetterOptions) {
    this.file = new RotatingFile({ path: opts.path, maxBytes: opts.maxBytes, maxFiles: opts.maxFiles });
    this.clock = opts.clock ?? systemClock;
    this.maxPayloadBytes = opts.maxPayloadBytes ?? DEAD_LETTER_DEFAULTS.maxPayloadBytes;
    this.flushIntervalMs = opts.flushIntervalMs ?? DEAD_LETTER_DEFAULTS.flushIntervalMs;
    this.flushBytes = opts.flushBytes ?? DEAD_LETTER_DEFAULTS.flushBytes;
    this.maxBufferBytes = opts.maxBufferBytes ?? DEAD_LETTER_DEFAULTS.maxBufferBytes;
  }

  /** Opens the file (a failure is counted and logged, not thrown: writes are retried on each flush) and starts the flush timer. */
  async start(): Promise<void> {
    try {
      await this.file.open();
    } catch (err) {
      this.ioError(err, 'open');
    }
    if (!this.timer) {
      this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Records one refused input. Synchronous, never throws. */
  write(source: string, reason: string, raw: Uint8Array | string, detail?: string): void {
    this.n.received++;
    this.count(source, reason);
    try {
      const line = encodeDeadLetter(new Date(this.clock.wallNow()).toISOString(), source, reason, raw, detail, this.maxPayloadBytes);
      const bytes = line.length; // ≥ UTF-16 units; close enough for buffer accounting
      if (this.pendingBytes + bytes > this.maxBufferBytes) {
        this.n.lost++;
        this.opts.log?.warn('dead-letter:buffer-full', 'dead-letter buffer full: dropping lines until the file accepts writes again', {
          path: this.opts.path,
          maxBufferBytes: this.maxBufferBytes,
        });
        return;
      }
      this.pending.push(line);
      this.pendingBytes += bytes;
      if (this.pendingBytes >= this.flushBytes && !this.flushQueued) void this.flush();
    } catch (err) {
      this.n.lost++;
      this.opts.log?.warn('dead-letter:encode', 'dead-letter line could not be encoded', { err: errorFields(err) });
    }
  }

  /** Writes what is buffered; resolves once it is written (or counted lost). Never rejects. */
  flush(): Promise<void> {
    if (this.flushQueued) return this.chain;
    this.flushQueued = true;
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  /** Flushes, fsyncs and closes. Never rejects. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    try {
      await this.file.sync();
      await this.file.close();
    } catch (err) {
      this.ioError(err, 'close');
      await this.file.reset();
    }
  }

  /** Calls `fn` for every (source, reason) seen with its count. */
  forEachCount(fn: (source: string, reason: string, count: number) => void): void {
    for (const [source, byReason] of this.counts) for (const [reason, n] of byReason) fn(source, reason, n);
  }

  stats(): DeadLetterStats {
    return {
      ...this.n,
      bytesWritten: this.file.bytesWritten,
      rotations: this.file.rotations,
      pendingBytes: this.pendingBytes,
    };
  }

  private async drain(): Promise<void> {
    this.flushQueued = false;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.file.appendLines(lines);
      this.n.written += lines.length;
    } catch (err) {
      // Lines in a half-done append may or may not be on disk; count them all as lost, reopen next time.
      this.n.lost += lines.length;
      this.ioError(err, 'write');
      await this.file.reset();
    }
  }

  private count(source: string, reason: string): void {
    let byReason = this.counts.get(source);
    if (!byReason) this.counts.set(source, (byReason = new Map()));
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }

  private ioError(err: unknown, op: string): void {
    this.n.ioErrors++;
    const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    this.opts.log?.warn(`dead-letter:${op}:${code}`, `dead-letter file ${op} failed: dead letters are counted but not kept`, {
      path: this.opts.path,
      code,
      err: errorFields(err),
    });
  }
}

function errorFields(err: unknown): { message: string; code?: string } {
  const e = err as NodeJS.ErrnoException;
  return e.code === undefined ? { message: String(e?.message ?? err) } : { message: String(e.message), code: e.code };
}
