/**
 * Reads device id, per-device seq and intended send time back out of a bench payload
 * (bench/engine/payload.ts) without parsing the whole record:
 *
 * - json: `{"device":"<id>","seq":<n>,"ts":<µs>,…}` (the engine's fixed prefix, read byte by
 *   byte); any other JSON object with string `device` and numeric `seq` (and optional `ts`) is
 *   accepted through JSON.parse as a fallback.
 * - bytes: `S W 01 idLen | seq u32 LE | intended µs f64 LE | id | filler`.
 */

export interface PayloadFields {
  device: string;
  seq: number;
  /** Intended send time, µs since the epoch; NaN when the payload has none. */
  tsUs: number;
}

const HEAD = Buffer.from('{"device":"');
const SEQ = Buffer.from('","seq":');
const TS = Buffer.from(',"ts":');

/** Fills `out` and returns true, or returns false for a payload that is not the bench's. */
export function readPayloadFields(data: Uint8Array, out: PayloadFields): boolean {
  if (data.length >= 16 && data[0] === 0x53 && data[1] === 0x57 && data[2] === 1) return readBytes(data, out);
  if (startsWith(data, HEAD, 0)) {
    const idEnd = data.indexOf(0x22, HEAD.length);
    if (idEnd > 0 && startsWith(data, SEQ, idEnd)) {
      const p = digitsEnd(data, idEnd + SEQ.length);
      const seq = digitValue;
      if (p > idEnd + SEQ.length && startsWith(data, TS, p)) {
        const end = digitsEnd(data, p + TS.length);
        if (end > p + TS.length) {
          out.device = Buffer.from(data.buffer, data.byteOffset + HEAD.length, idEnd - HEAD.length).toString('utf8');
          out.seq = seq;
          out.tsUs = digitValue;
          return true;
        }
      }
    }
  }
  return readJson(data, out);
}

function readBytes(data: Uint8Array, out: PayloadFields): boolean {
  const idLen = data[3] as number;
  if (data.length < 16 + idLen) return false;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  out.seq = view.getUint32(4, true);
  out.tsUs = view.getFloat64(8, true);
  out.device = Buffer.from(data.buffer, data.byteOffset + 16, idLen).toString('utf8');
  return true;
}

function readJson(data: Uint8Array, out: PayloadFields): boolean {
  if (data[0] !== 0x7b) return false; // '{'
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return false; // not JSON: counted as unparsed by the caller
  }
  const o = v as { device?: unknown; seq?: unknown; ts?: unknown };
  if (typeof o.device !== 'string' || typeof o.seq !== 'number' || !Number.isInteger(o.seq) || o.seq < 0) return false;
  out.device = o.device;
  out.seq = o.seq;
  out.tsUs = typeof o.ts === 'number' ? o.ts : Number.NaN;
  return true;
}

function startsWith(data: Uint8Array, prefix: Uint8Array, at: number): boolean {
  if (data.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[at + i] !== prefix[i]) return false;
  return true;
}

/** Value of the digits read by the last `digitsEnd` call (no object per call). */
let digitValue = 0;

/** Reads decimal digits from `at`; returns where they end and leaves their value in `digitValue`. */
function digitsEnd(data: Uint8Array, at: number): number {
  let v = 0;
  let p = at;
  while (p < data.length && (data[p] as number) >= 48 && (data[p] as number) <= 57) v = v * 10 + ((data[p++] as number) - 48);
  digitValue = v;
  return p;
}
