/**
 * result → JSON report (a plain object; JSON.stringify it). Field names are STABLE: scripts and
 * dashboards depend on them. Add fields freely; never rename or remove one.
 *
 *   records.{generated,sent,acked,failed,throttled,droppedLate,droppedBacklog,unfinished}
 *   latency.ms.{p50,p90,p99,p999,p9999,max,mean}   (from the intended send time: corrected)
 *   latency.uncorrected.ms.{…}                       (from the actual send)
 *   latency.histogram / latency.uncorrectedHistogram (HdrHistogram, compressed base64, µs)
 *   shards[].{id,records,kinesisRecords,bytes,peakRecordsPerSec,peakUserRecordsPerSec,
 *             peakBytesPerSec,utilisation,utilisationByLimit.{records,bytes},throttled,failed,hot,warm}
 *   skew.{maxOverMean,cov}
 *   rate.{target,achieved,sent,achievedRatio}
 *   recommendation.{targetUtilisation,shardsNeeded,shardsNeededAtObservedSkew,keying?}
 *   keptUp, scenario?, devices? (per-device counts for `verify --run-report`),
 *   targetStats? {throttledAttempts, counters, requestLatency.ms}, shards[].throttledAttempts?
 */
import type { RunResult } from '../results/run-result.ts';
import type { Percentiles } from '../results/histogram.ts';
import { bestStrategy } from './replay.ts';
import type { StrategyScore } from './replay.ts';
import { summarize } from './summary.ts';
import { decodeHistogram, percentilesOf } from '../results/histogram.ts';
import { encodeRunDevices } from '../verify/run-devices.ts';
import { keptUp } from './kept-up.ts';

export const JSON_REPORT_SCHEMA = 'shardwise.bench.report/1';

export interface JsonReportOptions {
  readonly targetUtilisation?: number | undefined;
  /** Keying replay scores (replayStrategies), for the keying recommendation. */
  readonly replay?: readonly StrategyScore[] | undefined;
  /** Embed per-device counts (for `verify --run-report`) under `devices`, with the fleet's id pattern. */
  readonly devices?: { readonly idPattern: string } | undefined;
  /** Scenario name. */
  readonly scenario?: string | undefined;
}

export function toJsonReport(r: RunResult, options: JsonReportOptions = {}): Record<string, unknown> {
  const s = summarize(r, options.targetUtilisation);
  const c = r.counts;
  const best = options.replay ? bestStrategy(options.replay) : undefined;
  const ts = r.targetStats;
  const perShardStats = ts?.perShard ?? {};
  return {
    schema: JSON_REPORT_SCHEMA,
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    target: { url: r.target.url, kind: r.target.kind, shards: r.target.shards.length, aggregation: r.target.aggregation, limits: s.limits },
    mode: r.mode,
    startedAt: new Date(r.startedAtWallMs).toISOString(),
    durationSec: round(s.durationSec, 3),
    elapsedSec: round(r.elapsedMs / 1000, 3),
    parts: r.parts,
    keying: { kind: r.keying.kind, ordering: r.keying.ordering, stats: r.keying.stats },
    rate: {
      target: round(s.rate.target, 1),
      achieved: round(s.rate.achieved, 1),
      sent: round(s.rate.sent, 1),
      achievedRatio: s.rate.target > 0 ? round(s.rate.achieved / s.rate.target, 4) : 0,
    },
    records: {
      generated: c.generated,
      sent: c.sent,
      acked: c.acked,
      failed: c.failed,
      throttled: c.throttled,
      droppedLate: c.droppedLate,
      droppedBacklog: c.droppedBacklog,
      unfinished: c.unfinished,
    },
    requests: { sent: c.requests, errors: c.requestErrors, errorsByCode: r.errors, inFlightMax: c.inFlightMax, backlogMax: c.backlogMax },
    latency: {
      ms: ms(s.latencyMs),
      count: s.latencyMs.count,
      uncorrected: { ms: ms(s.uncorrectedLatencyMs) },
      unit: 'us',
      histogram: r.latency.corrected,
      uncorrectedHistogram: r.latency.uncorrected,
    },
    keptUp: keptUp(r),
    shards: s.shards.map((row) => ({
      ...row,
      utilisation: round(row.utilisation, 4),
      utilisationByLimit: { records: round(row.utilisationByLimit.records, 4), bytes: round(row.utilisationByLimit.bytes, 4) },
      ...(ts !== undefined ? { throttledAttempts: perShardStats[row.id]?.throttledAttempts ?? 0 } : {}),
    })),
    skew: { maxOverMean: round(s.skew.maxOverMean, 4), cov: round(s.skew.cov, 4) },
    peakTotal: s.peakTotal,
    recommendation: {
      ...s.recommendation,
      ...(options.replay
        ? {
            keying: {
              best: best?.label,
              strategies: options.replay.map((x) => ({ kind: x.kind, label: x.label, ordering: x.ordering, maxOverMean: round(x.maxOverMean, 4), cov: round(x.cov, 4) })),
            },
          }
        : {}),
    },
    ...(ts !== undefined
      ? {
          targetStats: {
            throttledAttempts: ts.throttledAttempts,
            counters: ts.counters,
            ...(ts.requestLatency !== undefined ? { requestLatency: { ms: ms(percentilesOf(decodeHistogram(ts.requestLatency), 1000)), histogram: ts.requestLatency } } : {}),
          },
        }
      : {}),
    ...(options.devices !== undefined && r.perDevice !== null ? { devices: encodeRunDevices(options.devices.idPattern, r.perDevice) } : {}),
  };
}

function ms(p: Percentiles): Record<string, number> {
  return { p50: round(p.p50, 3), p90: round(p.p90, 3), p99: round(p.p99, 3), p999: round(p.p999, 3), p9999: round(p.p9999, 3), max: round(p.max, 3), mean: round(p.mean, 3) };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
