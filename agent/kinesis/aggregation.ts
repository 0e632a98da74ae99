/**
 * KPL aggregated-record format: magic `F3 89 9A C2` + protobuf `AggregatedRecord` + MD5(protobuf).
 * https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md
 *
 * The encoder knows its exact size at every step (so a caller can fill an aggregate up to a byte
 * cap), measures and encodes each distinct key once, and writes each record once, as it is added,
 * into the buffer it returns (then hashed once for the MD5). The decoder follows the KCL: data without the magic, too short, or with a wrong MD5 is a
 * plain (non-aggregated) record.
 */
import { createHash } from 'node:crypto';
import { ShardwiseError } from '../core/errors.ts';
import { KPL_DEFAULTS } from '../core/limits.ts';
import { type Md5Batch, writeMd5 } from './md5-batch.ts';
import { ProtoReader, StringTable, WIRE_LEN, WIRE_VARINT, copyBytes, corrupt, fieldKey, varintSize, writeVarint } from './protobuf.ts';

export const AGGREGATION_MAGIC: Uint8Array = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const MAGIC_BYTES = 4;
const MD5_BYTES = 16;
/** Magic + MD5 around the protobuf body. */
const FRAME_BYTES = MAGIC_BYTES + MD5_BYTES;

// AggregatedRecord fields
const KEY_PK_TABLE = fieldKey(1, WIRE_LEN);
const KEY_EHK_TABLE = fieldKey(2, WIRE_LEN);
const KEY_RECORD = fieldKey(3, WIRE_LEN);
// Record fields
const KEY_PK_INDEX = fieldKey(1, WIRE_VARINT);
const KEY_EHK_INDEX = fieldKey(2, WIRE_VARINT);
const KEY_DATA = fieldKey(3, WIRE_LEN);

export interface AggregatedUserRecord {
  partitionKey: string;
  explicitHashKey?: string | undefined;
  data: Uint8Array;
}

export interface OuterRecord {
  partitionKey: string;
  explicitHashKey?: string | undefined;
  data: Uint8Array;
}

/** Room kept before the records for the magic and the key tables, at first (it adapts). */
const HEAD_BYTES = 1024;
/** Least room for records a new aggregate's buffer gets (it grows by doubling when needed). */
const MIN_RECORDS_ROOM = 16384;
/** A builder's buffer between aggregates once the last one was handed over. */
const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Accumulates user records for ONE predicted shard; knows its exact encoded size at every step.
 * Each record is encoded (its `Record` message, data copied) straight into the buffer that build()
 * returns, after room kept for the magic and the key tables; build() writes those into that room
 * and appends the MD5. An aggregate that fills less than half of its buffer is returned as a copy
 * (the buffer is then kept for the next aggregate), so a result never pins more than twice its size.
 * An `explicitHashKey` of `undefined` means none; any string (even '') is written as given.
 */
export class AggregateBuilder {
  /** Cap on the final Kinesis record: aggregated bytes + outer partition key UTF-8 bytes. */
  readonly maxBytes: number;

  private readonly pks = new StringTable(KEY_PK_TABLE);
  private readonly ehks = new StringTable(KEY_EHK_TABLE);
  /** The aggregate under construction: records at [head, head + recordsSize), room for the MD5 after them. */
  private buf: Buffer = EMPTY;
  /** Where the records start in `buf`: the room before them takes the magic and the key tables. */
  private head = 0;
  /** Room to keep before the records of the next aggregate (the last aggregate's magic + tables, and some). */
  private headRoom = HEAD_BYTES;
  /** Bytes of the `records` field of the last aggregate built: sizes the next one's buffer. */
  private lastRecordsSize = 0;
  private n = 0;
  /** Bytes of the `records` field so far (the tables keep their own sizes). */
  private recordsSize = 0;
  /** UTF-8 bytes of the outer (first) partition key. */
  private outerKeyBytes = 0;

