/**
 * MD5 (RFC 1321) for short messages, written for partition-key hashing: Int32 arithmetic, the
 * 64 steps unrolled, no allocation per call. Three entry points:
 * - `md5Block`: a message the caller already packed and padded into one block's 16 words (keys
 *   whose UTF-8 encoding is ≤ 55 bytes, `MD5_SINGLE_BLOCK_MAX_BYTES`, fit one 64-byte block);
 * - `md5Buffer`: bytes the caller wrote into a reusable `Md5Buffer`, padded in place;
 * - `md5Words`: any byte array (copied into an internal buffer).
 *
 * The digest is returned as a 128-bit number in 4 uint32 words, most significant first, i.e. the
 * 16 digest bytes read big-endian (how Kinesis maps a partition key to a hash key).
 * Correctness is checked against node:crypto in test/kinesis/hash-key.test.ts.
 */

/** Longest message (bytes) that fits one block: 64 − 1 (0x80 marker) − 8 (bit length). */
export const MD5_SINGLE_BLOCK_MAX_BYTES = 55;

/** A reusable message buffer: bytes and a 32-bit view of the same memory. */
export interface Md5Buffer {
  readonly bytes: Uint8Array;
  /** Same memory as `bytes`; read as little-endian words (MD5's order). */
  readonly words: Int32Array;
}

/** True on little-endian hosts (all usual Node targets): `Md5Buffer.words` then reads MD5's word order directly. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Padded size in bytes of a message of `len` bytes: a multiple of 64 with room for 0x80 and the length. */
export function md5PaddedBytes(len: number): number {
  return (((len + 8) >>> 6) + 1) << 6;
}

/** A buffer able to hold (and pad) any message of up to `maxMessageBytes` bytes. */
export function createMd5Buffer(maxMessageBytes: number): Md5Buffer {
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 0) {
    throw new RangeError(`createMd5Buffer: expected a non-negative integer byte count, got ${String(maxMessageBytes)}`);
  }
  const buffer = new ArrayBuffer(md5PaddedBytes(maxMessageBytes));
  return { bytes: new Uint8Array(buffer), words: new Int32Array(buffer) };
}

// Chaining state between blocks (module scratch: the functions here never re-enter).
const state = new Int32Array(4);

/**
 * MD5 of `buf.bytes[0..len)`, written to `out[offset..offset+3]` (most significant word first).
 * Pads the buffer in place: afterwards its contents are unspecified. Allocation-free.
 */
export function md5Buffer(buf: Md5Buffer, len: number, out: Uint32Array, offset: number): void {
  const bytes = buf.bytes;
  const words = buf.words;
  const padded = md5PaddedBytes(len);
  if ((len >>> 0) !== len || padded > bytes.length) {
    throw new RangeError(`md5Buffer: message of ${len} bytes needs a buffer of ${padded} bytes, have ${bytes.length}`);
  }
  // Padding: 0x80, zeros up to the last 8 bytes, then the length in bits (64-bit little-endian).
  bytes[len] = 0x80;
  let i = len + 1;
  while ((i & 3) !== 0) bytes[i++] = 0;
  const lastWord = (padded >>> 2) - 2;
  for (let w = i >>> 2; w < lastWord; w++) words[w] = 0;
  if (HOST_LITTLE_ENDIAN) {
    words[lastWord] = len << 3;
    words[lastWord + 1] = Math.floor(len / 0x20000000);
  } else {
    writeLe32(bytes, padded - 8, len << 3);
    writeLe32(bytes, padded - 4, Math.floor(len / 0x20000000));
    swapWords(words, padded >>> 2);
  }
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  for (let w = 0; w < padded >>> 2; w += 16) compress(words, w);
  out[offset] = bswap32(state[0] as number);
  out[offset + 1] = bswap32(state[1] as number);
  out[offset + 2] = bswap32(state[2] as number);
  out[offset + 3] = bswap32(state[3] as number);
}

/**
 * MD5 of a message already padded into exactly one block: 16 words, little-endian as MD5 reads
 * them (message bytes, 0x80, zeros, bit length in words 14–15). For callers that pack short
 * messages straight into words, skipping the byte buffer. Result as in `md5Buffer`.
 */
export function md5Block(x: Int32Array, out: Uint32Array, offset: number): void {
  if (x.length < 16) throw new RangeError(`md5Block: expected 16 words, got ${x.length}`);
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  compress(x, 0);
  out[offset] = bswap32(state[0] as number);
  out[offset + 1] = bswap32(state[1] as number);
  out[offset + 2] = bswap32(state[2] as number);
  out[offset + 3] = bswap32(state[3] as number);
}

let general: Md5Buffer = createMd5Buffer(256);

/**
 * MD5 of `bytes[0..len)` (any length), written to `out[offset..offset+3]`. Does not modify
 * `bytes`; copies them into an internal buffer (which grows once for long messages).
 */
