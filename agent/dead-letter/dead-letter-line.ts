/**
 * One dead-letter line: a JSON object and a line feed.
 *
 *   {"time":"2024-05-01T12:00:00.000Z","source":"mqtt-1","reason":"malformed-json","detail":"…",
 *    "size":17,"encoding":"utf8","payload":"{\"t\":21.5,","truncated":true}
 *
 * `payload` is the input as received: UTF-8 text when it is valid UTF-8 without control characters
 * (tab, CR and LF allowed), base64 otherwise (`encoding` says which); cut to `maxPayloadBytes`
 * (never inside a UTF-8 character) with `truncated: true`; `size` is the original length in bytes.
 */
import { isUtf8 } from 'node:buffer';

export interface DeadLetterEntry {
  readonly time: string;
  readonly source: string;
  readonly reason: string;
  readonly detail?: string | undefined;
  /** Bytes of the original input. */
  readonly size: number;
  readonly encoding: 'utf8' | 'base64';
  readonly payload: string;
  readonly truncated?: true | undefined;
}

/** Details longer than this are cut (they come from sources and are short). */
export const MAX_DETAIL_CHARS = 2048;

export function encodeDeadLetter(
  time: string,
  source: string,
  reason: string,
  raw: Uint8Array | string,
  detail: string | undefined,
  maxPayloadBytes: number,
): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const size = bytes.length;
  let cut = Math.min(size, Math.max(0, maxPayloadBytes));
  const truncated = cut < size;
  let text = isText(bytes, cut);
  if (truncated && text) {
    // Back off to the start of the character the cut falls in (continuation bytes are 10xxxxxx).
    let c = cut;
    while (c > 0 && c > cut - 4 && ((bytes[c] as number) & 0xc0) === 0x80) c--;
    cut = c;
    text = isText(bytes, cut);
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, cut);
  const entry: DeadLetterEntry = {
    time,
    source,
    reason,
    detail: detail === undefined ? undefined : detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail,
    size,
    encoding: text ? 'utf8' : 'base64',
    payload: view.toString(text ? 'utf8' : 'base64'),
    truncated: truncated ? true : undefined,
  };
  return `${JSON.stringify(entry)}\n`;
}

/** Valid UTF-8 (allowing a character cut at `end`) and no control characters except tab, LF, CR. */
function isText(bytes: Uint8Array, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const b = bytes[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  }
  // A cut inside a character leaves 1–3 dangling bytes: judge the complete prefix.
  let e = end;
  if (e < bytes.length) while (e > 0 && e > end - 4 && ((bytes[e] as number) & 0xc0) === 0x80) e--;
  return isUtf8(bytes.subarray(0, e));
}
