/**
 * Live progress on stderr: a listener of the engine's (or the workers') progress snapshots, one
 * line per wall-clock second at most: send and ack rates, latency of the last interval, errors,
 * throttles, backlog and the hottest shard's utilisation in the last complete second.
 */
import type { Progress } from '../engine/progress.ts';

export interface ProgressPrinterOptions {
  readonly write: (line: string) => void;
  /** Least wall-clock time between two lines (default 900 ms: one line per engine tick in real time, jitter included). */
  readonly intervalMs?: number;
  readonly wallNow?: () => number;
}

export class ProgressPrinter {
  private lastWall = Number.NEGATIVE_INFINITY;
  private last: Progress | undefined;
  private lines = 0;
  private readonly intervalMs: number;
  private readonly wallNow: () => number;

  constructor(private readonly options: ProgressPrinterOptions) {
    this.intervalMs = options.intervalMs ?? 900; // engine ticks are ~1 s apart, with jitter
    this.wallNow = options.wallNow ?? (() => performance.now());
  }

  /** The listener: pass it as `onProgress`. */
  readonly onProgress = (p: Progress): void => {
    const wall = this.wallNow();
    if (wall - this.lastWall < this.intervalMs) return;
    this.lastWall = wall;
    this.options.write(formatProgress(p, this.last));
    this.last = p;
    this.lines++;
  };

  get printed(): number {
    return this.lines;
  }
}

/** One progress line; rates are per run-clock second since `prev` (or since the start). */
export function formatProgress(p: Progress, prev: Progress | undefined): string {
  const dt = (p.runMs - (prev?.runMs ?? 0)) / 1000;
  const rate = (now: number, before: number | undefined): string => (dt > 0 ? fmt((now - (before ?? 0)) / dt) : '–');
  const errors = p.failed + p.droppedLate + p.droppedBacklog;
  const hot = hottest(p);
  const parts = [
    `[${fmtTime(p.runMs)}]`,
    `sent ${rate(p.sent, prev?.sent)}/s`,
    `acked ${rate(p.acked, prev?.acked)}/s`,
    p.window.count > 0 ? `p50 ${ms(p.window.p50)} p99 ${ms(p.window.p99)}` : 'p50 – p99 –',
    `errors ${errors}`,
    `throttled ${p.throttled}${p.targetThrottles > 0 ? ` (${p.targetThrottles} throttle events)` : ''}`,
    `backlog ${p.queued}`,
  ];
  if (hot !== undefined) parts.push(`hottest ${hot.id} ${(hot.utilisation * 100).toFixed(0)} %`);
  return parts.join('  ');
}

function hottest(p: Progress): { id: string; utilisation: number } | undefined {
  let best = -1;
  let util = 0;
  const { records, bytes } = p.lastSecond;
  for (let s = 0; s < records.length; s++) {
    const u = Math.max((records[s] ?? 0) / p.limits.recordsPerSec, (bytes[s] ?? 0) / p.limits.bytesPerSec);
    if (u > util) {
      util = u;
      best = s;
    }
  }
  return best < 0 ? undefined : { id: p.shardIds[best] ?? `shard-${best}`, utilisation: util };
}

function fmtTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${String(s).padStart(3)}s`;
}

function ms(x: number): string {
  return x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}
