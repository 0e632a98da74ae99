/**
 * Device ids read from bytes, as strings shared between records: a fleet repeats a few thousand
 * ids millions of times, so each line would otherwise allocate its own copy of one, and every Map
 * keyed by device id downstream (sequence numbers, keying, metrics) would hash that fresh copy
 * again. A small direct-mapped table remembers the last ASCII id seen per slot; a hit costs a hash
 * and a compare of the id's bytes, a miss decodes the bytes as before and takes the slot.
 */

/** Ids longer than this are decoded every time (they are rare; the compare would cost more). */
const MAX_CACHED_BYTES = 64;
const SLOTS = 1024;

export class IdStrings {
  private readonly ids: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

  /** The UTF-8 text of `bytes[start, end)`; the same string object for the same ASCII bytes while it stays cached. */
  get(bytes: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len > MAX_CACHED_BYTES || len === 0) return bytes.toString('utf8', start, end);
    let h = 0x811c9dc5; // FNV-1a
    let ascii = true;
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number;
      if (b >= 0x80) ascii = false;
      h = Math.imul(h ^ b, 0x01000193);
    }
    if (!ascii) return bytes.toString('utf8', start, end);
    const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    const hit = this.ids[slot];
    if (hit !== undefined && sameAscii(hit, bytes, start, len)) return hit;
    const s = bytes.toString('latin1', start, end);
    this.ids[slot] = s;
    return s;
  }
}

function sameAscii(s: string, bytes: Buffer, start: number, len: number): boolean {
  if (s.length !== len) return false;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}
