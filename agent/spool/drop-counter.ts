/**
 * Counts dropped records by reason and I/O errors by errno code, and logs each kind once per
 * burst: a warning when a burst starts, a summary once it has been quiet for `quietMs`.
 */
import type { Clock } from '../core/clock.ts';
import { DROP_REASONS } from './spool.ts';
import type { DropReason } from './spool.ts';

export type SpoolLogLevel = 'info' | 'warn' | 'error';
/** Adapter to the agent's logger (pino: `(level, msg, fields) => logger[level](fields, msg)`). */
export type SpoolLog = (level: SpoolLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

export const silentLog: SpoolLog = () => {};

interface Burst {
  count: number;
  last: number;
}

export class DropCounter {
  readonly drops: Record<DropReason, number>;
  readonly ioErrors: Record<string, number> = {};
  private readonly bursts = new Map<string, Burst>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: SpoolLog,
    private readonly clock: Clock,
    private readonly quietMs = 5000,
  ) {
    const d = {} as Record<DropReason, number>;
    for (const r of DROP_REASONS) d[r] = 0;
    this.drops = d;
  }

  drop(reason: DropReason, n: number, detail?: string): void {
    if (n <= 0) return;
    this.drops[reason] += n;
    this.note(`drop:${reason}`, n, 'warn', `spool: dropping records (${reason})`, detail);
  }

  ioError(code: string, what: string): void {
    this.ioErrors[code] = (this.ioErrors[code] ?? 0) + 1;
    this.note(`io:${code}:${what}`, 1, 'error', `spool: ${what} failed (${code}); retrying, records counted`, undefined);
  }

  /** Logs the summaries of open bursts and stops the timer. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const [key, b] of this.bursts) this.log('info', `spool: burst ended (${key})`, { count: b.count });
    this.bursts.clear();
  }

  private note(key: string, n: number, level: SpoolLogLevel, msg: string, detail: string | undefined): void {
    const now = this.clock.now();
    const b = this.bursts.get(key);
    if (b !== undefined) {
      b.count += n;
      b.last = now;
      return;
    }
    this.bursts.set(key, { count: n, last: now });
    this.log(level, msg, detail === undefined ? { count: n } : { count: n, detail });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.quietMs);
      this.timer.unref();
    }
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, b] of this.bursts) {
      if (now - b.last < this.quietMs) continue;
      this.bursts.delete(key);
      this.log('info', `spool: burst ended (${key})`, { count: b.count });
    }
    if (this.bursts.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
