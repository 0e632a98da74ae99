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

/** Memo of one distinct string: its UTF-8 length, and its index in the current table when `epoch` matches. */
export interface StringEntry {
  readonly bytes: number;
  epoch: number;
  index: number;
}

/** Memo entries kept per table between resets; beyond this the memo is dropped at the next reset. */
const MEMO_LIMIT = 2048;
/** ASCII strings up to this length are copied by a JS loop: cheaper than a native write call. */
const SHORT_ASCII = 64;

/**
 * A deduplicated `repeated string` field (the KPL key tables). Each distinct string is measured
 * once (the memo survives resets, bounded by MEMO_LIMIT) and written once per table.
 */
export class StringTable {
  readonly strings: string[] = [];
  /** UTF-8 bytes of each of `strings`. */
  readonly lens: number[] = [];
  /** Encoded bytes of the field so far (key byte + length varint + UTF-8, per entry). */
  size = 0;
  private readonly memo = new Map<string, StringEntry>();
  private epoch = 1;

  /** The memo entry for `s` (created when unseen); does not add `s` to the table. */
  entry(s: string): StringEntry {
    let e = this.memo.get(s);
    if (e === undefined) {
      e = { bytes: Buffer.byteLength(s, 'utf8'), epoch: 0, index: 0 };
      this.memo.set(s, e);
    }
    return e;
  }

  /** Index of `e` in the table, or -1 when its string is not in it yet. */
  indexOf(e: StringEntry): number {
    return e.epoch === this.epoch ? e.index : -1;
  }

  /** Field bytes that adding a new entry `e` costs. */
  static entrySize(e: StringEntry): number {
    return 1 + varintSize(e.bytes) + e.bytes;
  }

  add(s: string, e: StringEntry): number {
    e.epoch = this.epoch;
    e.index = this.strings.length;
    this.strings.push(s);
    this.lens.push(e.bytes);
    this.size += StringTable.entrySize(e);
    return e.index;
  }

  reset(): void {
    this.epoch++;
    this.strings.length = 0;
    this.lens.length = 0;
    this.size = 0;
    if (this.memo.size > MEMO_LIMIT) this.memo.clear();
  }

  /** Writes every entry as field `key` (a one-byte field key) at `pos`; returns the position after. */
  write(out: Buffer, pos: number, key: number): number {
    const { strings, lens } = this;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i] as string;
      const len = lens[i] as number;
      out[pos++] = key;
      pos = writeVarint(out, pos, len);
      if (len === s.length && len <= SHORT_ASCII) {
        for (let j = 0; j < len; j++) out[pos + j] = s.charCodeAt(j);
        pos += len;
      } else {
        pos += out.write(s, pos, len, 'utf8');
      }
    }
    return pos;
  }
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
