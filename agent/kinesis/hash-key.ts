/**
 * Kinesis hash keys: the 128-bit number that picks a record's shard.
 *
 * - Without an ExplicitHashKey, Kinesis hashes the partition key: MD5 of its UTF-8 bytes, read as an
 *   unsigned 128-bit big-endian integer.
 * - With one, the ExplicitHashKey (a decimal string 0 … 2^128−1) is the hash key.
 *
 * A hash key is stored as 4 uint32 words, most significant first, at `out[offset..offset+3]`, so
 * millions of them fit in one Uint32Array and compare with 4 integer comparisons.
 * The hashing path allocates nothing per key: keys are UTF-8 encoded into one reused buffer
 * (lone surrogates become U+FFFD, exactly as `Buffer.from(key, 'utf8')` does).
 */
import { RecordValidationError } from '../core/errors.ts';
import { KINESIS_LIMITS } from '../core/limits.ts';
import { MD5_SINGLE_BLOCK_MAX_BYTES, createMd5Buffer, md5Block, md5Buffer, md5PaddedBytes } from './md5.ts';
import type { Md5Buffer } from './md5.ts';

const MAX_PK_CHARS = KINESIS_LIMITS.maxPartitionKeyChars;
const MAX_HASH_KEY = KINESIS_LIMITS.maxHashKey;
/** 2^128 − 1 has 39 decimal digits. */
const MAX_EHK_DIGITS = 39;
const EHK_EXPECTED = 'expected a decimal integer 0…2^128−1';

// UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
let scratch: Md5Buffer = createMd5Buffer(MAX_PK_CHARS * 3);
const tmpWords = new Uint32Array(4);
/** One padded MD5 block for the ASCII fast path. */
const block = new Int32Array(16);
/** 16-bit limbs, least significant first, for decimal parsing without BigInt. */
const limbs = new Int32Array(8);
const POW10 = [1, 10, 100, 1000, 10000] as const;

/**
 * Writes MD5(UTF-8 of `key`) as a hash key into `out[offset..offset+3]`. Hashes any string
 * (no length check: see `validatePartitionKey`). Allocation-free for keys up to 256 characters.
 */
export function hashPartitionKeyInto(key: string, out: Uint32Array, offset: number): void {
  checkSlot(out, offset, 'hashPartitionKeyInto');
  if (typeof key !== 'string') throw pkTypeError(key);
  if (key.length <= MD5_SINGLE_BLOCK_MAX_BYTES && packAsciiBlock(key)) {
    md5Block(block, out, offset);
    return;
  }
  if (md5PaddedBytes(key.length * 3) > scratch.bytes.length) scratch = createMd5Buffer(key.length * 3);
  md5Buffer(scratch, encodeUtf8Into(key, scratch.bytes), out, offset);
}

/** MD5(UTF-8 of `key`) as a bigint 0 … 2^128−1. Convenient, not for hot paths (allocates a bigint). */
export function hashPartitionKey(key: string): bigint {
  hashPartitionKeyInto(key, tmpWords, 0);
  return wordsToBigInt(tmpWords, 0);
}

/**
 * Parses an ExplicitHashKey exactly as the service accepts it: pattern `0|([1-9]\d{0,38})`
 * (no sign, no spaces, no leading zeros) and value ≤ 2^128−1.
 * Throws RecordValidationError('E_EXPLICIT_HASH_KEY') otherwise.
 */
export function parseExplicitHashKey(text: string): bigint {
  explicitHashKeyInto(text, tmpWords, 0);
  return wordsToBigInt(tmpWords, 0);
}

