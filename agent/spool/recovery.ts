/**
 * open(): what a previous run left in the spool directory. Removes fully acknowledged
 * segments, truncates torn tails, quarantines damaged segments (`*.corrupt`, keeping every
 * intact record in a rewritten segment) and counts what could not be kept. Write failures here
 * (a read-only filesystem) are counted and survived: the reader then skips damage as it meets it.
 */
import { join } from 'node:path';
import { loadCursor, CURSOR_TMP_FILE } from './cursor-state.ts';
import { scanFrames } from './frame-scan.ts';
import { errnoCode, readFully, spoolIoError } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import { codecFor } from './record-codec.ts';
import { salvageSegment, truncateSegment } from './salvage.ts';
import { CORRUPT_SUFFIX, decodeSegmentHeader, parseSegmentName, SALVAGE_SUFFIX, SEGMENT_HEADER_BYTES } from './segment.ts';
import type { SegmentMeta } from './segment.ts';
import type { RecoveryReport } from './spool.ts';

export interface RecoveryInput {
  readonly fs: SpoolFs;
  readonly dir: string;
  readonly verify: 'full' | 'tail';
  readonly sync: boolean;
  readonly onIoError: (code: string, what: string) => void;
}

export interface Recovered {
  readonly segments: SegmentMeta[];
  readonly report: RecoveryReport;
}

interface Found {
  readonly name: string;
  readonly baseId: number;
}

export async function recoverSpool(inp: RecoveryInput): Promise<Recovered> {
  const { fs, dir } = inp;
  try {
    await fs.ensureDir(dir, 0o700);
  } catch (e) {
    if (errnoCode(e) !== 'EROFS' && errnoCode(e) !== 'EPERM') throw spoolIoError(`cannot create ${dir}`, e);
    inp.onIoError(errnoCode(e), 'chmod of the spool directory');
  }
  const found = await listSegments(inp);
  const cursor = await loadCursor(fs, dir);
  const lwm = cursor.lowWaterMark;
  const r = {
    segments: 0, records: 0, bytes: 0, lowWaterMark: lwm, nextId: lwm, tornBytes: 0,
    quarantined: [] as string[], skippedRecords: 0, skippedBytes: 0, deletedSegments: 0,
    cursorReset: cursor.status !== 'ok' && found.length > 0,
  };
  const kept: SegmentMeta[] = [];
  let buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
  const unlink = async (name: string): Promise<void> => {
    try {
      await fs.unlink(join(dir, name));
    } catch (e) {
      inp.onIoError(errnoCode(e), 'unlink of an acknowledged segment');
    }
  };
  for (let i = 0; i < found.length; i++) {
    const seg = found[i]!;
    const next = found[i + 1];
    r.nextId = Math.max(r.nextId, seg.baseId + 1);
    if (next !== undefined && next.baseId <= lwm) {
      await unlink(seg.name);
      r.deletedSegments++;
      continue;
    }
    const path = join(dir, seg.name);
    const size = await fs.fileSize(path);
    const full = inp.verify === 'full' || next === undefined;
    const len = full ? size : Math.min(size, SEGMENT_HEADER_BYTES);
    if (buf.length < len) buf = Buffer.alloc(Math.max(len, buf.length * 2));
    const fd = await fs.open(path, 'r');
    try {
      await readFully(fs, fd, buf, 0, len, 0);
    } finally {
      await fs.close(fd);
    }
    if (len < SEGMENT_HEADER_BYTES || isZero(buf, SEGMENT_HEADER_BYTES)) {
      // created just before a crash: the header never reached the disk (a torn write, not damage)
      r.tornBytes += size;
      await unlink(seg.name);
      continue;
    }
    const header = decodeSegmentHeader(buf, len);
    if (typeof header === 'string' || header.baseId !== seg.baseId) {
      await quarantine(inp, seg.name, r);
      r.skippedBytes += size;
      if (next !== undefined) r.skippedRecords += Math.max(0, next.baseId - Math.max(lwm, expectedBase(kept, seg.baseId)));
      continue;
    }
    const codec = codecFor(header.version)!;
    const meta: SegmentMeta = {
      name: seg.name, baseId: seg.baseId, version: header.version, timeBase: header.firstIngestTime, bytes: size,
      records: 0, lastId: seg.baseId - 1, firstIngestTime: header.firstIngestTime, sealed: true, deleted: false,
    };
    if (!full && next !== undefined) {
      meta.records = next.baseId - seg.baseId;
      meta.lastId = next.baseId - 1;
      r.records += Math.max(0, next.baseId - Math.max(seg.baseId, lwm));
    } else {
      const scan = scanFrames(codec, buf, SEGMENT_HEADER_BYTES, size, lwm - seg.baseId, header.firstIngestTime);
      meta.records = scan.records;
      meta.lastId = seg.baseId + scan.lastDelta;
      if (scan.records > 0) meta.firstIngestTime = scan.firstIngestTime;
      r.records += scan.recordsFromThreshold;
      if (scan.corruptRegions > 0 && scan.records === 0) {
        r.skippedRecords += scan.skippedRecords;
        r.skippedBytes += size - SEGMENT_HEADER_BYTES;
        await quarantine(inp, seg.name, r);
        continue;
      }
      let salvaged = -1;
      if (scan.corruptRegions > 0) {
        r.skippedRecords += scan.skippedRecords;
        r.skippedBytes += scan.corruptBytes;
        salvaged = await salvageSegment(inp, seg.name, buf, scan.runs);
        if (salvaged >= 0) r.quarantined.push(seg.name + CORRUPT_SUFFIX);
      }
      if (scan.tailStart < size) {
        r.tornBytes += size - scan.tailStart;
        if (next !== undefined) r.skippedRecords += Math.max(0, next.baseId - Math.max(meta.lastId + 1, lwm));
        if (salvaged < 0) await truncateSegment(inp, seg.name, scan.tailStart);
      }
      meta.bytes = salvaged >= 0 ? salvaged : scan.tailStart;
    }
    if (meta.records === 0 || meta.lastId < lwm) {
      await unlink(seg.name);
      r.deletedSegments++;
      continue;
    }
    r.nextId = Math.max(r.nextId, meta.lastId + 1);
    kept.push(meta);
  }
  r.segments = kept.length;
  for (const m of kept) r.bytes += m.bytes;
  return { segments: kept, report: r };
}

