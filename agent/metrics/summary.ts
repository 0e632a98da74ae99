/**
 * The one-line summary the agent logs every `metrics.summaryInterval` (default 60 s), e.g.
 * `received=120034 sent=120001 rate=2000.0/s throttled=0 failed=0 rejected=3 skew=1.08 hottest=shardId-000000000002 queue=33 spool=0/0B oldest=0s`.
 * `formatSummary` is a pure function; `SummaryLine` remembers the previous totals to compute the rate.
 */
import type { AgentStatus } from './agent-metrics.ts';

/** The figures the summary shows (a subset of AgentStatus, so tests can build one by hand). */
export type SummaryInput = Pick<AgentStatus, 'totals' | 'skew' | 'hottest' | 'queueDepth' | 'spool'>;

export function formatSummary(s: SummaryInput, sentPerSec: number): string {
  const t = s.totals;
  const parts = [
    `received=${t.received}`,
    `sent=${t.sent}`,
    `rate=${sentPerSec.toFixed(1)}/s`,
    `throttled=${t.throttled}`,
    `failed=${t.failed}`,
    `rejected=${t.rejected}`,
    `skew=${s.skew.toFixed(2)}`,
    `hottest=${s.hottest ?? '-'}`,
    `queue=${s.queueDepth}`,
  ];
  if (s.spool) parts.push(`spool=${s.spool.records}/${formatBytes(s.spool.bytes)}`, `oldest=${Math.round(s.spool.oldestAgeSeconds)}s`);
  return parts.join(' ');
}

/** Keeps the previous `sent` total so each line shows the rate since the line before. */
export class SummaryLine {
  private lastSent: number | undefined;
  private lastAt = 0;

  /** `nowMs`: a monotonic clock reading (Clock.now()). */
  next(s: SummaryInput, nowMs: number): string {
    const rate = this.lastSent === undefined || nowMs <= this.lastAt ? 0 : ((s.totals.sent - this.lastSent) * 1000) / (nowMs - this.lastAt);
    this.lastSent = s.totals.sent;
    this.lastAt = nowMs;
    return formatSummary(s, Math.max(0, rate));
  }
}

/** 1536 → "1.5KiB", 0 → "0B". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v.toFixed(1)}${units[u] as string}`;
}

export interface SummaryLog {
  info(fields: object, message: string): void;
}

/**
 * A lifecycle part that logs the summary line every `intervalMs` (from `metrics.summaryInterval`;
 * 0 = off) and once more on stop. Fields `{ summary: true }` let log tooling pick the lines out.
 */
export class SummaryLogger {
  readonly name = 'summary';
  private readonly line = new SummaryLine();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: {
      readonly intervalMs: number;
      readonly status: () => SummaryInput;
      readonly log: SummaryLog;
      /** Monotonic ms (Clock.now). Default performance.now. */
      readonly now?: (() => number) | undefined;
    },
  ) {}

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.line.next(this.opts.status(), this.now()); // baseline for the first rate
    this.timer = setInterval(() => this.emit(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.emit();
  }

  /** Logs one line now. */
  emit(): void {
    this.opts.log.info({ summary: true }, this.line.next(this.opts.status(), this.now()));
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }
}
