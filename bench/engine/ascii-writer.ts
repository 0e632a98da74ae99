/** Allocation-free ASCII number writers for payload templates. Each returns the new offset. */

/** Writes a non-negative integer (≤ 2^53) in decimal. */
export function writeUint(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  if (n >= 4294967296) {
    // Split in two halves so the digit loop runs on 32-bit integers.
    const hi = Math.floor(n / 1e9);
    const lo = n - hi * 1e9;
    p = writeUint(buf, p, hi);
    return writePadded(buf, p, lo, 9);
  }
  let digits = 1;
  for (let v = n; v >= 10; v = (v / 10) >>> 0) digits++;
  let v = n >>> 0;
  for (let k = p + digits - 1; k >= p; k--) {
    const q = (v / 10) >>> 0;
    buf[k] = 48 + (v - q * 10);
    v = q;
  }
  return p + digits;
}

/** Writes `n` (< 10^width, non-negative integer) zero-padded to `width` digits. */
export function writePadded(buf: Uint8Array, p: number, n: number, width: number): number {
  let v = n >>> 0;
  for (let k = p + width - 1; k >= p; k--) {
    const q = (v / 10) >>> 0;
    buf[k] = 48 + (v - q * 10);
    v = q;
  }
  return p + width;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000] as const;

/** Writes x with exactly `decimals` (0…6) fraction digits, e.g. 21.50; rounds half away from zero. */
export function writeFixed(buf: Uint8Array, p: number, x: number, decimals: number): number {
  if (!Number.isFinite(x)) x = 0;
  const scale = POW10[decimals] ?? 1;
  const scaled = Math.round(Math.abs(x) * scale);
  if (x < 0 && scaled !== 0) buf[p++] = 45; // '-'
  const ip = Math.floor(scaled / scale);
  p = writeUint(buf, p, ip);
  if (decimals > 0) {
    buf[p++] = 46; // '.'
    p = writePadded(buf, p, scaled - ip * scale, decimals);
  }
  return p;
}
