/**
 * "Once per burst" logging for errors that can repeat per record (a disk that went read-only, a
 * dead-letter file that cannot be written): the first occurrence of a key is logged at once; later
 * ones within `windowMs` are only counted; the next line for that key (the next occurrence after
 * the window, or the summary `sweep()` writes once the window has passed) carries
 * `suppressed: <count>`. `flush()` (on shutdown) writes every pending summary.
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';

/** The part of a pino logger this needs. */
export interface LevelledLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export type BurstLevel = 'info' | 'warn' | 'error';

export interface BurstLoggerOptions {
  /** Minimum gap between two lines of the same key. Default 60 s. */
  readonly windowMs?: number | undefined;
  readonly clock?: Clock | undefined;
  /** Sweep pending summaries on an (unref'd) timer. Default true; tests call `sweep()` themselves. */
  readonly timer?: boolean | undefined;
  /** Keys remembered at most (oldest quiet ones are forgotten). Default 1000. */
  readonly maxKeys?: number | undefined;
}

interface Burst {
  level: BurstLevel;
  message: string;
  fields: object | undefined;
  /** When the last line for this key was written. */
  loggedAt: number;
  suppressed: number;
  /** Occurrences since the key was first seen. */
  total: number;
}

export class BurstLogger {
  private readonly bursts = new Map<string, Burst>();
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly useTimer: boolean;
  private readonly maxKeys: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: LevelledLog,
    options: BurstLoggerOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
    this.useTimer = options.timer ?? true;
    this.maxKeys = options.maxKeys ?? 1000;
  }

  info(key: string, message: string, fields?: object): void {
    this.note('info', key, message, fields);
  }

  warn(key: string, message: string, fields?: object): void {
    this.note('warn', key, message, fields);
  }

  error(key: string, message: string, fields?: object): void {
    this.note('error', key, message, fields);
  }

  /** Occurrences of `key` so far (logged or not). */
  count(key: string): number {
    return this.bursts.get(key)?.total ?? 0;
  }

  /** Writes the summary of every key whose window has passed with occurrences still unreported. */
  sweep(): void {
    const now = this.clock.now();
    for (const [key, b] of this.bursts) {
      if (b.suppressed > 0 && now - b.loggedAt >= this.windowMs) this.emit(key, b, now);
      else if (b.suppressed === 0 && now - b.loggedAt >= 10 * this.windowMs) this.bursts.delete(key);
    }
    this.arm();
  }

  /** Writes every pending summary now (shutdown). */
  flush(): void {
    const now = this.clock.now();
    for (const [key, b] of this.bursts) if (b.suppressed > 0) this.emit(key, b, now);
  }

  close(): void {
    this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private note(level: BurstLevel, key: string, message: string, fields: object | undefined): void {
    const now = this.clock.now();
    let b = this.bursts.get(key);
    if (!b) {
      if (this.bursts.size >= this.maxKeys) this.evict();
      b = { level, message, fields, loggedAt: now, suppressed: 0, total: 1 };
      this.bursts.set(key, b);
      this.write(level, key, message, fields, 0);
      return;
    }
    b.total++;
    b.level = level;
    b.message = message;
    b.fields = fields;
    if (now - b.loggedAt >= this.windowMs) {
      this.emit(key, b, now);
      return;
    }
    b.suppressed++;
    if (b.suppressed === 1) this.arm();
  }

  private emit(key: string, b: Burst, now: number): void {
    this.write(b.level, key, b.message, b.fields, b.suppressed);
    b.suppressed = 0;
    b.loggedAt = now;
  }

  private write(level: BurstLevel, key: string, message: string, fields: object | undefined, suppressed: number): void {
    const out = suppressed > 0 ? { ...fields, burst: key, suppressed } : { ...fields, burst: key };
    this.log[level](out, suppressed > 0 ? `${message} (${suppressed} more since the last report)` : message);
  }

  private arm(): void {
    if (!this.useTimer || this.timer) return;
    let pending = false;
    for (const b of this.bursts.values()) if (b.suppressed > 0) pending = true;
    if (!pending) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep();
    }, this.windowMs);
    this.timer.unref();
  }

  private evict(): void {
    for (const [key, b] of this.bursts) {
      if (b.suppressed === 0) {
        this.bursts.delete(key);
        return;
      }
    }
    const first = this.bursts.entries().next();
    if (first.done) return;
    const [key, b] = first.value;
    this.emit(key, b, this.clock.now()); // report its count before forgetting it
    this.bursts.delete(key);
  }
}
