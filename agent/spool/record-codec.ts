/**
 * Binary framing of one spooled entry (little-endian):
 *
 *   frame = u32 bodyLength | u32 crc32c(body) | body
 *   body  = u32 seqDelta (id − segment base id) | f64 ingestTime | u8 flags | u16 pkLen
 *           | u16 deviceIdLen | u8 ehkLen | partitionKey | deviceId | explicitHashKey | data
 *
 * flags: 1 = explicit hash key present, 2 = deviceId equals partitionKey (not stored twice).
 * Strings are UTF-8 (the hash key ASCII). Data runs to the end of the body.
 */
import { crc32c } from './crc32c.ts';
import type { SpoolEntry, SpoolItem } from './spool.ts';

export const FRAME_HEADER_BYTES = 8;
export const BODY_FIXED_BYTES = 18;
/** Largest body accepted when reading back: a 1 MiB record plus keys, with room to spare. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

const FLAG_EHK = 1;
const FLAG_DEVICE_IS_PK = 2;

/** Framed size of an entry on disk (also its weight in memory budgets). */
export function frameSize(e: SpoolEntry): number {
  const pk = Buffer.byteLength(e.partitionKey, 'utf8');
  const dev = e.deviceId === e.partitionKey ? 0 : Buffer.byteLength(e.deviceId, 'utf8');
  const ehk = e.explicitHashKey === undefined ? 0 : e.explicitHashKey.length;
  return FRAME_HEADER_BYTES + BODY_FIXED_BYTES + pk + dev + ehk + e.data.length;
}

/** Whether the entry can be framed at all (string lengths fit their fields). */
export function frameable(e: SpoolEntry, size: number): boolean {
  return (
    size - FRAME_HEADER_BYTES <= MAX_BODY_BYTES &&
    e.partitionKey.length <= 0x3fff &&
    e.deviceId.length <= 0x3fff &&
    (e.explicitHashKey === undefined || e.explicitHashKey.length <= 0xff)
  );
}

/** Writes the frame at `off` (the caller made room: frameSize bytes); returns the end offset. */
export function encodeFrame(buf: Buffer, off: number, e: SpoolEntry, seqDelta: number): number {
  const body = off + FRAME_HEADER_BYTES;
  let p = body + BODY_FIXED_BYTES;
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

/**
 * Checks the frame at `p` within buf[p, end): returns its body length when complete and intact,
 * -1 when it runs past `end` (incomplete), -2 when it is invalid (bad length or CRC).
 */
export function checkFrame(buf: Buffer, p: number, end: number): number {
  if (end - p < FRAME_HEADER_BYTES) return -1;
  const len = buf.readUInt32LE(p);
  if (len < BODY_FIXED_BYTES || len > MAX_BODY_BYTES) return -2;
  const stop = p + FRAME_HEADER_BYTES + len;
  if (stop > end) return -1;
  const body = p + FRAME_HEADER_BYTES;
  const pkLen = buf.readUInt16LE(body + 13);
  const devLen = buf.readUInt16LE(body + 15);
  if (BODY_FIXED_BYTES + pkLen + devLen + buf[body + 17]! > len) return -2;
  return crc32c(buf, body, stop) === buf.readUInt32LE(p + 4) ? len : -2;
}

/** Sequence delta of a frame already checked. */
export function frameSeqDelta(buf: Buffer, p: number): number {
  return buf.readUInt32LE(p + FRAME_HEADER_BYTES);
}

/** Decodes a checked frame; data is copied so the read buffer can be reused. */
export function decodeFrame(buf: Buffer, p: number, len: number, baseId: number): SpoolItem {
  const body = p + FRAME_HEADER_BYTES;
  const stop = body + len;
  const flags = buf[body + 12]!;
  const pkLen = buf.readUInt16LE(body + 13);
  const devLen = buf.readUInt16LE(body + 15);
  const ehkLen = buf[body + 17]!;
  let q = body + BODY_FIXED_BYTES;
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
  // A copy (the read buffer is reused); allocUnsafe takes small ones from Node's pool: fastest.
  const data = Buffer.allocUnsafe(stop - q);
  buf.copy(data, 0, q, stop);
  return {
    id: baseId + buf.readUInt32LE(body),
    partitionKey,
    explicitHashKey,
    data,
    deviceId,
    ingestTime: buf.readDoubleLE(body + 4),
  };
}

/** Ingest time of a checked frame without decoding it. */
export function frameIngestTime(buf: Buffer, p: number): number {
  return buf.readDoubleLE(p + FRAME_HEADER_BYTES + 4);
}
