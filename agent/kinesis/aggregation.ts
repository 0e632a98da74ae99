/**
 * KPL aggregated-record format: magic `F3 89 9A C2` + protobuf `AggregatedRecord` + MD5(protobuf).
 * https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md
 *
 * The encoder knows its exact size at every step (so a caller can fill an aggregate up to a byte
 * cap), measures each distinct key once, and writes each aggregate into one buffer of exactly its
 * size. The decoder follows the KCL: data without the magic, too short, or with a wrong MD5 is a
 * plain (non-aggregated) record.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { ShardwiseError } from '../core/errors.ts';
import { KPL_DEFAULTS } from '../core/limits.ts';
import { ProtoReader, StringTable, WIRE_LEN, WIRE_VARINT, corrupt, fieldKey, grown, varintSize, writeVarint } from './protobuf.ts';

export const AGGREGATION_MAGIC: Uint8Array = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const MAGIC_BYTES = 4;
const MD5_BYTES = 16;
/** Magic + MD5 around the protobuf body. */
const FRAME_BYTES = MAGIC_BYTES + MD5_BYTES;
/** Int32 slots per record in AggregateBuilder.recs. */
const REC_STRIDE = 4;

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

/**
 * Accumulates user records for ONE predicted shard; knows its exact encoded size at every step.
 * It keeps references to the added `data` until build()/reset(): do not mutate them in between.
 * An `explicitHashKey` of `undefined` means none; any string (even '') is written as given.
 */
export class AggregateBuilder {
  /** Cap on the final Kinesis record: aggregated bytes + outer partition key UTF-8 bytes. */
  readonly maxBytes: number;

  private readonly pks = new StringTable(KEY_PK_TABLE);
  private readonly ehks = new StringTable(KEY_EHK_TABLE);
  /** Data of each record; slots are cleared, not dropped, on reset (no regrowth per aggregate). */
  private readonly datas: (Uint8Array | undefined)[] = [];
  /**
   * Per record (REC_STRIDE slots): partition key index, explicit hash key index (-1: none), the
   * encoded length of its `Record` message (without its own key and length prefix), and its data
   * length (kept here: reading `byteLength` again at encode time costs more than this slot).
   * Typed, reused across aggregates.
   */
  private recs: Int32Array = new Int32Array(REC_STRIDE * 256);
  private n = 0;
  /** Bytes of the `records` field so far (the tables keep their own sizes). */
  private recordsSize = 0;
  /** UTF-8 bytes of the outer (first) partition key. */
  private outerKeyBytes = 0;

  constructor(maxBytes: number = KPL_DEFAULTS.maxAggregateBytes) {
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
    return this.place(r, Number.POSITIVE_INFINITY, false);
  }

  /**
   * Adds r and returns true, or returns false (changing nothing) when r would push the record over
   * `capBytes` (default maxBytes; a caller short of room in a request may pass less) and the builder
   * is not empty. An empty builder accepts any record, even one larger than the cap (the caller
   * then sends it unaggregated).
   */
  tryAdd(r: AggregatedUserRecord, capBytes: number = this.maxBytes): boolean {
    return this.place(r, capBytes, true) >= 0;
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
    this.datas.fill(undefined, 0, this.n);
    this.n = 0;
    this.recordsSize = 0;
  }