/** Validates `text` like `parseExplicitHashKey` and writes it into `out[offset..offset+3]`, without BigInt. */
export function explicitHashKeyInto(text: string, out: Uint32Array, offset: number): void {
  checkSlot(out, offset, 'explicitHashKeyInto');
  if (typeof text !== 'string') {
    throw new RecordValidationError(
      'E_EXPLICIT_HASH_KEY',
      `explicit hash key: ${EHK_EXPECTED} as a string, got ${describeType(text)}`,
    );
  }
  const n = text.length;
  if (n === 0) throw ehkError(text, 'got an empty string');
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      const ch = JSON.stringify(text.charAt(i));
      const why = i === 0 && (c === 43 || c === 45) ? `a sign (${ch}) is not allowed` : `character ${ch} at index ${i} is not a digit`;
      throw ehkError(text, why);
    }
  }
  if (n > 1 && text.charCodeAt(0) === 48) throw ehkError(text, 'leading zeros are not allowed (the service accepts 0|[1-9][0-9]{0,38})');
  if (n > MAX_EHK_DIGITS) throw ehkError(text, `${n} digits exceed 2^128−1 (${MAX_EHK_DIGITS} digits)`);
  limbs.fill(0);
  let i = 0;
  let chunk = n % 4 || 4;
  while (i < n) {
    let carry = 0;
    for (let k = 0; k < chunk; k++) carry = carry * 10 + (text.charCodeAt(i + k) - 48);
    const mult = POW10[chunk] as number;
    for (let l = 0; l < 8; l++) {
      const t = (limbs[l] as number) * mult + carry; // ≤ 65535·10^4 + 10^4 < 2^31
      limbs[l] = t & 0xffff;
      carry = t >>> 16;
    }
    if (carry !== 0) throw ehkError(text, `the value exceeds 2^128−1 = ${MAX_HASH_KEY}`);
    i += chunk;
    chunk = 4;
  }
  out[offset] = ((limbs[7] as number) << 16) | (limbs[6] as number);
  out[offset + 1] = ((limbs[5] as number) << 16) | (limbs[4] as number);
  out[offset + 2] = ((limbs[3] as number) << 16) | (limbs[2] as number);
  out[offset + 3] = ((limbs[1] as number) << 16) | (limbs[0] as number);
}

/** The hash key at `words[offset..offset+3]` as a bigint. */
export function wordsToBigInt(words: Uint32Array, offset: number): bigint {
  checkSlot(words, offset, 'wordsToBigInt');
  return (
    (BigInt(words[offset] as number) << 96n) |
    (BigInt(words[offset + 1] as number) << 64n) |
    (BigInt(words[offset + 2] as number) << 32n) |
    BigInt(words[offset + 3] as number)
  );
}

/** Writes `value` (0 … 2^128−1, else RangeError: a programmer error) into `out[offset..offset+3]`. */
export function bigIntToWords(value: bigint, out: Uint32Array, offset: number): void {
  checkSlot(out, offset, 'bigIntToWords');
  if (typeof value !== 'bigint' || value < 0n || value > MAX_HASH_KEY) {
    throw new RangeError(`bigIntToWords: expected a bigint 0…2^128−1, got ${describeType(value)} ${String(value)}`);
  }
  out[offset] = Number(value >> 96n);
  out[offset + 1] = Number((value >> 64n) & 0xffffffffn);
  out[offset + 2] = Number((value >> 32n) & 0xffffffffn);
  out[offset + 3] = Number(value & 0xffffffffn);
}

/** The hash key at `words[offset..offset+3]` in decimal, as the Kinesis API writes hash keys. */
export function hashKeyToDecimal(words: Uint32Array, offset: number): string {
  return wordsToBigInt(words, offset).toString(10);
}

