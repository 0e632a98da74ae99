/**
 * Pure summary of a RunResult: per-shard totals, peaks and utilisation (hot ≥ 100 %, warm ≥ 80 %
 * of a shard's write limit in its busiest second), skew across shards, latency percentiles, and
 * the shard count the observed peak needs at a target utilisation.
 */
import { KINESIS_LIMITS } from '../../agent/core/limits.ts';
import { decodeHistogram, percentilesOf } from '../results/histogram.ts';
import type { Percentiles } from '../results/histogram.ts';
import type { RunResult } from '../results/run-result.ts';
import { COL_BYTES, COL_FAILED, COL_KINESIS_RECORDS, COL_RECORDS, COL_THROTTLED, SERIES_COLUMNS } from '../results/shard-series.ts';

export const HOT_UTILISATION = 1;
export const WARM_UTILISATION = 0.8;

export interface ShardRow {
  readonly id: string;
  /** User records that landed on the shard (accepted or not). */
  readonly records: number;
  /** Kinesis records (aggregates count once; equal to records without aggregation). */
  readonly kinesisRecords: number;
  readonly bytes: number;
  /** Busiest second's Kinesis records (what the 1,000/s limit sees). */
  readonly peakRecordsPerSec: number;
  readonly peakUserRecordsPerSec: number;
  readonly peakBytesPerSec: number;
  /** Busiest second's demand against the limits: max(records/limit, bytes/limit); 1 = 100 %. */
  readonly utilisation: number;
  /** Against each limit separately: peak Kinesis records/s ÷ records limit, peak bytes/s ÷ bytes limit. */
  readonly utilisationByLimit: { readonly records: number; readonly bytes: number };
  readonly throttled: number;
  readonly failed: number;
  readonly hot: boolean;
  readonly warm: boolean;
}

export interface Summary {
  readonly durationSec: number;
  readonly limits: { readonly recordsPerSec: number; readonly bytesPerSec: number };
  readonly rate: { readonly target: number; readonly achieved: number; readonly sent: number };
  readonly latencyMs: Percentiles;
  readonly uncorrectedLatencyMs: Percentiles;
  readonly shards: readonly ShardRow[];
  readonly skew: { readonly maxOverMean: number; readonly cov: number };
  readonly peakTotal: { readonly recordsPerSec: number; readonly bytesPerSec: number };
  readonly recommendation: {
    readonly targetUtilisation: number;
    /** Shards needed for the observed peak at the target utilisation if keys spread evenly. */
    readonly shardsNeeded: number;
    /** The same, scaled by the observed skew (if the key distribution stays as it is). */
    readonly shardsNeededAtObservedSkew: number;
  };
}

const C = SERIES_COLUMNS.length;

export function summarize(r: RunResult, targetUtilisation = WARM_UTILISATION): Summary {
  const limits = r.target.limits ?? { recordsPerSec: KINESIS_LIMITS.shardWriteRecordsPerSec, bytesPerSec: KINESIS_LIMITS.shardWriteBytesPerSec };
  const { seconds, shards: width, data } = r.series;
  // A target without shards (MQTT) reports none; records there have no shard (−1).
  const n = r.target.shards.length === 0 ? 0 : Math.max(width, r.target.shards.length);
  const rows: ShardRow[] = [];
  let peakRec = 0;
  let peakBytes = 0;
  for (let sec = 0; sec < seconds; sec++) {
    let rec = 0;
    let bytes = 0;
    for (let s = 0; s < width; s++) {
      rec += data[(sec * width + s) * C + COL_KINESIS_RECORDS] as number;
      bytes += data[(sec * width + s) * C + COL_BYTES] as number;
    }
    peakRec = Math.max(peakRec, rec);
    peakBytes = Math.max(peakBytes, bytes);
  }
  for (let s = 0; s < n; s++) {
    const tot = new Float64Array(C);
    let pk = 0;
    let pu = 0;
    let pb = 0;
    let util = 0;
    for (let sec = 0; s < width && sec < seconds; sec++) {
      const base = (sec * width + s) * C;
      for (let c = 0; c < C; c++) tot[c] = (tot[c] as number) + (data[base + c] as number);
      const k = data[base + COL_KINESIS_RECORDS] as number;
      const b = data[base + COL_BYTES] as number;
      pk = Math.max(pk, k);
      pu = Math.max(pu, data[base + COL_RECORDS] as number);
      pb = Math.max(pb, b);
      util = Math.max(util, k / limits.recordsPerSec, b / limits.bytesPerSec);
    }
    rows.push({
      id: r.target.shards[s] ?? `shard-${s}`,
      records: tot[COL_RECORDS] as number,
      kinesisRecords: tot[COL_KINESIS_RECORDS] as number,
      bytes: tot[COL_BYTES] as number,
      peakRecordsPerSec: pk,
      peakUserRecordsPerSec: pu,
      peakBytesPerSec: pb,
      utilisation: util,
      utilisationByLimit: { records: pk / limits.recordsPerSec, bytes: pb / limits.bytesPerSec },
      throttled: tot[COL_THROTTLED] as number,
      failed: tot[COL_FAILED] as number,
      hot: util >= HOT_UTILISATION,
      warm: util >= WARM_UTILISATION,
    });
  }
  const skew = skewOf(rows.map((row) => Math.max(row.kinesisRecords / limits.recordsPerSec, row.bytes / limits.bytesPerSec)));
  const durationSec = r.durationMs / 1000;
  const shardsNeeded = Math.max(1, Math.ceil(Math.max(peakRec / (limits.recordsPerSec * targetUtilisation), peakBytes / (limits.bytesPerSec * targetUtilisation))));
  return {
    durationSec,
    limits,
    rate: {
      target: r.targetRecordsPerSec,
      achieved: durationSec > 0 ? r.counts.acked / durationSec : 0,
      sent: durationSec > 0 ? r.counts.sent / durationSec : 0,
    },
    latencyMs: percentilesOf(decodeHistogram(r.latency.corrected), 1000),
    uncorrectedLatencyMs: percentilesOf(decodeHistogram(r.latency.uncorrected), 1000),
    shards: rows,
    skew,
    peakTotal: { recordsPerSec: peakRec, bytesPerSec: peakBytes },
    recommendation: { targetUtilisation, shardsNeeded, shardsNeededAtObservedSkew: Math.ceil(shardsNeeded * Math.max(1, skew.maxOverMean)) },
  };
}

/** max/mean and coefficient of variation (population) of per-shard loads; 0 when there is no load. */
export function skewOf(loads: readonly number[]): { maxOverMean: number; cov: number } {
  const n = loads.length;
  if (n === 0) return { maxOverMean: 0, cov: 0 };
  const mean = loads.reduce((a, b) => a + b, 0) / n;
  if (!(mean > 0)) return { maxOverMean: 0, cov: 0 };
  const variance = loads.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { maxOverMean: Math.max(...loads) / mean, cov: Math.sqrt(variance) / mean };
}
