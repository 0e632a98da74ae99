/**
 * Walking a buffer of frames and resynchronising after damage; shared by recovery (a whole
 * segment) and the replay reader (its read-ahead window).
 */
import { checkFrame, FRAME_HEADER_BYTES, frameIngestTime, frameSeqDelta } from './record-codec.ts';

/** CRC work allowed while hunting for the next good frame, per call. */
export const RESYNC_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * First offset in [from, end) holding an intact frame whose sequence delta is above
 * `afterDelta`, or -1. A CRC-32C match at a random offset has odds 2^-32; the rising sequence
 * check makes a false match harder still.
 */
export function findNextFrame(buf: Buffer, from: number, end: number, afterDelta: number, budget = RESYNC_BUDGET_BYTES): number {
  let spent = 0;
  for (let q = from; q + FRAME_HEADER_BYTES <= end; q++) {
    const len = checkFrame(buf, q, end);
    if (len >= 0) {
      if (frameSeqDelta(buf, q) > afterDelta) return q;
    } else if (len === -2) {
      const declared = buf.readUInt32LE(q);
      if (declared <= end - q) spent += declared;
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

/** Scans buf[start, end) frame by frame; `thresholdDelta` counts records at or above it. */
export function scanFrames(buf: Buffer, start: number, end: number, thresholdDelta: number): ScanResult {
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
    const len = checkFrame(buf, p, end);
    if (len >= 0 && frameSeqDelta(buf, p) > r.lastDelta) {
      countFrame(r, buf, p, thresholdDelta);
      p += FRAME_HEADER_BYTES + len;
      continue;
    }
    if (p > runStart) r.runs.push(runStart, p);
    const q = findNextFrame(buf, p + 1, end, r.lastDelta);
    if (q < 0) {
      r.tailStart = p;
      return r;
    }
    r.corruptRegions++;
    r.corruptBytes += q - p;
    r.skippedRecords += frameSeqDelta(buf, q) - r.lastDelta - 1;
    p = q;
    runStart = q;
  }
  if (p > runStart) r.runs.push(runStart, p);
  return r;
}

function countFrame(r: ScanResult, buf: Buffer, p: number, thresholdDelta: number): void {
  const delta = frameSeqDelta(buf, p);
  if (r.records === 0) r.firstIngestTime = frameIngestTime(buf, p);
  r.records++;
  if (delta >= thresholdDelta) r.recordsFromThreshold++;
  r.lastDelta = delta;
}