  /**
   * With `digests`, build() leaves each aggregate's MD5 to that batch: the caller flushes it before
   * the data is read, and the digests of the aggregates built meanwhile are computed side by side
   * (the producer, with `aggregation.simdDigests`, flushes once per pump, over the requests it
   * plans). Without, build() returns finished data.
   */
  constructor(
    maxBytes: number = KPL_DEFAULTS.maxAggregateBytes,
    private readonly digests?: Md5Batch,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new ShardwiseError('E_CONFIG', `aggregate maxBytes: expected a positive integer, got ${String(maxBytes)}`);
    }
    this.maxBytes = maxBytes;
  }

  get count(): number {
    return this.n;
  }

  /** Exact size of what build() would return now, plus the outer partition key's UTF-8 bytes; 0 when empty. */
  get sizeBytes(): number {
    if (this.n === 0) return 0;
    return FRAME_BYTES + this.pks.size + this.ehks.size + this.recordsSize + this.outerKeyBytes;
  }

  /** Exact `sizeBytes` if `r` were added (changes nothing). */
  sizeWith(r: AggregatedUserRecord): number {
    return this.place(r.partitionKey, r.explicitHashKey, r.data, Number.POSITIVE_INFINITY, false);
  }

  /**
   * Adds r and returns true, or returns false (changing nothing) when r would push the record over
   * `capBytes` (default maxBytes; a caller short of room in a request may pass less) and the builder
   * is not empty. An empty builder accepts any record, even one larger than the cap (the caller
   * then sends it unaggregated). r's data is copied: the caller may reuse it afterwards.
   */
  tryAdd(r: AggregatedUserRecord, capBytes: number = this.maxBytes): boolean {
    return this.place(r.partitionKey, r.explicitHashKey, r.data, capBytes, true) >= 0;
  }

  /** tryAdd of a record given as its parts (no record object needed). */
  tryAddParts(partitionKey: string, explicitHashKey: string | undefined, data: Uint8Array, capBytes: number = this.maxBytes): boolean {
    return this.place(partitionKey, explicitHashKey, data, capBytes, true) >= 0;
  }

  /**
   * Encodes the aggregate and resets the builder. The outer partition key is the first record's;
   * `explicitHashKey` is passed through (give the first user record's hash key as a decimal so the
   * aggregate lands on the shard its user records were predicted for).
   */
  build(explicitHashKey?: string): OuterRecord {
    if (this.n === 0) {
      throw new ShardwiseError('E_AGGREGATE_EMPTY', 'cannot build an aggregated record without user records');
    }
    const partitionKey = this.pks.first;
    const data = this.encode();
    this.reset();
    return { partitionKey, explicitHashKey, data };
  }

  reset(): void {
    this.pks.reset();
    this.ehks.reset();
    this.n = 0;
    this.recordsSize = 0;
  }

  /**
   * The `sizeBytes` with r added, or -1 when that exceeds `capBytes` and the builder is not empty.
   * Adds r only when `commit` (a constant at each call site: the JIT keeps one path per caller).
   */
  private place(partitionKey: string, ehkKey: string | undefined, data: Uint8Array, capBytes: number, commit: boolean): number {
    const { pks, ehks, n } = this;
    const pk = pks.id(partitionKey);
    let pkIndex = pks.indexOf(pk);
    // Table bytes with r's keys added, and r's `Record` message length.
    let tables = pkIndex < 0 ? pks.size + pks.sizeOf(pk) + ehks.size : pks.size + ehks.size;
    let recLen = 1 + varintSize(pkIndex < 0 ? pks.count : pkIndex);
    let ehk = -1;
    let ehkIndex = -1;
    if (ehkKey !== undefined) {
      ehk = ehks.id(ehkKey);
      ehkIndex = ehks.indexOf(ehk);
      if (ehkIndex < 0) tables += ehks.sizeOf(ehk);
      recLen += 1 + varintSize(ehkIndex < 0 ? ehks.count : ehkIndex);
    }
    // `length` (= byteLength for a Uint8Array): V8 (Node 20) inlines it, while `byteLength` on a
    // Buffer goes through a LoadIC and a builtin call, ~10 ns more per record.
    const dataLen = data.length;
    recLen += 1 + varintSize(dataLen) + dataLen;
    const recordsSize = this.recordsSize + 1 + varintSize(recLen) + recLen;
    // The outer key is the first record's key: r's own when the builder is empty.
    const size = FRAME_BYTES + tables + recordsSize + (n === 0 ? pks.utf8Bytes(pk) : this.outerKeyBytes);
    if (size > capBytes && n > 0) return -1;
    if (!commit) return size;
    if (n === 0) {
      this.outerKeyBytes = pks.utf8Bytes(pk);
      this.start(recordsSize);
    }
    if (pkIndex < 0) pkIndex = pks.add(partitionKey, pk);
    if (ehk >= 0 && ehkIndex < 0) ehkIndex = ehks.add(ehkKey as string, ehk);
    const head = this.head;
    if (head + recordsSize + MD5_BYTES > this.buf.length) this.grow(head + recordsSize + MD5_BYTES);
    const out = this.buf;
    let pos = head + this.recordsSize;
    out[pos++] = KEY_RECORD;
    pos = writeVarint(out, pos, recLen);
    out[pos++] = KEY_PK_INDEX;
    pos = writeVarint(out, pos, pkIndex);
    if (ehkIndex >= 0) {
      out[pos++] = KEY_EHK_INDEX;
      pos = writeVarint(out, pos, ehkIndex);
    }
    out[pos++] = KEY_DATA;
    pos = writeVarint(out, pos, dataLen);
    copyBytes.call(out, data, pos);
    this.n = n + 1;
    this.recordsSize = recordsSize;
    return size;
  }

  /** Makes `buf` ready for a new aggregate whose first record takes `firstBytes` of the records field. */
  private start(firstBytes: number): void {
    this.head = this.headRoom;
    // Room for as much as the last aggregate twice over (capped by maxBytes): a full aggregate
    // never regrows, and a run of small ones keeps a small buffer.
    const room = Math.min(this.maxBytes, Math.max(MIN_RECORDS_ROOM, 2 * this.lastRecordsSize));
    const want = this.head + Math.max(firstBytes, room) + MD5_BYTES;
    // A kept buffer (the last aggregate was copied out of it) serves again when it has the room.
    if (this.buf.length < want) this.buf = Buffer.allocUnsafeSlow(want);
  }

  /** Moves the records so far into a buffer of at least `min` bytes (doubling). */
  private grow(min: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, min));
    copyBytes.call(bigger, this.buf.subarray(this.head, this.head + this.recordsSize), this.head);
    this.buf = bigger;
  }

  private encode(): Buffer {
    const { pks, ehks, recordsSize } = this;
    let { buf, head } = this;
    const tables = pks.size + ehks.size;
    let start = head - MAGIC_BYTES - tables;
    // Room for tables like these next time, with slack as the key count varies (too little room
    // only costs a copy, below).
    this.headRoom = MAGIC_BYTES + tables + (tables >> 2) + 64;
    this.lastRecordsSize = recordsSize;
    if (start < 0) {
      // The tables outgrew the room before the records: the records move to a new buffer.
      const moved = Buffer.allocUnsafeSlow(MAGIC_BYTES + tables + recordsSize + MD5_BYTES);
      copyBytes.call(moved, buf.subarray(head, head + recordsSize), MAGIC_BYTES + tables);
      this.buf = buf = moved;
      start = 0;
      head = MAGIC_BYTES + tables;
    }
    const bodyEnd = head + recordsSize;
    const end = bodyEnd + MD5_BYTES;
    copyBytes.call(buf, AGGREGATION_MAGIC, start);
    const pos = ehks.write(buf, pks.write(buf, start + MAGIC_BYTES));
    if (pos !== head) throw new Error(`aggregation size accounting is off: tables end at ${pos}, records start at ${head}`);
    let out: Buffer;
    if (2 * (end - start) < buf.length) {
      // Less than half full: return a copy and keep the buffer for the next aggregate.
      out = Buffer.allocUnsafeSlow(end - start);
      buf.copy(out, 0, start, bodyEnd);
    } else {
      this.buf = EMPTY;
      out = buf.subarray(start, end);
    }
    if (this.digests) this.digests.add(out, MAGIC_BYTES, out.length - MD5_BYTES);
    else writeMd5(out, MAGIC_BYTES, out.length - MD5_BYTES);
    return out;
  }
}

