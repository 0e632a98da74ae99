/**
 * The few protobuf wire-format pieces the KPL aggregation format needs: varints and length-delimited
 * fields. No schema, no allocations per value. Written values (lengths, table indexes) are < 2^32.
 * https://protobuf.dev/programming-guides/encoding/
 */
import { ShardwiseError } from '../core/errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** Field key byte (field number < 16): `(field << 3) | wireType`. */
export function fieldKey(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Bytes taken by `n` (an integer in [0, 2^32)) as a varint. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  return n < 0x10000000 ? 4 : 5;
}

/** Writes `n` (an integer in [0, 2^32)) at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/** Memo entries kept per table between resets; beyond this the memo is dropped at the next reset. */
const MEMO_LIMIT = 2048;
/**
 * Per memo id in `info`: pool offset, field entry bytes, UTF-8 bytes, index in the table, and the
 * table generation that index is valid in (reset() empties the table by starting a new one).
 */
const AT = 0;
const SIZE = 1;
const BYTES = 2;
const INDEX = 3;
const GEN = 4;
const STRIDE = 5;
/** Generations wrap here (every GEN slot is then cleared). */
const MAX_GEN = 0x3fffffff;
/** ASCII strings up to this length are copied by a JS loop: cheaper than a native write call. */
const SHORT_ASCII = 64;
/** Initial pool bytes; a pool grown past 64 times this is dropped with the memo. */
const POOL_BYTES = 16384;
/** Initial bytes of a table's encoded entries; grown past 64 times this, they are dropped at reset. */
const TABLE_BYTES = 4096;
/** `Uint8Array.prototype.set`, called directly: on a Buffer, `set` is looked up by a LoadIC (~5 ns a call on Node 20). */
export const copyBytes = Uint8Array.prototype.set;

/**
 * A deduplicated `repeated string` field (the KPL key tables). Each distinct string gets a memo id
 * and is measured and encoded once (key byte + length varint + UTF-8) into a pool; the memo
 * survives resets, bounded by MEMO_LIMIT. Adding an entry appends its pooled bytes to the table's
 * encoded bytes, which write() copies in one call: no string encoding, no object and no allocation
 * per aggregate. Ids are only valid until the next reset().
 */
