/**
 * What one run (or one worker's part of a run) produced: a plain, structured-cloneable value
 * (typed arrays and strings only) that report functions read and `mergeResults` adds up exactly.
 */
import type { TargetDescription, TargetStats } from '../targets/target.ts';
import type { EncodedSeries } from './shard-series.ts';

export interface RunCounts {
  /** Records the schedule produced (every one is sent, dropped, or still queued at the end). */
  readonly generated: number;
  /** Handed to the target. */
  readonly sent: number;
  readonly acked: number;
  readonly throttled: number;
  readonly failed: number;
  /** Queued past maxLatenessMs after their intended time: never sent. */
  readonly droppedLate: number;
  /** Arrived while the backlog was full: never sent. */
  readonly droppedBacklog: number;
  /** Still queued or in flight when the run ended (drain timeout). */
  readonly unfinished: number;
  /** Batches handed to the target (requests). */
  readonly requests: number;
  /** Batches the target rejected as a whole. */
  readonly requestErrors: number;
  /** Most records ever queued waiting for an in-flight slot. */
  readonly backlogMax: number;
  /** Most batches ever in flight at once. */
  readonly inFlightMax: number;
}

export interface RunResult {
  readonly version: 1;
  readonly target: TargetDescription;
  readonly mode: 'real' | 'virtual';
  readonly startedAtWallMs: number;
  /** Run-clock ms from the start to the last completion. */
  readonly durationMs: number;
  /** Wall-clock ms the run took (in virtual mode: how fast it was simulated). */
  readonly elapsedMs: number;
  /** Configured peak records/s of the devices this result covers. */
  readonly targetRecordsPerSec: number;
  readonly keying: { readonly kind: string; readonly ordering: string; readonly stats: Readonly<Record<string, number>> };
  readonly counts: RunCounts;
  /** Encoded µs histograms: from the intended time (corrected) and from the actual send (uncorrected). */
  readonly latency: { readonly corrected: string; readonly uncorrected: string };
  readonly series: EncodedSeries;
  /** Records generated per device (global index first + i), for the keying replay; null when not kept. */
  readonly perDevice: { readonly first: number; readonly records: Uint32Array } | null;
  /** Whole-batch rejections by error code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Mean payload bytes per record (for the replay's byte accounting). */
  readonly meanRecordBytes: number;
  /** How many engine parts (workers) this result merges. */
  readonly parts: number;
  /** What the target itself counted (producer throttles per shard, request latency), when it reports it. */
  readonly targetStats?: TargetStats | undefined;
}
