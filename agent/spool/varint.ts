/**
 * Unsigned LEB128 varints (7 bits per byte, low bits first) and zigzag for signed values, on
 * plain numbers up to 2^53. Reading sets `varintEnd` instead of returning a pair, so the replay
 * hot path allocates nothing.
 */

/** Offset just past the varint read by the last successful `readVarint`. */
export let varintEnd = 0;

/** Bytes `v` (0 ≤ v < 2^53, an integer) takes as a varint. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes `v` at `off`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[off++] = v;
  return off;
}

/**
 * Reads a varint of at most `maxBytes` bytes starting at `p`, not reading at or past `end`.
 * Returns the value (and sets `varintEnd`), -1 when it runs past `end`, -2 when it is longer
 * than `maxBytes` or not minimally encoded (a trailing zero byte).
 */
export function readVarint(buf: Uint8Array, p: number, end: number, maxBytes: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (p + i >= end) return -1;
    const b = buf[p + i]!;
    v += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0 && i > 0) return -2;
      varintEnd = p + i + 1;
      return v;
    }
    scale *= 128;
  }
  return -2;
}

/** Zigzag: 0, -1, 1, -2, … → 0, 1, 2, 3, … (|v| < 2^52). */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