export class StringTable {
  /** Entries in the table. */
  count = 0;
  /** Encoded bytes of the field so far. */
  size = 0;
  /** The first string added since the last reset ('' when none). */
  first = '';
  private readonly key: number;
  /**
   * String -> memo id. A prototype-less dictionary object rather than a Map: measured ~5 ns less
   * per lookup than Map.get (Node 20, 1,000 keys of equal length), likely because V8 internalizes
   * property-key strings. Null prototype: '__proto__', 'constructor' etc. are ordinary keys.
   */
  private memo: Record<string, number> = Object.create(null) as Record<string, number>;
  private memoSize = 0;
  private info: Int32Array = new Int32Array(STRIDE * 256);
  private pool: Buffer = Buffer.allocUnsafe(POOL_BYTES);
  private poolView: DataView = new DataView(this.pool.buffer, this.pool.byteOffset, this.pool.byteLength);
  private poolUsed = 0;
  /** Current table generation: an id is in the table iff its GEN slot holds this. */
  private gen = 1;
  /** The table's entries as encoded, at [0, size); 3 spare bytes after them (see add). */
  private bytes: Buffer = Buffer.allocUnsafeSlow(TABLE_BYTES);
  private bytesView: DataView = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);

  /** `key`: the field key byte (field number < 16) every entry is written with. */
  constructor(key: number) {
    this.key = key;
  }

  /** The memo id of `s` (measured and encoded when unseen); does not add `s` to the table. */
  id(s: string): number {
    return this.memo[s] ?? this.remember(s);
  }

  /** Index of `id` in the table, or -1 when it is not in it yet. */
  indexOf(id: number): number {
    const info = this.info;
    return info[STRIDE * id + GEN] === this.gen ? (info[STRIDE * id + INDEX] as number) : -1;
  }

  /** Field bytes that adding `id` costs. */
  sizeOf(id: number): number {
    return this.info[STRIDE * id + SIZE] as number;
  }

  /** UTF-8 bytes of the string of `id`. */
  utf8Bytes(id: number): number {
    return this.info[STRIDE * id + BYTES] as number;
  }

  /** Adds `id` (of `s`, not in the table); returns its index. */
  add(s: string, id: number): number {
    const i = this.count++;
    if (i === 0) this.first = s;
    const { info, poolView, size } = this;
    info[STRIDE * id + INDEX] = i;
    info[STRIDE * id + GEN] = this.gen;
    const at = info[STRIDE * id + AT] as number;
    const n = info[STRIDE * id + SIZE] as number;
    if (size + n + 3 > this.bytes.length) this.growBytes(size + n + 3);
    // 4 bytes at a time (cheaper than a native copy call for a short entry); the last step may
    // write up to 3 bytes past the entry, into spare room (the pool has the same spare room).
    const dv = this.bytesView;
    for (let j = 0; j < n; j += 4) dv.setInt32(size + j, poolView.getInt32(at + j, true), true);
    this.size = size + n;
    return i;
  }

  reset(): void {
    this.count = 0;
    this.size = 0;
    this.first = '';
    if (++this.gen > MAX_GEN) {
      for (let id = 0; id < this.memoSize; id++) this.info[STRIDE * id + GEN] = 0;
      this.gen = 1;
    }
    if (this.memoSize > MEMO_LIMIT) {
      this.memo = Object.create(null) as Record<string, number>;
      this.memoSize = 0;
      this.poolUsed = 0;
      if (this.pool.length > 64 * POOL_BYTES) this.setPool(Buffer.allocUnsafe(POOL_BYTES));
    }
    if (this.bytes.length > 64 * TABLE_BYTES) this.setBytes(Buffer.allocUnsafeSlow(TABLE_BYTES));
  }

  /** Writes the table (every entry, in order) at `pos`; returns the position after it. */
  write(out: Uint8Array, pos: number): number {
    copyBytes.call(out, this.bytes.subarray(0, this.size), pos);
    return pos + this.size;
  }

  private growBytes(min: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, min));
    copyBytes.call(bigger, this.bytes.subarray(0, this.size), 0);
    this.setBytes(bigger);
  }

  private setBytes(bytes: Buffer): void {
    this.bytes = bytes;
    this.bytesView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private setPool(pool: Buffer): void {
    this.pool = pool;
    this.poolView = new DataView(pool.buffer, pool.byteOffset, pool.byteLength);
  }

  private remember(s: string): number {
    const bytes = Buffer.byteLength(s, 'utf8');
    const size = 1 + varintSize(bytes) + bytes;
    const at = this.poolUsed;
    if (at + size + 3 > this.pool.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.pool.length, at + size + 3));
      this.pool.copy(bigger, 0, 0, at);
      this.setPool(bigger);
    }
    this.pool[at] = this.key;
    const start = writeVarint(this.pool, at + 1, bytes);
    if (bytes === s.length && bytes <= SHORT_ASCII) {
      for (let j = 0; j < bytes; j++) this.pool[start + j] = s.charCodeAt(j);
    } else {
      this.pool.write(s, start, bytes, 'utf8');
    }
    this.poolUsed = at + size;
    const id = this.memoSize++;
    if (STRIDE * id + STRIDE > this.info.length) this.info = grown(this.info, STRIDE * id + STRIDE);
    this.info[STRIDE * id + AT] = at;
    this.info[STRIDE * id + SIZE] = size;
    this.info[STRIDE * id + BYTES] = bytes;
    this.info[STRIDE * id + INDEX] = -1;
    this.info[STRIDE * id + GEN] = 0;
    this.memo[s] = id;
    return id;
  }
}

/** A copy of `a` with room for at least `min` elements (doubling). */
export function grown(a: Int32Array, min: number): Int32Array {
  const b = new Int32Array(Math.max(2 * a.length, min));
  b.set(a);
  return b;
}

/** The error for an aggregated record whose protobuf cannot be decoded. */
export function corrupt(message: string): ShardwiseError {
  return new ShardwiseError('E_AGGREGATE_CORRUPT', `undecodable aggregated record: ${message}`);
}

/**
 * Cursor over `buf[pos, end)`. Every read checks bounds and throws `E_AGGREGATE_CORRUPT` on
 * truncated or malformed input. Varints above 2^53 lose precision (callers only compare them
 * against table sizes and remaining lengths, so such a value is rejected either way).
 */
export class ProtoReader {
  buf: Uint8Array;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw corrupt(`varint truncated at byte ${pos}`);
      const b = buf[pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 128;
    }
    throw corrupt(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** Reads a length prefix and returns the end of the delimited bytes (the cursor stays at their start). */
  lengthDelimitedEnd(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw corrupt(`length ${len} at byte ${this.pos} runs past the end (${this.end})`);
    return end;
  }

  /** Skips the value of an unknown field. Groups (wire types 3, 4; deprecated) are rejected. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.pos = this.lengthDelimitedEnd();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw corrupt(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw corrupt(`fixed field truncated at byte ${this.pos}`);
    this.pos += n;
  }
}