export function md5Words(bytes: Uint8Array, len: number, out: Uint32Array, offset: number): void {
  if ((len >>> 0) !== len || len > bytes.length) {
    throw new RangeError(`md5Words: length ${len} outside the ${bytes.length}-byte input`);
  }
  if (md5PaddedBytes(len) > general.bytes.length) general = createMd5Buffer(len);
  const dst = general.bytes;
  for (let i = 0; i < len; i++) dst[i] = bytes[i] as number;
  md5Buffer(general, len, out, offset);
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

function writeLe32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v & 0xff;
  bytes[at + 1] = (v >>> 8) & 0xff;
  bytes[at + 2] = (v >>> 16) & 0xff;
  bytes[at + 3] = v >>> 24;
}

/** Big-endian hosts only: turn the native-order view into little-endian words. */
function swapWords(words: Int32Array, count: number): void {
  for (let w = 0; w < count; w++) words[w] = bswap32(words[w] as number);
}

/** One 64-byte block (16 little-endian words from `x[o..o+15]`) folded into `state`. */
function compress(x: Int32Array, o: number): void {
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  const x0 = x[o] as number, x1 = x[o + 1] as number, x2 = x[o + 2] as number, x3 = x[o + 3] as number;
  const x4 = x[o + 4] as number, x5 = x[o + 5] as number, x6 = x[o + 6] as number, x7 = x[o + 7] as number;
  const x8 = x[o + 8] as number, x9 = x[o + 9] as number, x10 = x[o + 10] as number, x11 = x[o + 11] as number;
  const x12 = x[o + 12] as number, x13 = x[o + 13] as number, x14 = x[o + 14] as number, x15 = x[o + 15] as number;
  let t: number;

  t = (a + (d ^ (b & (c ^ d))) + x0 - 680876936) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + (c ^ (a & (b ^ c))) + x1 - 389564586) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + (b ^ (d & (a ^ b))) + x2 + 606105819) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + (a ^ (c & (d ^ a))) + x3 - 1044525330) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + (d ^ (b & (c ^ d))) + x4 - 176418897) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + (c ^ (a & (b ^ c))) + x5 + 1200080426) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + (b ^ (d & (a ^ b))) + x6 - 1473231341) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + (a ^ (c & (d ^ a))) + x7 - 45705983) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + (d ^ (b & (c ^ d))) + x8 + 1770035416) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + (c ^ (a & (b ^ c))) + x9 - 1958414417) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + (b ^ (d & (a ^ b))) + x10 - 42063) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + (a ^ (c & (d ^ a))) + x11 - 1990404162) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + (d ^ (b & (c ^ d))) + x12 + 1804603682) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + (c ^ (a & (b ^ c))) + x13 - 40341101) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + (b ^ (d & (a ^ b))) + x14 - 1502002290) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + (a ^ (c & (d ^ a))) + x15 + 1236535329) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;

  t = (a + (c ^ (d & (b ^ c))) + x1 - 165796510) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + (b ^ (c & (a ^ b))) + x6 - 1069501632) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + (a ^ (b & (d ^ a))) + x11 + 643717713) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + (d ^ (a & (c ^ d))) + x0 - 373897302) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + (c ^ (d & (b ^ c))) + x5 - 701558691) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + (b ^ (c & (a ^ b))) + x10 + 38016083) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + (a ^ (b & (d ^ a))) + x15 - 660478335) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + (d ^ (a & (c ^ d))) + x4 - 405537848) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + (c ^ (d & (b ^ c))) + x9 + 568446438) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + (b ^ (c & (a ^ b))) + x14 - 1019803690) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + (a ^ (b & (d ^ a))) + x3 - 187363961) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + (d ^ (a & (c ^ d))) + x8 + 1163531501) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + (c ^ (d & (b ^ c))) + x13 - 1444681467) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + (b ^ (c & (a ^ b))) + x2 - 51403784) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + (a ^ (b & (d ^ a))) + x7 + 1735328473) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + (d ^ (a & (c ^ d))) + x12 - 1926607734) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;

  t = (a + (b ^ c ^ d) + x5 - 378558) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x8 - 2022574463) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x11 + 1839030562) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x14 - 35309556) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + x1 - 1530992060) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x4 + 1272893353) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x7 - 155497632) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x10 - 1094730640) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + x13 + 681279174) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x0 - 358537222) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x3 - 722521979) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x6 + 76029189) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + x9 - 640364487) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x12 - 421815835) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x15 + 530742520) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x2 - 995338651) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;

  t = (a + (c ^ (b | ~d)) + x0 - 198630844) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x14 - 1416354905) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x5 - 57434055) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x3 - 1894986606) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x10 - 1051523) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x1 - 2054922799) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x15 - 30611744) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x6 - 1560198380) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x4 - 145523070) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x11 - 1120210379) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x9 - 343485551) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  state[0] = (state[0] as number) + a;
  state[1] = (state[1] as number) + b;
  state[2] = (state[2] as number) + c;
  state[3] = (state[3] as number) + d;
}
