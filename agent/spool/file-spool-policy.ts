/** Small decisions of the file spool, kept apart so they read (and test) as tables. */
import type { AckTracker } from './ack-tracker.ts';
import type { DropCounter, SpoolLog } from './drop-counter.ts';
import type { MemQueue } from './mem-queue.ts';
import type { PendingQueue } from './pending-queue.ts';
import type { SegmentSet } from './segment-set.ts';
import type { FailureDecision, SegmentWriter } from './segment-writer.ts';
import type { DropReason, OnFull, RecoveryReport, SpoolStats } from './spool.ts';

/** Drop reason for entries lost to a failed write, by errno code. */
export function diskDropReason(code: string): DropReason {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'disk-full';
  if (code === 'EROFS') return 'read-only';
  return 'io-error';
}

/**
 * What open() found: records it had to skip are counted as `corrupt` drops (so the metric is the
 * whole loss), damage is logged once. Returns the number of quarantined segments.
 */
export function reportRecovery(r: RecoveryReport, log: SpoolLog, counter: DropCounter): number {
  if (r.quarantined.length > 0 || r.tornBytes > 0 || r.cursorReset) {
    log('warn', 'spool: recovered a damaged spool', { quarantined: r.quarantined, skippedRecords: r.skippedRecords, tornBytes: r.tornBytes, cursorReset: r.cursorReset });
  }
  counter.drop('corrupt', r.skippedRecords, 'found at open');
  return r.quarantined.length;
}

/** Evictions tried for one round before its entries are dropped (onFull=drop-oldest, disk full). */
export const MAX_EVICTIONS_PER_ROUND = 8;

/**
 * After a failed write: block waits and retries (appends stay pending); drop-oldest on a full
 * disk deletes the oldest segment and retries at once; anything else drops what waits for disk.
 */
export function failureDecision(onFull: OnFull, code: string, attempt: number, hasSealedSegment: boolean): FailureDecision {
  if (onFull === 'block') return 'retry-later';
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  if (onFull === 'drop-oldest' && full && hasSealedSegment && attempt <= MAX_EVICTIONS_PER_ROUND) return 'retry-now';
  return 'drop';
}

/** Ingest time of the oldest record still held, or NaN (segment granularity on disk). */
export function oldestIngestTime(tracker: AckTracker, tail: MemQueue, set: SegmentSet, pending: PendingQueue): number {
  let t = tracker.oldestIngestTime();
  const lwm = tracker.lowWaterMark();
  for (const s of set.list) {
    if (s.lastId < lwm || s.records === 0) continue;
    if (!(s.firstIngestTime >= t)) t = s.firstIngestTime;
    break;
  }
  const m = tail.oldestIngestTime();
  if (!(m >= t)) t = Number.isNaN(m) ? t : m;
  if (pending.length > 0) {
    const p = pending.entry(0).ingestTime;
    if (!(p >= t)) t = p;
  }
  return t;
}

export interface StatsInput {
  readonly mode: 'always' | 'spill';
  readonly records: number;
  readonly appended: number;
  readonly acked: number;
  readonly blocked: number;
  /** Undefined before open(). */
  readonly tracker: AckTracker | undefined;
  readonly tail: MemQueue;
  readonly set: SegmentSet;
  readonly writer: SegmentWriter;
  readonly cursorBytesWritten: number;
  readonly counter: DropCounter;
  readonly wallNow: number;
  readonly quarantined: number;
}

export function fileSpoolStats(i: StatsInput): SpoolStats {
  const mem = i.tail.bytes + i.writer.pending.bytes;
  const oldest = i.tracker === undefined ? Number.NaN : oldestIngestTime(i.tracker, i.tail, i.set, i.writer.pending);
  return {
    mode: i.mode,
    records: Math.max(0, i.records),
    bytes: i.set.diskBytes + mem,
    diskBytes: i.set.diskBytes,
    memoryBytes: mem,
    segments: i.set.list.length,
    oldestRecordAgeMs: Number.isNaN(oldest) ? 0 : Math.max(0, i.wallNow - oldest),
    inFlight: i.tracker?.inFlight() ?? 0,
    lowWaterMark: i.tracker?.lowWaterMark() ?? 0,
    appendedRecords: i.appended,
    ackedRecords: i.acked,
    diskBytesWritten: i.writer.bytesWritten + i.cursorBytesWritten,
    fsyncs: i.writer.fsyncs,
    blockedAppends: i.blocked,
    drops: { ...i.counter.drops },
    ioErrors: { ...i.counter.ioErrors },
    diskHealthy: i.writer.failingCode === undefined,
    quarantinedSegments: i.quarantined,
  };
}
