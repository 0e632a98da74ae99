/** result → human-readable text report (pure; the CLI prints it). */
import type { RunResult } from '../results/run-result.ts';
import { bestStrategy } from './replay.ts';
import type { StrategyScore } from './replay.ts';
import { summarize } from './summary.ts';
import { keptUp } from './kept-up.ts';
import { decodeHistogram, percentilesOf } from '../results/histogram.ts';

export interface TextReportOptions {
  readonly targetUtilisation?: number | undefined;
  readonly replay?: readonly StrategyScore[] | undefined;
  /** Show at most this many shards (hottest first); default 20. */
  readonly maxShards?: number | undefined;
}

export function toTextReport(r: RunResult, options: TextReportOptions = {}): string {
  const s = summarize(r, options.targetUtilisation);
  const c = r.counts;
  const out: string[] = [];
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  out.push(`shardwise-bench → ${r.target.url} (${r.mode} time${r.parts > 1 ? `, ${r.parts} workers` : ''})`);
  out.push(`keying ${r.keying.kind} (order: ${r.keying.ordering})${statsText(r.keying.stats)}`);
  out.push(`duration ${s.durationSec.toFixed(1)} s (took ${(r.elapsedMs / 1000).toFixed(1)} s)`);
  out.push('');
  out.push(`rate      target ${fmt(s.rate.target)}/s   achieved ${fmt(s.rate.achieved)}/s (${s.rate.target > 0 ? pct(s.rate.achieved / s.rate.target) : 'n/a'})   sent ${fmt(s.rate.sent)}/s`);
  out.push(`records   generated ${c.generated}   sent ${c.sent}   acked ${c.acked}   throttled ${c.throttled}   failed ${c.failed}`);
  out.push(`          dropped late ${c.droppedLate}   dropped (backlog full) ${c.droppedBacklog}   unfinished ${c.unfinished}   max backlog ${c.backlogMax}`);
  const L = s.latencyMs;
  const U = s.uncorrectedLatencyMs;
  out.push(`latency   from intended time: p50 ${ms(L.p50)}  p90 ${ms(L.p90)}  p99 ${ms(L.p99)}  p99.9 ${ms(L.p999)}  p99.99 ${ms(L.p9999)}  max ${ms(L.max)}`);
  out.push(`          from actual send:   p50 ${ms(U.p50)}  p90 ${ms(U.p90)}  p99 ${ms(U.p99)}  p99.9 ${ms(U.p999)}  p99.99 ${ms(U.p9999)}  max ${ms(U.max)}`);
  const k = keptUp(r);
  if (!k.ok) out.push(`WARNING   ${k.reason ?? ''} (max backlog ${k.backlogMax})`);
  const ts = r.targetStats;
  if (ts !== undefined) {
    const extra = Object.entries(ts.counters).filter(([, v]) => v > 0).map(([name, v]) => `${name} ${v}`);
    out.push(`target    throttle events ${ts.throttledAttempts} (retried or not)${extra.length > 0 ? `   ${extra.join('   ')}` : ''}`);
    if (ts.requestLatency !== undefined) {
      const R = percentilesOf(decodeHistogram(ts.requestLatency), 1000);
      if (R.count > 0) out.push(`          request round trip (${R.count} requests): p50 ${ms(R.p50)}  p99 ${ms(R.p99)}  max ${ms(R.max)}`);
    }
  }
  out.push('');
  if (s.shards.length === 0) {
    out.push(`shards    none: a ${r.target.kind} target has no shards (per-shard load, skew and shard advice need model:// or kinesis://)`);
    replayLines(out, options.replay);
    return `${out.join('\n')}\n`;
  }
  const hot = s.shards.filter((x) => x.hot).length;
  const warm = s.shards.filter((x) => x.warm && !x.hot).length;
  out.push(`shards    ${s.shards.length} (${hot} hot ≥ 100 %, ${warm} warm ≥ 80 % of a shard's write limit in the busiest second)`);
  out.push(`skew      max/mean ${s.skew.maxOverMean.toFixed(2)}   cov ${s.skew.cov.toFixed(2)}`);
  const rows = [...s.shards].sort((a, b) => b.utilisation - a.utilisation).slice(0, options.maxShards ?? 20);
  out.push(`  ${'shard'.padEnd(22)} ${'records'.padStart(10)} ${r.target.aggregation ? 'kinesis rec'.padStart(11) : ''} ${'peak rec/s'.padStart(10)} ${'peak B/s'.padStart(10)} ${'util'.padStart(8)} ${'throttled'.padStart(10)}`);
  for (const x of rows) {
    const flag = x.hot ? ' HOT' : x.warm ? ' warm' : '';
    out.push(
      `  ${x.id.padEnd(22)} ${String(x.records).padStart(10)} ${r.target.aggregation ? String(x.kinesisRecords).padStart(11) : ''} ${fmt(x.peakRecordsPerSec).padStart(10)} ${fmt(x.peakBytesPerSec).padStart(10)} ${pct(x.utilisation).padStart(8)} ${String(x.throttled).padStart(10)}${flag}`,
    );
  }
  if (s.shards.length > rows.length) out.push(`  … ${s.shards.length - rows.length} more`);
  out.push('');
  const rec = s.recommendation;
  out.push(`peak      ${fmt(s.peakTotal.recordsPerSec)} records/s, ${fmt(s.peakTotal.bytesPerSec)} B/s in the busiest second`);
  out.push(`advice    ${rec.shardsNeeded} shard(s) carry that peak at ${pct(rec.targetUtilisation)} utilisation if keys spread evenly; ${rec.shardsNeededAtObservedSkew} at the observed skew`);
  replayLines(out, options.replay);
  return `${out.join('\n')}\n`;
}

function replayLines(out: string[], replay: readonly StrategyScore[] | undefined): void {
  if (!replay || replay.length === 0) return;
  const best = bestStrategy(replay);
  const shards = replay[0]?.shardRecords.length ?? 0;
  out.push(`keying    replay of this run's devices on ${shards} shard(s) (max/mean, lower is flatter):`);
  for (const x of [...replay].sort((a, b) => a.maxOverMean - b.maxOverMean)) {
    out.push(`  ${x.label.padEnd(24)} ${x.maxOverMean.toFixed(2).padStart(6)}   order: ${x.ordering}${x === best ? '   ← recommended' : ''}`);
  }
}

function statsText(stats: Readonly<Record<string, number>>): string {
  const e = Object.entries(stats);
  return e.length === 0 ? '' : `, ${e.map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

function ms(x: number): string {
  return x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(1)} ms` : `${x.toFixed(3)} ms`;
}

function fmt(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}
