/**
 * ISO BMFF (MP4) box parsing on an in-memory buffer: box lists (32-bit size, 64-bit largesize,
 * size 0 = to the end of the parent), and the few boxes we read (mvhd, tkhd, mdhd, hdlr, mehd,
 * trex, tfhd, trun). A box that overruns its parent stops the listing and is noted as damage, so
 * whatever came before it is still used.
 */

export interface Box {
  readonly type: string;
  /** Body start (after the header) and end, as offsets in the buffer. */
  readonly start: number;
  readonly end: number;
}

export interface Damage {
  note: string | undefined;
}

export function boxes(b: Buffer, start: number, end: number, damage: Damage): Box[] {
  const out: Box[] = [];
  let p = start;
  while (p + 8 <= end) {
    let size = b.readUInt32BE(p);
    const type = b.toString('latin1', p + 4, p + 8);
    let hdr = 8;
    if (size === 1) {
      if (p + 16 > end) break;
      size = Number(b.readBigUInt64BE(p + 8));
      hdr = 16;
    } else if (size === 0) {
      size = end - p;
    }
    if (size < hdr || p + size > end) {
      damage.note ??= `box '${type}' at ${p} overruns its parent (truncated or corrupt)`;
      break;
    }
    out.push({ type, start: p + hdr, end: p + size });
    p += size;
  }
  return out;
}

export function child(b: Buffer, parent: Box, type: string, damage: Damage): Box | undefined {
  for (const x of boxes(b, parent.start, parent.end, damage)) if (x.type === type) return x;
  return undefined;
}

function has(box: Box, bytes: number): boolean {
  return box.end - box.start >= bytes;
}

/** mvhd / mdhd: timescale and duration (version 0: 32-bit times, version 1: 64-bit). Duration -1 (all ones) = unknown. */
export function timing(b: Buffer, box: Box): { timescale: number; duration: number } | undefined {
  const s = box.start;
  const v1 = b[s] === 1;
  if (!has(box, v1 ? 32 : 20)) return undefined;
  const timescale = b.readUInt32BE(s + (v1 ? 20 : 12));
  if (v1) {
    const d = b.readBigUInt64BE(s + 24);
    return { timescale, duration: d === 0xffffffffffffffffn ? -1 : Number(d) };
  }
  const d = b.readUInt32BE(s + 16);
  return { timescale, duration: d === 0xffffffff ? -1 : d };
}

/** tkhd: track id and presentation width/height (16.16 fixed point, integer part). */
export function trackHeader(b: Buffer, box: Box): { id: number; width: number; height: number } | undefined {
  const s = box.start;
  const v1 = b[s] === 1;
  if (!has(box, v1 ? 96 : 84)) return undefined;
  return {
    id: b.readUInt32BE(s + (v1 ? 20 : 12)),
    width: b.readUInt32BE(s + (v1 ? 88 : 76)) / 65536,
    height: b.readUInt32BE(s + (v1 ? 92 : 80)) / 65536,
  };
}

/** hdlr: handler type, e.g. `vide`, `soun`. */
export function handlerType(b: Buffer, box: Box): string | undefined {
  return has(box, 12) ? b.toString('latin1', box.start + 8, box.start + 12) : undefined;
}

/** mehd: fragment_duration in the movie timescale. */
export function fragmentDuration(b: Buffer, box: Box): number | undefined {
  const s = box.start;
  if (b[s] === 1) return has(box, 12) ? Number(b.readBigUInt64BE(s + 4)) : undefined;
  return has(box, 8) ? b.readUInt32BE(s + 4) : undefined;
}

/** trex: track id and default sample duration for fragments. */
export function trackExtends(b: Buffer, box: Box): { id: number; defaultDuration: number } | undefined {
  if (!has(box, 16)) return undefined;
  return { id: b.readUInt32BE(box.start + 4), defaultDuration: b.readUInt32BE(box.start + 12) };
}

/** tfhd: track id and, when present, the default sample duration of this fragment. */
export function fragmentHeader(b: Buffer, box: Box): { id: number; defaultDuration: number | undefined } | undefined {
  const s = box.start;
  if (!has(box, 8)) return undefined;
  const flags = b.readUInt32BE(s) & 0xffffff;
  let p = s + 8;
  if (flags & 0x01) p += 8; // base_data_offset
  if (flags & 0x02) p += 4; // sample_description_index
  const defaultDuration = flags & 0x08 && p + 4 <= box.end ? b.readUInt32BE(p) : undefined;
  return { id: b.readUInt32BE(s + 4), defaultDuration };
}

/** trun: sum of sample durations (per-sample when present, else `defaultDuration`). */
export function runDuration(b: Buffer, box: Box, defaultDuration: number): number | undefined {
  const s = box.start;
  if (!has(box, 8)) return undefined;
  const flags = b.readUInt32BE(s) & 0xffffff;
  const count = b.readUInt32BE(s + 4);
  let p = s + 8;
  if (flags & 0x01) p += 4; // data_offset
  if (flags & 0x04) p += 4; // first_sample_flags
  if (!(flags & 0x100)) return count * defaultDuration;
  const stride = 4 * (1 + (flags & 0x200 ? 1 : 0) + (flags & 0x400 ? 1 : 0) + (flags & 0x800 ? 1 : 0));
  if (p + count * stride > box.end) return undefined;
  let sum = 0;
  for (let i = 0; i < count; i++, p += stride) sum += b.readUInt32BE(p);
  return sum;
}