function isZero(buf: Buffer, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[i] !== 0) return false;
  return true;
}

function expectedBase(kept: readonly SegmentMeta[], fallback: number): number {
  const last = kept[kept.length - 1];
  return last === undefined ? fallback : last.lastId + 1;
}

async function quarantine(inp: RecoveryInput, name: string, r: { quarantined: string[] }): Promise<void> {
  try {
    await inp.fs.rename(join(inp.dir, name), join(inp.dir, name + CORRUPT_SUFFIX));
    r.quarantined.push(name + CORRUPT_SUFFIX);
  } catch (e) {
    inp.onIoError(errnoCode(e), 'quarantine of a damaged segment');
  }
}

/** Segment files in id order, after finishing or discarding interrupted salvages and cursor writes. */
async function listSegments(inp: RecoveryInput): Promise<Found[]> {
  const { fs, dir } = inp;
  let names = await fs.readdir(dir);
  const present = new Set(names);
  for (const n of names) {
    try {
      if (n === CURSOR_TMP_FILE) await fs.unlink(join(dir, n));
      else if (n.endsWith(SALVAGE_SUFFIX)) {
        const target = n.slice(0, -SALVAGE_SUFFIX.length);
        if (present.has(target)) await fs.unlink(join(dir, n));
        else await fs.rename(join(dir, n), join(dir, target));
      }
    } catch (e) {
      inp.onIoError(errnoCode(e), 'cleanup of an interrupted write');
    }
  }
  names = await fs.readdir(dir);
  const found: Found[] = [];
  for (const name of names) {
    const baseId = parseSegmentName(name);
    if (baseId !== undefined) found.push({ name, baseId });
  }
  found.sort((a, b) => a.baseId - b.baseId);
  return found;
}
