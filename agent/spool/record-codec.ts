/**
 * Binary framing of one spooled entry, segment format version 2 (version 1: record-codec-v1.ts):
 *
 *   frame = varint bodyLength | u32 crc32c(body) (LE) | body
 *   body  = u8 info | varint seqDelta (id − segment base id) | time | keys | data
 *   time  = zigzag varint (ingestTime − segment time base, ms)   or f64 LE when info & 4
 *   keys  = ref:    varint index
 *           define: varint index, then as inline (the index now names these keys)
 *           inline: varint pkLen, partitionKey, [varint deviceIdLen, deviceId when info & 16],
 *                   [u8 ehkLen, explicitHashKey when info & 8]
 *
 * info: bits 0–1 key mode (0 inline, 1 define, 2 ref), 4 = time as f64 (not whole ms, or far
 * from the base), 8 = explicit hash key, 16 = deviceId differs from partitionKey; 0xe0 reserved
 * (0). Strings are UTF-8 (the hash key ASCII). Data runs to the end of the body. Every frame
 * keeps its own CRC-32C and its absolute sequence delta, so a reader resynchronises after
 * damage and counts the records lost exactly; key indices are per segment (key-dict.ts).
 * A 200-byte record with a 10-character key takes about 213 bytes (236 in version 1).
 */
import { crc32c } from './crc32c.ts';
import { MAX_BODY_BYTES } from './frame-codec.ts';
import type { FrameCodec, KeyTable, KeyTuple } from './frame-codec.ts';
import { KEY_DEFINE, KEY_INLINE, KEY_REF, MAX_KEY_ENTRIES } from './key-dict.ts';
import type { KeyDict } from './key-dict.ts';
import { codecV1 } from './record-codec-v1.ts';
import type { SpoolEntry, SpoolItem } from './spool.ts';
import { readVarint, varintEnd, varintSize, writeVarint, zigzag, unzigzag } from './varint.ts';

export { MAX_BODY_BYTES } from './frame-codec.ts';

const MIN_BODY = 4;
const KEY_MASK = 0x03;
const TIME_F64 = 0x04;
const HAS_EHK = 0x08;
const HAS_DEVICE = 0x10;
const RESERVED = 0xe0;
/** |ingestTime − base| below this is written as a varint (about 4,000 years of ms). */
const MAX_TIME_DELTA = 2 ** 47;
/** Worst-case bytes besides the strings and data: prefix 3, CRC 4, info 1, seq 5, time 8, index 2, three lengths 3 + 3 + 1. */
const MAX_OVERHEAD = 30;

/**
 * Framed size of an entry at most (the exact size depends on the segment's key dictionary and
 * time base); used for write planning and as the entry's weight in memory budgets.
 */
export function frameSize(e: SpoolEntry): number {
  const pk = Buffer.byteLength(e.partitionKey, 'utf8');
  const dev = e.deviceId === e.partitionKey ? 0 : Buffer.byteLength(e.deviceId, 'utf8');
  const ehk = e.explicitHashKey === undefined ? 0 : e.explicitHashKey.length;
  return MAX_OVERHEAD + pk + dev + ehk + e.data.length;
}

/** Whether the entry can be framed at all (string lengths fit their fields). */
export function frameable(e: SpoolEntry, size: number): boolean {
  return (
    size - 7 <= MAX_BODY_BYTES &&
    e.partitionKey.length <= 0x3fff &&
    e.deviceId.length <= 0x3fff &&
    (e.explicitHashKey === undefined || e.explicitHashKey.length <= 0xff)
  );
}

/**
 * Writes the frame of `e` at `off` (the caller made room: frameSize bytes) and returns its end.
 * `at` is the frame's offset in its segment (for the dictionary's redefinition window).
 */
