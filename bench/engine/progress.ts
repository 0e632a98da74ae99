/**
 * Live progress: a plain, structured-cloneable snapshot the engine hands its `onProgress` listener
 * about once per run-clock second (the CLI prints it; workers post it to the parent, which adds
 * the parts up with `mergeProgress`). Formatting is the listener's business, not the engine's.
 */
import { KINESIS_LIMITS } from '../../agent/core/limits.ts';
import type { RunCounts } from '../results/run-result.ts';
import type { RunStats } from '../results/run-stats.ts';
import { COL_BYTES, COL_KINESIS_RECORDS } from '../results/shard-series.ts';
import type { ShardLimits } from '../targets/target.ts';

/** The run's counters so far, with the same meanings as in the final result. */
export interface Progress extends Pick<RunCounts, 'generated' | 'sent' | 'acked' | 'throttled' | 'failed' | 'droppedLate' | 'droppedBacklog'> {
  /** Run-clock ms (virtual time in virtual mode). */
  readonly runMs: number;
  /** Records waiting for an in-flight slot, and batches in flight, now. */
  readonly queued: number;
  readonly inFlight: number;
  /** Latency from the intended time (ms) of the records acknowledged since the previous report. */
  readonly window: { readonly p50: number; readonly p99: number; readonly count: number };
  /** The last complete second's Kinesis records and bytes per shard index. */
  readonly lastSecond: { readonly second: number; readonly records: readonly number[]; readonly bytes: readonly number[] };
  readonly shardIds: readonly string[];
  readonly limits: ShardLimits;
  /** Throttle events the target itself saw (producer retries included), 0 when it does not say. */
  readonly targetThrottles: number;
}

export interface ProgressSources {
  readonly stats: RunStats;
  readonly queued: number;
  readonly inFlight: number;
  readonly shardIds: readonly string[];
  readonly limits: ShardLimits | undefined;
  readonly targetThrottles: number;
}

/** Takes a snapshot and clears the latency window. */
export function takeProgress(now: number, src: ProgressSources): Progress {
  const s = src.stats;
  const second = Math.max(0, Math.floor(now / 1000) - 1);
  const width = s.series.shards;
  const records: number[] = new Array<number>(width).fill(0);
  const bytes: number[] = new Array<number>(width).fill(0);
  if (second < s.series.seconds) {
    for (let k = 0; k < width; k++) {
      records[k] = s.series.get(second, k, COL_KINESIS_RECORDS);
      bytes[k] = s.series.get(second, k, COL_BYTES);
    }
  }
  const w = s.window;
  const window = { p50: w.valueAtPercentile(50) / 1000, p99: w.valueAtPercentile(99) / 1000, count: w.count };
  w.clear();
  return {
    runMs: now,
    generated: s.generated,
    sent: s.sent,
    acked: s.acked,
    throttled: s.throttled,
    failed: s.failed,
    droppedLate: s.droppedLate,
    droppedBacklog: s.droppedBacklog,
    queued: src.queued,
    inFlight: src.inFlight,
    window,
    lastSecond: { second, records, bytes },
    shardIds: src.shardIds,
    limits: src.limits ?? { recordsPerSec: KINESIS_LIMITS.shardWriteRecordsPerSec, bytesPerSec: KINESIS_LIMITS.shardWriteBytesPerSec },
    targetThrottles: src.targetThrottles,
  };
}

/**
 * Adds the latest progress of each worker: counts add, per-shard seconds add cell by cell, the
 * window's p50 is the count-weighted mean of the parts' and its p99 their maximum (approximate).
 */
export function mergeProgress(parts: readonly Progress[]): Progress | undefined {
  const first = parts[0];
  if (first === undefined) return undefined;
  const sum = (f: (p: Progress) => number): number => parts.reduce((a, p) => a + f(p), 0);
  const width = Math.max(...parts.map((p) => p.lastSecond.records.length));
  const second = Math.min(...parts.map((p) => p.lastSecond.second));
  const records = new Array<number>(width).fill(0);
  const bytes = new Array<number>(width).fill(0);
  for (const p of parts) {
    p.lastSecond.records.forEach((v, i) => (records[i] = (records[i] as number) + v));
    p.lastSecond.bytes.forEach((v, i) => (bytes[i] = (bytes[i] as number) + v));
  }
  const count = sum((p) => p.window.count);
  return {
    runMs: Math.min(...parts.map((p) => p.runMs)),
    generated: sum((p) => p.generated),
    sent: sum((p) => p.sent),
    acked: sum((p) => p.acked),
    throttled: sum((p) => p.throttled),
    failed: sum((p) => p.failed),
    droppedLate: sum((p) => p.droppedLate),
    droppedBacklog: sum((p) => p.droppedBacklog),
    queued: sum((p) => p.queued),
    inFlight: sum((p) => p.inFlight),
    window: {
      p50: count > 0 ? sum((p) => p.window.p50 * p.window.count) / count : 0,
      p99: Math.max(...parts.map((p) => p.window.p99)),
      count,
    },
    lastSecond: { second, records, bytes },
    shardIds: parts.reduce<readonly string[]>((ids, p) => (p.shardIds.length > ids.length ? p.shardIds : ids), first.shardIds),
    limits: first.limits,
    targetThrottles: sum((p) => p.targetThrottles),
  };
}