/** Encodes `records` (at least one) as one aggregated record's data, without any size cap. */
export function encodeAggregate(records: readonly AggregatedUserRecord[]): Uint8Array {
  const b = new AggregateBuilder(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < records.length; i++) b.tryAdd(records[i] as AggregatedUserRecord);
  return b.build().data;
}

/** Wraps a Uint8Array as a Buffer without copying. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The KCL's test: longer than magic + MD5, starts with the magic, and the MD5 of the body matches. */
function checkFrame(buf: Buffer): boolean {
  const len = buf.length;
  if (len <= FRAME_BYTES) return false;
  if (buf[0] !== 0xf3 || buf[1] !== 0x89 || buf[2] !== 0x9a || buf[3] !== 0xc2) return false;
  const digest = createHash('md5').update(buf.subarray(MAGIC_BYTES, len - MD5_BYTES)).digest();
  return digest.equals(buf.subarray(len - MD5_BYTES));
}

/** True when `data` is a KPL aggregate a KCL consumer would deaggregate: magic present AND MD5 checks. */
export function isAggregated(data: Uint8Array): boolean {
  return checkFrame(asBuffer(data));
}

/**
 * Decodes `data` when it is an aggregate (magic, length and MD5 as the KCL checks them); returns
 * undefined when it is a plain record. User record `data` are Uint8Array views into `data`.
 * Throws `E_AGGREGATE_CORRUPT` when the frame is valid but the protobuf is undecodable.
 */
