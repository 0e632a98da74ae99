/** VerifyResult → text (pure; the CLI prints it) and → JSON (stable names; add, never rename). */
import type { VerifyResult } from './verify-stream.ts';

export function toVerifyText(v: VerifyResult): string {
  const out: string[] = [];
  const ms = (x: number): string => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
  const ok = v.lost === 0 && v.duplicates === 0 && v.outOfOrder === 0 && (v.run === undefined || v.run.missing === 0);
  out.push(`shardwise-bench verify → ${v.stream} (${v.shards} shards)`);
  out.push(`records    ${v.records} from ${v.devices} devices   (read ${v.read.kinesisRecords} Kinesis records, ${v.read.getRecordsCalls} GetRecords calls)`);
  out.push(`lost       ${v.lost} (gaps in per-device seq below the highest seen)`);
  out.push(`duplicates ${v.duplicates} (a device's seq seen again)`);
  out.push(`order      ${v.outOfOrder} out of order (a device's seq decreasing within a shard's lineage)`);
  if (v.unparsed > 0) out.push(`unparsed   ${v.unparsed} records without a bench payload (other writers?)`);
  if (v.skippedOlder > 0) out.push(`skipped    ${v.skippedOlder} records intended before the run started (an earlier run)`);
  if (v.read.discardedOutOfRange > 0) out.push(`discarded  ${v.read.discardedOutOfRange} sub-records of aggregates outside their shard's range (a KCL consumer drops them too)`);
  if (v.run) {
    out.push(`vs run     expected ${v.run.expected}, missing ${v.run.missing} (includes what the run itself reported dropped or failed), devices never seen ${v.run.devicesNeverSeen}`);
  }
  const L = v.latency.ms;
  out.push(`latency    intended send → arrival: p50 ${ms(L.p50)}  p90 ${ms(L.p90)}  p99 ${ms(L.p99)}  p99.9 ${ms(L.p999)}  max ${ms(L.max)}${v.latency.negative > 0 ? `   (${v.latency.negative} negative: clock skew)` : ''}`);
  out.push('per shard');
  for (const s of v.perShard) out.push(`  ${s.id.padEnd(24)} ${String(s.records).padStart(10)}`);
  out.push(ok ? 'result     OK: nothing lost, duplicated or reordered' : 'result     PROBLEMS found (see above)');
  return `${out.join('\n')}\n`;
}

export function toVerifyJson(v: VerifyResult): Record<string, unknown> {
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const L = v.latency.ms;
  return {
    ...v,
    latency: {
      ms: { p50: round(L.p50), p90: round(L.p90), p99: round(L.p99), p999: round(L.p999), p9999: round(L.p9999), max: round(L.max), mean: round(L.mean) },
      count: L.count,
      unit: 'us',
      histogram: v.latency.histogram,
      negative: v.latency.negative,
    },
  };
}
