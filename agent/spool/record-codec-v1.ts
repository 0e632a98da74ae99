/**
 * Segment format version 1 (read only; the agent writes version 2, record-codec.ts). Kept so a
 * backlog written by an older agent still replays after an upgrade. Little-endian:
 *
 *   frame = u32 bodyLength | u32 crc32c(body) | body
 *   body  = u32 seqDelta (id − segment base id) | f64 ingestTime | u8 flags | u16 pkLen
 *           | u16 deviceIdLen | u8 ehkLen | partitionKey | deviceId | explicitHashKey | data
 *
 * flags: 1 = explicit hash key present, 2 = deviceId equals partitionKey (not stored twice).
 * A 200-byte record with a 10-character key takes 236 bytes.
 */
import { crc32c } from './crc32c.ts';
import { MAX_BODY_BYTES } from './frame-codec.ts';
import type { FrameCodec } from './frame-codec.ts';
import type { SpoolEntry, SpoolItem } from './spool.ts';

const HEADER = 8;
const BODY_FIXED = 18;
const FLAG_EHK = 1;
const FLAG_DEVICE_IS_PK = 2;

function check(buf: Buffer, p: number, end: number): number {
  if (end - p < HEADER) return -1;
  const len = buf.readUInt32LE(p);
  if (len < BODY_FIXED || len > MAX_BODY_BYTES) return -2;
  const stop = p + HEADER + len;
  if (stop > end) return -1;
  const body = p + HEADER;
  const pkLen = buf.readUInt16LE(body + 13);
  const devLen = buf.readUInt16LE(body + 15);
  if (BODY_FIXED + pkLen + devLen + buf[body + 17]! > len) return -2;
  return crc32c(buf, body, stop) === buf.readUInt32LE(p + 4) ? HEADER + len : -2;
}

function decode(buf: Buffer, p: number, total: number, baseId: number): SpoolItem {
  const body = p + HEADER;
  const stop = p + total;
  const flags = buf[body + 12]!;
  const pkLen = buf.readUInt16LE(body + 13);
  const devLen = buf.readUInt16LE(body + 15);
  const ehkLen = buf[body + 17]!;
  let q = body + BODY_FIXED;
  const partitionKey = buf.toString('utf8', q, q + pkLen);
  q += pkLen;
  let deviceId = partitionKey;
  if ((flags & FLAG_DEVICE_IS_PK) === 0) {
    deviceId = buf.toString('utf8', q, q + devLen);
    q += devLen;
  }
  let explicitHashKey: string | undefined;
  if ((flags & FLAG_EHK) !== 0) {
    explicitHashKey = buf.toString('latin1', q, q + ehkLen);
    q += ehkLen;
  }
  const data = Buffer.allocUnsafe(stop - q);
  buf.copy(data, 0, q, stop);
  return { id: baseId + buf.readUInt32LE(body), partitionKey, explicitHashKey, data, deviceId, ingestTime: buf.readDoubleLE(body + 4) };
}

export const codecV1: FrameCodec = {
  version: 1,
  minHeader: HEADER,
  check,
  declared: (buf, p, end) => (end - p < 4 ? -1 : buf.readUInt32LE(p) + HEADER),
  seqDelta: (buf, p) => buf.readUInt32LE(p + HEADER),
  ingestTime: (buf, p) => buf.readDoubleLE(p + HEADER + 4),
  learn: () => undefined,
  decode: (buf, p, total, baseId) => decode(buf, p, total, baseId),
};

/** Version 1 framed size of an entry. */
export function frameSizeV1(e: SpoolEntry): number {
  const pk = Buffer.byteLength(e.partitionKey, 'utf8');
  const dev = e.deviceId === e.partitionKey ? 0 : Buffer.byteLength(e.deviceId, 'utf8');
  return HEADER + BODY_FIXED + pk + dev + (e.explicitHashKey?.length ?? 0) + e.data.length;
}

/** Writes a version 1 frame (tests of the upgrade path; the agent no longer writes them). */
export function encodeFrameV1(buf: Buffer, off: number, e: SpoolEntry, seqDelta: number): number {
  const body = off + HEADER;
  let p = body + BODY_FIXED;
  const pkLen = buf.write(e.partitionKey, p, 'utf8');
  p += pkLen;
  let flags = 0;
  let devLen = 0;
  if (e.deviceId === e.partitionKey) flags |= FLAG_DEVICE_IS_PK;
  else {
    devLen = buf.write(e.deviceId, p, 'utf8');
    p += devLen;
  }
  let ehkLen = 0;
  if (e.explicitHashKey !== undefined) {
    flags |= FLAG_EHK;
    ehkLen = buf.write(e.explicitHashKey, p, 'latin1');
    p += ehkLen;
  }
  buf.set(e.data, p);
  p += e.data.length;
  buf.writeUInt32LE(seqDelta, body);
  buf.writeDoubleLE(e.ingestTime, body + 4);
  buf[body + 12] = flags;
  buf.writeUInt16LE(pkLen, body + 13);
  buf.writeUInt16LE(devLen, body + 15);
  buf[body + 17] = ehkLen;
  buf.writeUInt32LE(p - body, off);
  buf.writeUInt32LE(crc32c(buf, body, p), off + 4);
  return p;
}
