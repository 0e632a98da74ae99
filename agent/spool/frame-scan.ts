/**
 * Walking a buffer of frames and resynchronising after damage; shared by recovery (a whole
 * segment) and the replay reader (its read-ahead window).
 */
import type { FrameCodec } from './frame-codec.ts';

/** CRC work allowed while hunting for the next good frame, per call. */
export const RESYNC_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * First offset in [from, end) holding an intact frame whose sequence delta is above
 * `afterDelta`, or -1. A CRC-32C match at a random offset has odds 2^-32; the rising sequence
 * check makes a false match harder still.
 */
export function findNextFrame(codec: FrameCodec, buf: Buffer, from: number, end: number, afterDelta: number, budget = RESYNC_BUDGET_BYTES): number {
  let spent = 0;
  for (let q = from; q + codec.minHeader <= end; q++) {
    const len = codec.check(buf, q, end);
    if (len >= 0) {
      if (codec.seqDelta(buf, q) > afterDelta) return q;
    } else if (len === -2) {
      const declared = codec.declared(buf, q, end);
      if (declared > 0 && declared <= end - q) spent += declared;
      if (spent > budget) return -1;
    }
  }
  return -1;
}

export interface ScanResult {
  /** Byte ranges of intact frames, as [start, end) pairs of merged runs. */
  readonly runs: number[];
  records: number;
  /** Records whose id (base + delta) is at or above the threshold given to scanFrames. */
  recordsFromThreshold: number;
  firstIngestTime: number;
  lastDelta: number;
  /** Damaged regions followed by intact frames (corruption, not a torn write). */
  corruptRegions: number;
  corruptBytes: number;
  /** Records known missing across damaged regions (gaps in the sequence). */
  skippedRecords: number;
  /** Start of the damaged or incomplete tail; equals the scanned end when there is none. */
  tailStart: number;
}

/**
 * Scans buf[start, end) frame by frame; `thresholdDelta` counts records at or above it.
 * `timeBase` is the segment header's time (version 2 frames store times relative to it).
 */
export function scanFrames(codec: FrameCodec, buf: Buffer, start: number, end: number, thresholdDelta: number, timeBase: number): ScanResult {
  const r: ScanResult = {
    runs: [],
    records: 0,
    recordsFromThreshold: 0,
    firstIngestTime: Number.NaN,
    lastDelta: -1,
    corruptRegions: 0,
    corruptBytes: 0,
    skippedRecords: 0,
    tailStart: end,
  };
  let p = start;
  let runStart = start;
  while (p < end) {
    const len = codec.check(buf, p, end);
    if (len >= 0 && codec.seqDelta(buf, p) > r.lastDelta) {
      countFrame(codec, r, buf, p, thresholdDelta, timeBase);
      p += len;
      continue;
    }
    if (p > runStart) r.runs.push(runStart, p);
    const q = findNextFrame(codec, buf, p + 1, end, r.lastDelta);
    if (q < 0) {
      r.tailStart = p;
      return r;
    }
    r.corruptRegions++;
    r.corruptBytes += q - p;
    r.skippedRecords += codec.seqDelta(buf, q) - r.lastDelta - 1;
    p = q;
    runStart = q;
  }
  if (p > runStart) r.runs.push(runStart, p);
  return r;
}

function countFrame(codec: FrameCodec, r: ScanResult, buf: Buffer, p: number, thresholdDelta: number, timeBase: number): void {
  const delta = codec.seqDelta(buf, p);
  if (r.records === 0) r.firstIngestTime = codec.ingestTime(buf, p, timeBase);
  r.records++;
  if (delta >= thresholdDelta) r.recordsFromThreshold++;
  r.lastDelta = delta;
}