export function encodeFrame(buf: Buffer, off: number, e: SpoolEntry, seqDelta: number, timeBase: number, keys: KeyDict, at: number): number {
  keys.choose(e, at);
  const mode = keys.mode;
  let info = mode;
  const dt = e.ingestTime - timeBase;
  let timeSize = 8;
  let zt = 0;
  if (Number.isInteger(e.ingestTime) && Number.isInteger(timeBase) && dt < MAX_TIME_DELTA && dt > -MAX_TIME_DELTA) {
    zt = zigzag(dt);
    timeSize = varintSize(zt);
  } else info |= TIME_F64;
  let keySize = mode === KEY_INLINE ? 0 : varintSize(keys.index);
  let pkLen = 0;
  let devLen = 0;
  if (mode !== KEY_REF) {
    pkLen = Buffer.byteLength(e.partitionKey, 'utf8');
    keySize += varintSize(pkLen) + pkLen;
    if (e.deviceId !== e.partitionKey) {
      info |= HAS_DEVICE;
      devLen = Buffer.byteLength(e.deviceId, 'utf8');
      keySize += varintSize(devLen) + devLen;
    }
    if (e.explicitHashKey !== undefined) {
      info |= HAS_EHK;
      keySize += 1 + e.explicitHashKey.length;
    }
  }
  const bodyLen = 1 + varintSize(seqDelta) + timeSize + keySize + e.data.length;
  const body = writeVarint(buf, off, bodyLen) + 4;
  buf[body] = info;
  let p = writeVarint(buf, body + 1, seqDelta);
  if ((info & TIME_F64) !== 0) p = buf.writeDoubleLE(e.ingestTime, p);
  else p = writeVarint(buf, p, zt);
  if (mode !== KEY_INLINE) p = writeVarint(buf, p, keys.index);
  if (mode !== KEY_REF) {
    p = writeVarint(buf, p, pkLen);
    p += buf.write(e.partitionKey, p, 'utf8');
    if ((info & HAS_DEVICE) !== 0) {
      p = writeVarint(buf, p, devLen);
      p += buf.write(e.deviceId, p, 'utf8');
    }
    if (e.explicitHashKey !== undefined) {
      buf[p++] = e.explicitHashKey.length;
      p += buf.write(e.explicitHashKey, p, 'latin1');
    }
  }
  buf.set(e.data, p);
  p += e.data.length;
  buf.writeUInt32LE(crc32c(buf, body, p), body - 4);
  return p;
}

/** Offset of the body of the frame at `p` (its length prefix already known to be readable). */
function bodyOf(buf: Buffer, p: number): number {
  readVarint(buf, p, p + 3, 3);
  return varintEnd + 4;
}

/** Walks a body's fields up to the data; the offset where data starts, or -1 when they overrun `stop`. */
function dataStart(buf: Buffer, body: number, stop: number): number {
  const info = buf[body]!;
  if (readVarint(buf, body + 1, stop, 5) < 0) return -1;
  let q = varintEnd;
  if ((info & TIME_F64) !== 0) q += 8;
  else if (readVarint(buf, q, stop, 8) < 0) return -1;
  else q = varintEnd;
  const mode = info & KEY_MASK;
  if (mode !== KEY_INLINE) {
    const index = readVarint(buf, q, stop, 2);
    if (index < 0 || index >= MAX_KEY_ENTRIES) return -1;
    q = varintEnd;
  }
  if (mode === KEY_REF) return q;
  const pkLen = readVarint(buf, q, stop, 3);
  if (pkLen < 0) return -1;
  q = varintEnd + pkLen;
  if ((info & HAS_DEVICE) !== 0) {
    const devLen = readVarint(buf, q, stop, 3);
    if (devLen < 0) return -1;
    q = varintEnd + devLen;
  }
  if ((info & HAS_EHK) !== 0) {
    if (q >= stop) return -1;
    q += 1 + buf[q]!;
  }
  return q <= stop ? q : -1;
}

function check(buf: Buffer, p: number, end: number): number {
  const len = readVarint(buf, p, end, 3);
  if (len === -1) return -1;
  if (len < MIN_BODY || len > MAX_BODY_BYTES) return -2;
  const body = varintEnd + 4;
  const stop = body + len;
  if (stop > end) return -1;
  const info = buf[body]!;
  if ((info & RESERVED) !== 0 || (info & KEY_MASK) === 3) return -2;
  if (crc32c(buf, body, stop) !== buf.readUInt32LE(body - 4)) return -2;
  return dataStart(buf, body, stop) < 0 ? -2 : stop - p;
}

function declared(buf: Buffer, p: number, end: number): number {
  const len = readVarint(buf, p, end, 3);
  return len < 0 ? -1 : varintEnd - p + 4 + len;
}

function seqDelta(buf: Buffer, p: number): number {
  const body = bodyOf(buf, p);
  return readVarint(buf, body + 1, buf.length, 5);
}