  /**
   * The `sizeBytes` with r added, or -1 when that exceeds `capBytes` and the builder is not empty.
   * Adds r only when `commit` (a constant at each call site: the JIT keeps one path per caller).
   */
  private place(r: AggregatedUserRecord, capBytes: number, commit: boolean): number {
    const { pks, ehks, n } = this;
    const pk = pks.id(r.partitionKey);
    let pkIndex = pks.indexOf(pk);
    // Table bytes with r's keys added, and r's `Record` message length.
    let tables = pkIndex < 0 ? pks.size + pks.sizeOf(pk) + ehks.size : pks.size + ehks.size;
    let recLen = 1 + varintSize(pkIndex < 0 ? pks.count : pkIndex);
    const ehkKey = r.explicitHashKey;
    let ehk = -1;
    let ehkIndex = -1;
    if (ehkKey !== undefined) {
      ehk = ehks.id(ehkKey);
      ehkIndex = ehks.indexOf(ehk);
      if (ehkIndex < 0) tables += ehks.sizeOf(ehk);
      recLen += 1 + varintSize(ehkIndex < 0 ? ehks.count : ehkIndex);
    }
    const data = r.data;
    // `length` (= byteLength for a Uint8Array): V8 (Node 20) inlines it, while `byteLength` on a
    // Buffer goes through a LoadIC and a builtin call, ~10 ns more per record.
    const dataLen = data.length;
    recLen += 1 + varintSize(dataLen) + dataLen;
    const recordsSize = this.recordsSize + 1 + varintSize(recLen) + recLen;
    // The outer key is the first record's key: r's own when the builder is empty.
    const size = FRAME_BYTES + tables + recordsSize + (n === 0 ? pks.utf8Bytes(pk) : this.outerKeyBytes);
    if (size > capBytes && n > 0) return -1;
    if (!commit) return size;
    if (n === 0) this.outerKeyBytes = pks.utf8Bytes(pk);
    if (pkIndex < 0) pkIndex = pks.add(r.partitionKey, pk);
    if (ehk >= 0 && ehkIndex < 0) ehkIndex = ehks.add(ehkKey as string, ehk);
    const at = REC_STRIDE * n;
    if (at + REC_STRIDE > this.recs.length) this.recs = grown(this.recs, at + REC_STRIDE);
    const recs = this.recs;
    recs[at] = pkIndex;
    recs[at + 1] = ehkIndex;
    recs[at + 2] = recLen;
    recs[at + 3] = dataLen;
    this.datas[n] = data;
    this.n = n + 1;
    this.recordsSize = recordsSize;
    return size;
  }

  private encode(): Buffer {
    const bodyEnd = MAGIC_BYTES + this.pks.size + this.ehks.size + this.recordsSize;
    // Not from Node's shared pool (aggregates exceed its 4 KiB limit anyway): skips the pool checks.
    const out = Buffer.allocUnsafeSlow(bodyEnd + MD5_BYTES);
    out.set(AGGREGATION_MAGIC, 0);
    // The tables may write 3 bytes past their end (see StringTable.write): records and the MD5 follow.
    let pos = this.pks.write(out, MAGIC_BYTES);
    pos = this.ehks.write(out, pos);
    const { datas, recs, n } = this;
    for (let i = 0, at = 0; i < n; i++, at += REC_STRIDE) {
      const ehk = recs[at + 1] as number;
      const dataLen = recs[at + 3] as number;
      out[pos++] = KEY_RECORD;
      pos = writeVarint(out, pos, recs[at + 2] as number);
      out[pos++] = KEY_PK_INDEX;
      pos = writeVarint(out, pos, recs[at] as number);
      if (ehk >= 0) {
        out[pos++] = KEY_EHK_INDEX;
        pos = writeVarint(out, pos, ehk);
      }
      out[pos++] = KEY_DATA;
      pos = writeVarint(out, pos, dataLen);
      out.set(datas[i] as Uint8Array, pos);
      pos += dataLen;
    }
    if (pos !== bodyEnd) throw new Error(`aggregation size accounting is off: wrote ${pos} bytes, expected ${bodyEnd}`);
    writeMd5(out, MAGIC_BYTES, bodyEnd);
    return out;
  }
}

/** `crypto.hash` (Node >= 20.12): one-shot, cheaper than a Hash object per aggregate; absent on older Node 20. */
const oneShotHash: typeof nodeCrypto.hash | undefined = (nodeCrypto as Partial<typeof nodeCrypto>).hash;

/** Writes the MD5 of `out[start, end)` at `end`; the digest comes as a latin1 ('binary') string, so no Buffer per digest. */
function writeMd5(out: Buffer, start: number, end: number): void {
  const body = new Uint8Array(out.buffer, out.byteOffset + start, end - start);
  if (oneShotHash === undefined) {
    createHash('md5').update(body).digest().copy(out, end);
    return;
  }
  const digest = oneShotHash('md5', body, 'binary');
  for (let i = 0; i < MD5_BYTES; i++) out[end + i] = digest.charCodeAt(i);
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