/** Compares two hash keys as unsigned 128-bit integers: −1, 0 or 1. */
export function compareHashKeys(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  if ((ai >>> 0) !== ai || (bi >>> 0) !== bi || ai + 4 > a.length || bi + 4 > b.length) {
    throw new RangeError(`compareHashKeys: offsets ${ai}/${bi} leave no 4 words in arrays of ${a.length}/${b.length}`);
  }
  for (let k = 0; k < 4; k++) {
    const x = a[ai + k] as number;
    const y = b[bi + k] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Throws RecordValidationError('E_PARTITION_KEY') unless `key` is a string of 1…256 characters.
 * Characters are counted as UTF-16 code units (`key.length`), as the service's and the emulators'
 * length checks do: an emoji outside the BMP counts 2, so 128 emoji are the most a key can hold.
 */
export function validatePartitionKey(key: string): void {
  if (typeof key !== 'string') throw pkTypeError(key);
  const n = key.length;
  if (n === 0) {
    throw new RecordValidationError('E_PARTITION_KEY', `partition key: expected 1…${MAX_PK_CHARS} characters, got an empty string`);
  }
  if (n > MAX_PK_CHARS) {
    throw new RecordValidationError(
      'E_PARTITION_KEY',
      `partition key ${quote(key)}: expected 1…${MAX_PK_CHARS} characters (UTF-16 code units), got ${n}`,
    );
  }
}

/**
 * The hash key that chooses the record's shard: its ExplicitHashKey when present (validated),
 * else MD5 of its partition key. The partition key is validated in both cases (the service
 * requires one even when an ExplicitHashKey is given).
 */
export function recordHashKeyInto(
  record: { partitionKey: string; explicitHashKey?: string | undefined },
  out: Uint32Array,
  offset: number,
): void {
  validatePartitionKey(record.partitionKey);
  if (record.explicitHashKey !== undefined) explicitHashKeyInto(record.explicitHashKey, out, offset);
  else hashPartitionKeyInto(record.partitionKey, out, offset);
}

/**
 * UTF-8 encodes `s` into `bytes` (capacity ≥ 3 × s.length) and returns the byte count. Lone
 * surrogates become U+FFFD (EF BF BD), like `Buffer.from(s, 'utf8')` and TextEncoder.
 */
export function encodeUtf8Into(s: string, bytes: Uint8Array): number {
  const n = s.length;
  let p = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes[p++] = c;
      continue;
    }
    if (c < 0x800) {
      bytes[p++] = 0xc0 | (c >>> 6);
      bytes[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if ((c & 0xf800) === 0xd800) {
      // A high surrogate followed by a low one is a pair; anything else is a lone surrogate.
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && (next & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes[p++] = 0xf0 | (c >>> 18);
        bytes[p++] = 0x80 | ((c >>> 12) & 0x3f);
        bytes[p++] = 0x80 | ((c >>> 6) & 0x3f);
        bytes[p++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    bytes[p++] = 0xe0 | (c >>> 12);
    bytes[p++] = 0x80 | ((c >>> 6) & 0x3f);
    bytes[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/**
 * Fast path for ASCII keys of ≤ 55 characters (the common case: device ids, UUIDs): packs the
 * characters straight into the padded little-endian words of one MD5 block (no byte buffer, so
 * independent of the host's byte order). Returns false, leaving `block` meaningless, as soon as a
 * group of 4 characters holds a non-ASCII one.
 */
function packAsciiBlock(key: string): boolean {
  const n = key.length;
  let w = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return false;
    block[w++] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  let last = 0;
  let shift = 0;
  for (; i < n; i++, shift += 8) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return false;
    last |= c << shift;
  }
  block[w++] = last | (0x80 << shift);
  while (w < 14) block[w++] = 0;
  block[14] = n << 3;
  block[15] = 0;
  return true;
}

function checkSlot(words: Uint32Array, offset: number, fn: string): void {
  if ((offset >>> 0) !== offset || offset + 4 > words.length) {
    throw new RangeError(`${fn}: offset ${offset} leaves no 4 words in an array of ${words.length}`);
  }
}

function ehkError(text: string, why: string): RecordValidationError {
  return new RecordValidationError('E_EXPLICIT_HASH_KEY', `explicit hash key ${quote(text)}: ${EHK_EXPECTED}; ${why}`);
}

function pkTypeError(key: unknown): RecordValidationError {
  return new RecordValidationError(
    'E_PARTITION_KEY',
    `partition key: expected a string of 1…${MAX_PK_CHARS} characters, got ${describeType(key)}`,
  );
}

/** JSON-quoted, shortened to 64 characters so messages stay readable. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function describeType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
