/**
 * Collects one run's measurements from completed batches: outcome counts, latency from the
 * intended time (corrected for coordinated omission) and from the actual send (uncorrected), and
 * per-shard per-second counters. Latency is recorded for accepted records only.
 */
import { STATUS_FAILED, STATUS_OK, STATUS_THROTTLED } from '../engine/record-batch.ts';
import type { RecordBatch } from '../engine/record-batch.ts';
import type { TargetDescription } from '../targets/target.ts';
import { encodeHistogram } from './histogram.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import type { RunResult } from './run-result.ts';
import { COL_BYTES, COL_FAILED, COL_KINESIS_RECORDS, COL_RECORDS, COL_THROTTLED, ShardSeries } from './shard-series.ts';

const C = 5;

export class RunStats {
  generated = 0;
  generatedBytes = 0;
  sent = 0;
  acked = 0;
  throttled = 0;
  failed = 0;
  droppedLate = 0;
  droppedBacklog = 0;
  unfinished = 0;
  requests = 0;
  requestErrors = 0;
  backlogMax = 0;
  inFlightMax = 0;
  readonly errors: Record<string, number> = {};
  readonly corrected = new LatencyRecorder();
  readonly uncorrected = new LatencyRecorder();
  /** Corrected latencies since the last progress report (cleared by the engine's progress tick). */
  readonly window = new LatencyRecorder();
  readonly series: ShardSeries;

  constructor(shards: number) {
    this.series = new ShardSeries(shards);
  }

  /** Accounts a batch whose results the target has written. */
  recordBatch(batch: RecordBatch): void {
    const n = batch.length;
    const sent = batch.sentAtMs;
    const sec = Math.max(0, Math.floor(sent / 1000));
    const series = this.series;
    let maxShard = -1;
    for (let i = 0; i < n; i++) if ((batch.shard[i] as number) > maxShard) maxShard = batch.shard[i] as number;
    for (let k = 0; k < batch.kinesisCount; k++) if ((batch.kShard[k] as number) > maxShard) maxShard = batch.kShard[k] as number;
    const row = series.row(sec, Math.max(0, maxShard));
    const derive = batch.kinesisCount < 0;
    for (let i = 0; i < n; i++) {
      const st = batch.status[i] as number;
      const shard = batch.shard[i] as number;
      const base = shard * C;
      if (st === STATUS_OK) {
        this.acked++;
        const ack = batch.ackMs[i] as number;
        const us = (ack - (batch.intendedMs[i] as number)) * 1000;
        this.corrected.record(us);
        this.window.record(us);
        this.uncorrected.record((ack - sent) * 1000);
      } else if (st === STATUS_THROTTLED) this.throttled++;
      else this.failed++;
      if (shard < 0) continue;
      row[base + COL_RECORDS] = (row[base + COL_RECORDS] as number) + 1;
      if (st === STATUS_THROTTLED) row[base + COL_THROTTLED] = (row[base + COL_THROTTLED] as number) + 1;
      else if (st === STATUS_FAILED) row[base + COL_FAILED] = (row[base + COL_FAILED] as number) + 1;
      if (derive) {
        row[base + COL_KINESIS_RECORDS] = (row[base + COL_KINESIS_RECORDS] as number) + 1;
        row[base + COL_BYTES] = (row[base + COL_BYTES] as number) + (batch.bytes[i] as number) + (batch.keyBytes[i] as number);
      }
    }
    for (let k = 0; k < batch.kinesisCount; k++) {
      const base = (batch.kShard[k] as number) * C;
      if (base < 0) continue;
      if (batch.kPartial[k] === 0) row[base + COL_KINESIS_RECORDS] = (row[base + COL_KINESIS_RECORDS] as number) + 1;
      row[base + COL_BYTES] = (row[base + COL_BYTES] as number) + (batch.kBytes[k] as number);
    }
  }

  /** A batch the target rejected as a whole: every record failed. */
  recordRejected(batch: RecordBatch, error: unknown): void {
    this.requestErrors++;
    this.failed += batch.length;
    const code = typeof (error as { code?: unknown })?.code === 'string' ? ((error as { code: string }).code) : error instanceof Error ? error.name : 'unknown';
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  toResult(meta: {
    readonly target: TargetDescription;
    readonly mode: 'real' | 'virtual';
    readonly startedAtWallMs: number;
    readonly durationMs: number;
    readonly elapsedMs: number;
    readonly targetRecordsPerSec: number;
    readonly keying: RunResult['keying'];
    readonly perDevice: RunResult['perDevice'];
    readonly targetStats?: RunResult['targetStats'];
  }): RunResult {
    return {
      version: 1,
      ...meta,
      counts: {
        generated: this.generated,
        sent: this.sent,
        acked: this.acked,
        throttled: this.throttled,
        failed: this.failed,
        droppedLate: this.droppedLate,
        droppedBacklog: this.droppedBacklog,
        unfinished: this.unfinished,
        requests: this.requests,
        requestErrors: this.requestErrors,
        backlogMax: this.backlogMax,
        inFlightMax: this.inFlightMax,
      },
      latency: { corrected: encodeHistogram(this.corrected.toHistogram()), uncorrected: encodeHistogram(this.uncorrected.toHistogram()) },
      series: this.series.encode(),
      errors: { ...this.errors },
      meanRecordBytes: this.generated > 0 ? this.generatedBytes / this.generated : 0,
      parts: 1,
    };
  }
}