function ingestTime(buf: Buffer, p: number, timeBase: number): number {
  const body = bodyOf(buf, p);
  readVarint(buf, body + 1, buf.length, 5);
  if ((buf[body]! & TIME_F64) !== 0) return buf.readDoubleLE(varintEnd);
  return timeBase + unzigzag(readVarint(buf, varintEnd, buf.length, 8));
}

/** Reads the keys of a define or inline frame starting at q (after the index); sets `keyEnd`. */
let keyEnd = 0;
function readKeys(buf: Buffer, info: number, q: number): KeyTuple {
  const pkLen = readVarint(buf, q, buf.length, 3);
  q = varintEnd;
  const partitionKey = buf.toString('utf8', q, q + pkLen);
  q += pkLen;
  let deviceId = partitionKey;
  if ((info & HAS_DEVICE) !== 0) {
    const devLen = readVarint(buf, q, buf.length, 3);
    q = varintEnd;
    deviceId = buf.toString('utf8', q, q + devLen);
    q += devLen;
  }
  let explicitHashKey: string | undefined;
  if ((info & HAS_EHK) !== 0) {
    const n = buf[q]!;
    explicitHashKey = buf.toString('latin1', q + 1, q + 1 + n);
    q += 1 + n;
  }
  keyEnd = q;
  return { partitionKey, deviceId, explicitHashKey };
}

/** Skips seq and time of a checked body; returns the offset of the key part. */
function keysAt(buf: Buffer, body: number): number {
  readVarint(buf, body + 1, buf.length, 5);
  if ((buf[body]! & TIME_F64) !== 0) return varintEnd + 8;
  readVarint(buf, varintEnd, buf.length, 8);
  return varintEnd;
}

function learn(buf: Buffer, p: number, keys: KeyTable): void {
  const body = bodyOf(buf, p);
  const info = buf[body]!;
  if ((info & KEY_MASK) !== KEY_DEFINE) return;
  const index = readVarint(buf, keysAt(buf, body), buf.length, 2);
  keys.set(index, readKeys(buf, info, varintEnd));
}

function decode(buf: Buffer, p: number, total: number, baseId: number, timeBase: number, keys: KeyTable): SpoolItem | undefined {
  const body = bodyOf(buf, p);
  const stop = p + total;
  const info = buf[body]!;
  const id = baseId + readVarint(buf, body + 1, stop, 5);
  let q = varintEnd;
  let ingest: number;
  if ((info & TIME_F64) !== 0) {
    ingest = buf.readDoubleLE(q);
    q += 8;
  } else {
    ingest = timeBase + unzigzag(readVarint(buf, q, stop, 8));
    q = varintEnd;
  }
  const mode = info & KEY_MASK;
  let t: KeyTuple | undefined;
  if (mode === KEY_INLINE) {
    t = readKeys(buf, info, q);
    q = keyEnd;
  } else {
    const index = readVarint(buf, q, stop, 2);
    q = varintEnd;
    if (mode === KEY_REF) t = keys.get(index);
    else {
      t = readKeys(buf, info, q);
      q = keyEnd;
      keys.set(index, t);
    }
    if (t === undefined) return undefined;
  }
  // A copy (the read buffer is reused); allocUnsafe takes small ones from Node's pool: fastest.
  const data = Buffer.allocUnsafe(stop - q);
  buf.copy(data, 0, q, stop);
  return { id, partitionKey: t.partitionKey, explicitHashKey: t.explicitHashKey, data, deviceId: t.deviceId, ingestTime: ingest };
}

export const codecV2: FrameCodec = { version: 2, minHeader: 5, check, declared, seqDelta, ingestTime, learn, decode };

/** The codec of a segment format version, or undefined when this agent cannot read it. */
export function codecFor(version: number): FrameCodec | undefined {
  if (version === 2) return codecV2;
  if (version === 1) return codecV1;
  return undefined;
}

/** Key mode of a checked version 2 frame (tests and tools): 'inline', 'define' or 'ref'. */
export function frameKeyMode(buf: Buffer, p: number): 'inline' | 'define' | 'ref' {
  const m = buf[bodyOf(buf, p)]! & KEY_MASK;
  return m === KEY_REF ? 'ref' : m === KEY_DEFINE ? 'define' : 'inline';
}
