/**
 * Builds one enriched record byte by byte, with no intermediate strings: the head
 * (`{"gatewayId":G,"source":S,"deviceId":D,"seq":`) is cached per device as bytes, integers are
 * written as ASCII digits two at a time, the JSON payload is copied in once. One allocation per
 * record: the output (from Node's buffer pool when small).
 *
 *   {"gatewayId":G,"source":S,"deviceId":D,"seq":N,"eventTime":N,"ingestTime":N,"data":<payload>}
 */

const EVENT = Buffer.from(',"eventTime":', 'latin1');
const INGEST = Buffer.from(',"ingestTime":', 'latin1');
const DATA = Buffer.from(',"data":', 'latin1');

/** The constant head of one device's records from one source, up to and including `"seq":`. */
export function enrichedHead(gatewayId: string, source: string, deviceId: string): Buffer {
  return Buffer.from(`{"gatewayId":${JSON.stringify(gatewayId)},"source":${JSON.stringify(source)},"deviceId":${JSON.stringify(deviceId)},"seq":`, 'utf8');
}

export function writeEnriched(head: Uint8Array, seq: number, eventTime: number, ingestTime: number, data: Uint8Array): Buffer {
  const len = head.length + numLength(seq) + EVENT.length + numLength(eventTime) + INGEST.length + numLength(ingestTime) + DATA.length + data.length + 1;
  const out = Buffer.allocUnsafe(len);
  out.set(head, 0);
  let p = writeNum(out, head.length, seq);
  out.set(EVENT, p);
  p = writeNum(out, p + EVENT.length, eventTime);
  out.set(INGEST, p);
  p = writeNum(out, p + INGEST.length, ingestTime);
  out.set(DATA, p);
  p += DATA.length;
  out.set(data, p);
  out[p + data.length] = 0x7d; // }
  return out;
}

function isPlainUint(n: number): boolean {
  return n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n;
}

const POW10: number[] = [];
for (let k = 0, v = 1; k < 17; k++, v *= 10) POW10.push(v);
/** "00" "01" … "99" as ASCII pairs. */
const PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');

/** Bytes `n` takes as JSON. */
export function numLength(n: number): number {
  if (!isPlainUint(n)) return String(n).length; // fractions, negatives: rare, via the string form
  let d = 1;
  while (d < 16 && n >= (POW10[d] as number)) d++;
  return d;
}

/** Writes `n` as JSON at `p`; returns the index after it. */
export function writeNum(out: Buffer, p: number, n: number): number {
  if (!isPlainUint(n)) return p + out.write(String(n), p, 'latin1');
  if (n < 1e8) return writeSmall(out, p, n, numLength(n));
  // Split so both halves fit int32 arithmetic: hi (≤ 9.1e7) then lo as exactly 8 digits.
  const hi = Math.floor(n / 1e8);
  const lo = n - hi * 1e8;
  const q = writeSmall(out, p, hi, numLength(hi));
  return writeSmall(out, q, lo, 8);
}

/** `v` < 1e8 as exactly `len` digits (zero-padded), two at a time. */
function writeSmall(out: Buffer, p: number, v: number, len: number): number {
  let x = v | 0;
  let i = p + len;
  while (i - p >= 2) {
    const r = x % 100;
    x = (x / 100) | 0;
    i -= 2;
    out[i] = PAIRS[2 * r] as number;
    out[i + 1] = PAIRS[2 * r + 1] as number;
  }
  if (i > p) out[p] = 0x30 + (x % 10);
  return p + len;
}
