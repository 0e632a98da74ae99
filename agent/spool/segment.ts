/**
 * Segment files: `<base id, 16 decimal digits>.seg`, a fixed 32-byte header, then frames
 * (record-codec.ts; version 1: record-codec-v1.ts). Names sort in id order. Header (LE):
 *
 *   0  magic "SWSG" | 4 u16 format version | 6 u16 header length | 8 u64 base id
 *   16 f64 ingest time of the first record (version 2: the base of every frame's time)
 *   24 u32 flags (0) | 28 u32 crc32c(bytes 0..27)
 */
import { crc32c } from './crc32c.ts';

export const SEGMENT_MAGIC = 0x47535753; // "SWSG" read as u32 LE
/** Version written; versions 1 and 2 are read (record-codec.ts codecFor). */
export const SEGMENT_VERSION = 2;
export const SEGMENT_HEADER_BYTES = 32;
export const SEGMENT_SUFFIX = '.seg';
export const CORRUPT_SUFFIX = '.corrupt';
export const SALVAGE_SUFFIX = '.salvage';

/** What the spool keeps in memory per segment (never per record). */
export interface SegmentMeta {
  readonly name: string;
  readonly baseId: number;
  /** Frame format version from the header. */
  readonly version: number;
  /** Header time: version 2 frames store their ingest time relative to it. */
  readonly timeBase: number;
  /** Bytes of the file that hold complete, written frames (the header included). */
  bytes: number;
  records: number;
  /** Highest id in the segment; baseId − 1 while empty. */
  lastId: number;
  firstIngestTime: number;
  /** No more writes: a recovered segment, or the writer rotated past it. */
  sealed: boolean;
  /** Dropped or fully acknowledged; its file is (being) removed. */
  deleted: boolean;
}

export function segmentName(baseId: number): string {
  return `${String(baseId).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

/** Base id from a segment file name, or undefined when the name is not one. */
export function parseSegmentName(name: string): number | undefined {
  if (!name.endsWith(SEGMENT_SUFFIX)) return undefined;
  const stem = name.slice(0, -SEGMENT_SUFFIX.length);
  if (!/^\d{16}$/.test(stem)) return undefined;
  return Number(stem);
}

export function encodeSegmentHeader(buf: Buffer, off: number, baseId: number, firstIngestTime: number, version = SEGMENT_VERSION): void {
  buf.writeUInt32LE(SEGMENT_MAGIC, off);
  buf.writeUInt16LE(version, off + 4);
  buf.writeUInt16LE(SEGMENT_HEADER_BYTES, off + 6);
  buf.writeBigUInt64LE(BigInt(baseId), off + 8);
  buf.writeDoubleLE(firstIngestTime, off + 16);
  buf.writeUInt32LE(0, off + 24);
  buf.writeUInt32LE(crc32c(buf, off, off + 28), off + 28);
}

export interface SegmentHeader {
  readonly version: number;
  readonly baseId: number;
  readonly firstIngestTime: number;
}

/** Parses and checks a header; a string says what is wrong with it. */
export function decodeSegmentHeader(buf: Buffer, len: number): SegmentHeader | string {
  if (len < SEGMENT_HEADER_BYTES) return `header truncated (${len} bytes)`;
  if (buf.readUInt32LE(0) !== SEGMENT_MAGIC) return 'bad magic';
  if (crc32c(buf, 0, 28) !== buf.readUInt32LE(28)) return 'header CRC mismatch';
  const version = buf.readUInt16LE(4);
  if (version !== 1 && version !== 2) return `unsupported format version ${version}`;
  if (buf.readUInt16LE(6) !== SEGMENT_HEADER_BYTES) return 'unexpected header length';
  const base = buf.readBigUInt64LE(8);
  if (base > BigInt(Number.MAX_SAFE_INTEGER)) return 'base id out of range';
  return { version, baseId: Number(base), firstIngestTime: buf.readDoubleLE(16) };
}

export function newSegmentMeta(baseId: number, firstIngestTime: number): SegmentMeta {
  return {
    name: segmentName(baseId),
    baseId,
    version: SEGMENT_VERSION,
    timeBase: firstIngestTime,
    bytes: SEGMENT_HEADER_BYTES,
    records: 0,
    lastId: baseId - 1,
    firstIngestTime,
    sealed: false,
    deleted: false,
  };
}
