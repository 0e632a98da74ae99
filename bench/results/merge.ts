/** Exact merge of worker results: counts add, histograms add bucket by bucket, series add cell by cell. */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { mergeEncoded } from './histogram.ts';
import type { TargetShardStats, TargetStats } from '../targets/target.ts';
import type { RunCounts, RunResult } from './run-result.ts';
import { ShardSeries } from './shard-series.ts';

const MAX_KEYS: readonly (keyof RunCounts)[] = ['backlogMax', 'inFlightMax'];

export function mergeCounts(parts: readonly RunCounts[]): RunCounts {
  const out: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      const key = k as keyof RunCounts;
      out[k] = MAX_KEYS.includes(key) ? Math.max(out[k] ?? 0, v) : (out[k] ?? 0) + v;
    }
  }
  return out as unknown as RunCounts;
}

export function mergeResults(parts: readonly RunResult[]): RunResult {
  const first = parts[0];
  if (first === undefined) throw new ShardwiseError('E_CONFIG', 'mergeResults: no results to merge');
  const series = new ShardSeries(first.series.shards);
  for (const p of parts) series.addAll(ShardSeries.decode(p.series));
  const errors: Record<string, number> = {};
  const keyingStats: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.keying.stats)) keyingStats[k] = (keyingStats[k] ?? 0) + v;
  }
  const counts = mergeCounts(parts.map((p) => p.counts));
  const sentBytes = parts.reduce((s, p) => s + p.meanRecordBytes * p.counts.generated, 0);
  return {
    version: 1,
    target: first.target,
    mode: first.mode,
    startedAtWallMs: Math.min(...parts.map((p) => p.startedAtWallMs)),
    durationMs: Math.max(...parts.map((p) => p.durationMs)),
    elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
    targetRecordsPerSec: parts.reduce((s, p) => s + p.targetRecordsPerSec, 0),
    keying: { kind: first.keying.kind, ordering: first.keying.ordering, stats: keyingStats },
    counts,
    latency: {
      corrected: mergeEncoded(parts.map((p) => p.latency.corrected)),
      uncorrected: mergeEncoded(parts.map((p) => p.latency.uncorrected)),
    },
    series: series.encode(),
    perDevice: mergePerDevice(parts),
    errors,
    meanRecordBytes: counts.generated > 0 ? sentBytes / counts.generated : 0,
    parts: parts.reduce((s, p) => s + p.parts, 0),
    targetStats: mergeTargetStats(parts.map((p) => p.targetStats)),
  };
}

/** Adds the targets' own counters (undefined when no part has any). */
export function mergeTargetStats(parts: readonly (TargetStats | undefined)[]): TargetStats | undefined {
  const present = parts.filter((p): p is TargetStats => p !== undefined);
  if (present.length === 0) return undefined;
  const perShard: Record<string, TargetShardStats> = {};
  const counters: Record<string, number> = {};
  for (const p of present) {
    for (const [id, s] of Object.entries(p.perShard)) {
      const o = perShard[id];
      perShard[id] = o
        ? { userRecords: o.userRecords + s.userRecords, kinesisRecords: o.kinesisRecords + s.kinesisRecords, bytes: o.bytes + s.bytes, throttledAttempts: o.throttledAttempts + s.throttledAttempts }
        : { ...s };
    }
    for (const [k, v] of Object.entries(p.counters)) counters[k] = (counters[k] ?? 0) + v;
  }
  const latencies = present.flatMap((p) => (p.requestLatency === undefined ? [] : [p.requestLatency]));
  return {
    throttledAttempts: present.reduce((s, p) => s + p.throttledAttempts, 0),
    perShard,
    requestLatency: latencies.length > 0 ? mergeEncoded(latencies) : undefined,
    counters,
  };
}

/** Concatenates per-device counts of contiguous device ranges (null if any part has none). */
function mergePerDevice(parts: readonly RunResult[]): RunResult['perDevice'] {
  if (parts.some((p) => p.perDevice === null)) return null;
  const ranges = parts.map((p) => p.perDevice as NonNullable<RunResult['perDevice']>).sort((a, b) => a.first - b.first);
  const first = (ranges[0] as (typeof ranges)[number]).first;
  const last = ranges[ranges.length - 1] as (typeof ranges)[number];
  const records = new Uint32Array(last.first + last.records.length - first);
  for (const r of ranges) {
    // Overlapping ranges (the same devices in two parts) add up.
    for (let i = 0; i < r.records.length; i++) records[r.first - first + i] = (records[r.first - first + i] as number) + (r.records[i] as number);
  }
  return { first, records };
}