export function decodeAggregate(data: Uint8Array): AggregatedUserRecord[] | undefined {
  const buf = asBuffer(data);
  return checkFrame(buf) ? decodeBody(buf) : undefined;
}

/**
 * Deaggregates one Kinesis record. A record without the magic, too short, or with a bad MD5 is
 * returned as a single user record with the outer key (as the KCL does). User record `data` are
 * Uint8Array views into `outer.data` (no copy). A valid aggregate holding no records yields [] (as the KCL).
 * Throws `E_AGGREGATE_CORRUPT` when the magic and MD5 are valid but the protobuf is undecodable
 * (truncated, a required field missing, a key index outside its table).
 */
export function deaggregate(outer: OuterRecord): AggregatedUserRecord[] {
  const users = decodeAggregate(outer.data);
  return users ?? [{ partitionKey: outer.partitionKey, explicitHashKey: outer.explicitHashKey, data: outer.data }];
}

/** Decodes the protobuf between the magic and the MD5 of a checked frame. */
function decodeBody(buf: Buffer): AggregatedUserRecord[] {
  const pks: string[] = [];
  const ehks: string[] = [];
  const recPk: number[] = [];
  const recEhk: number[] = [];
  const recData: number[] = []; // start, end pairs
  const rd = new ProtoReader(buf, MAGIC_BYTES, buf.length - MD5_BYTES);
  while (rd.pos < rd.end) {
    const key = rd.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === WIRE_LEN && field >= 1 && field <= 3) {
      const end = rd.lengthDelimitedEnd();
      if (field === 1) pks.push(buf.toString('utf8', rd.pos, end));
      else if (field === 2) ehks.push(buf.toString('utf8', rd.pos, end));
      else readRecord(rd, end, recPk, recEhk, recData);
      rd.pos = end;
    } else {
      if (field === 0) throw corrupt(`field number 0 at byte ${rd.pos}`);
      rd.skip(wire);
    }
  }
  const out: AggregatedUserRecord[] = new Array(recPk.length);
  const { buffer, byteOffset } = buf;
  for (let i = 0; i < recPk.length; i++) {
    const partitionKey = pks[recPk[i] as number];
    if (partitionKey === undefined) throw corrupt(`record ${i}: partition key index ${recPk[i]} outside a table of ${pks.length}`);
    const e = recEhk[i] as number;
    const explicitHashKey = e < 0 ? undefined : ehks[e];
    if (e >= 0 && explicitHashKey === undefined) throw corrupt(`record ${i}: explicit hash key index ${e} outside a table of ${ehks.length}`);
    const start = recData[2 * i] as number;
    out[i] = { partitionKey, explicitHashKey, data: new Uint8Array(buffer, byteOffset + start, (recData[2 * i + 1] as number) - start) };
  }
  return out;
}

/** Reads one `Record` message in [rd.pos, end); tags (field 4) and unknown fields are skipped. */
function readRecord(rd: ProtoReader, end: number, recPk: number[], recEhk: number[], recData: number[]): void {
  const outerEnd = rd.end;
  rd.end = end;
  let pk = -1;
  let ehk = -1;
  let dataStart = -1;
  let dataEnd = -1;
  while (rd.pos < end) {
    const key = rd.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === WIRE_VARINT) pk = rd.varint();
    else if (field === 2 && wire === WIRE_VARINT) ehk = rd.varint();
    else if (field === 3 && wire === WIRE_LEN) {
      dataEnd = rd.lengthDelimitedEnd();
      dataStart = rd.pos;
      rd.pos = dataEnd;
    } else {
      if (field === 0) throw corrupt(`field number 0 at byte ${rd.pos}`);
      rd.skip(wire);
    }
  }
  rd.end = outerEnd;
  if (pk < 0) throw corrupt(`record ${recPk.length}: required partition_key_index missing`);
  if (dataStart < 0) throw corrupt(`record ${recPk.length}: required data missing`);
  recPk.push(pk);
  recEhk.push(ehk);
  recData.push(dataStart, dataEnd);
}
