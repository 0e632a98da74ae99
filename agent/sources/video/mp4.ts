/**
 * MP4 / MOV probe. Walks the top-level boxes with small positional reads (never the media data),
 * reads `moov` and every `moof`, and reports:
 *  - resolution: the video track's tkhd width/height (handler `vide`, else the first track with a
 *    non-zero size);
 *  - duration: mvhd duration / timescale; when that is 0 or unknown (fragmented MP4): the sum of
 *    the video track's trun sample durations (tfhd/trex defaults when a run has none) in its mdhd
 *    timescale, else mehd fragment_duration, else the video track's mdhd duration. The trun sum
 *    reflects the fragments actually present, which is right for a segment cut short; mehd is what
 *    the muxer announced.
 * A fragmented segment without `moov` (CMAF/HLS media segment) has no timescale: duration null.
 */
import type { ByteSource, ContainerInfo } from './byte-source.ts';
import {
  boxes,
  child,
  fragmentDuration,
  fragmentHeader,
  handlerType,
  runDuration,
  timing,
  trackExtends,
  trackHeader,
} from './mp4-boxes.ts';
import type { Box, Damage } from './mp4-boxes.ts';

const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const MAX_MOOF_BYTES = 16 * 1024 * 1024;
const MAX_TOP_BOXES = 200_000;
const TOP_TYPES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'moof', 'mfra', 'pdin', 'uuid', 'sidx', 'meta', 'prft', 'emsg']);

interface Track {
  id: number;
  width: number;
  height: number;
  handler: string | undefined;
  timescale: number;
  duration: number;
  defaultDuration: number;
}

/** True when the bytes start like an ISO BMFF file. */
export function looksLikeMp4(head: Buffer): boolean {
  return head.length >= 8 && TOP_TYPES.has(head.toString('latin1', 4, 8)) && head.readUInt32BE(0) !== 0x47474747;
}

export async function probeMp4(src: ByteSource): Promise<ContainerInfo> {
  const damage: Damage = { note: undefined };
  let moov: Buffer | undefined;
  const moofs: Buffer[] = [];
  let moofBytes = 0;
  let pos = 0;
  for (let n = 0; pos + 8 <= src.size && n < MAX_TOP_BOXES; n++) {
    const h = await src.read(pos, 16);
    let size = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let hdr = 8;
    if (size === 1 && h.length >= 16) {
      size = Number(h.readBigUInt64BE(8));
      hdr = 16;
    } else if (size === 0) {
      size = src.size - pos;
    }
    if (size < hdr || !/^[\x20-\x7e]{4}$/.test(type)) {
      damage.note ??= `bad box header at offset ${pos}`;
      break;
    }
    const avail = Math.min(size, src.size - pos);
    if (size > avail) damage.note ??= `box '${type}' at ${pos} runs past the end of the file (truncated)`;
    if (type === 'moov' && moov === undefined) {
      if (avail <= MAX_MOOV_BYTES) moov = await src.read(pos + hdr, avail - hdr);
      else damage.note ??= `moov of ${avail} bytes not read`;
    } else if (type === 'moof') {
      if (moofBytes + avail <= MAX_MOOF_BYTES) moofs.push(await src.read(pos + hdr, avail - hdr));
      else damage.note ??= 'too many fragments: duration from the first ones only';
      moofBytes += avail;
    }
    pos += size;
  }
  if (moov === undefined) {
    return { container: 'mp4', durationMs: null, width: null, height: null, probe: 'failed', detail: damage.note ?? 'no moov box' };
  }
  return summarize(moov, moofs, damage);
}

function summarize(moov: Buffer, moofs: Buffer[], damage: Damage): ContainerInfo {
  const root: Box = { type: 'moov', start: 0, end: moov.length };
  let movie: { timescale: number; duration: number } | undefined;
  let mehd: number | undefined;
  const tracks: Track[] = [];
  const trex = new Map<number, number>();
  for (const b of boxes(moov, root.start, root.end, damage)) {
    if (b.type === 'mvhd') movie = timing(moov, b);
    else if (b.type === 'trak') {
      const t = readTrack(moov, b, damage);
      if (t !== undefined) tracks.push(t);
    } else if (b.type === 'mvex') {
      for (const x of boxes(moov, b.start, b.end, damage)) {
        if (x.type === 'mehd') mehd = fragmentDuration(moov, x);
        const tx = x.type === 'trex' ? trackExtends(moov, x) : undefined;
        if (tx !== undefined) trex.set(tx.id, tx.defaultDuration);
      }
    }
  }
  for (const t of tracks) t.defaultDuration = trex.get(t.id) ?? 0;
  const video = tracks.find((t) => t.handler === 'vide' && t.width > 0) ?? tracks.find((t) => t.width > 0 && t.height > 0);
  const main = video ?? tracks[0];

  let durationMs: number | null = null;
  if (movie !== undefined && movie.timescale > 0 && movie.duration > 0) durationMs = (movie.duration * 1000) / movie.timescale;
  if (durationMs === null && main !== undefined && main.timescale > 0) {
    const sum = fragmentsDuration(moofs, main, damage);
    if (sum > 0) durationMs = (sum * 1000) / main.timescale;
  }
  if (durationMs === null && mehd !== undefined && mehd > 0 && movie !== undefined && movie.timescale > 0) {
    durationMs = (mehd * 1000) / movie.timescale;
  }
  if (durationMs === null && main !== undefined && main.timescale > 0 && main.duration > 0) {
    durationMs = (main.duration * 1000) / main.timescale;
  }
  const missing: string[] = [];
  if (durationMs === null) missing.push('no duration');
  if (video === undefined) missing.push('no video track with a size');
  const notes = [...missing, ...(damage.note === undefined ? [] : [damage.note])];
  return {
    container: 'mp4',
    durationMs: durationMs === null ? null : Math.round(durationMs),
    width: video === undefined ? null : Math.floor(video.width),
    height: video === undefined ? null : Math.floor(video.height),
    probe: notes.length === 0 ? 'ok' : 'partial',
    detail: notes.length === 0 ? undefined : notes.join('; '),
  };
}

function readTrack(b: Buffer, trak: Box, damage: Damage): Track | undefined {
  const tkhd = child(b, trak, 'tkhd', damage);
  const head = tkhd === undefined ? undefined : trackHeader(b, tkhd);
  if (head === undefined) return undefined;
  const mdia = child(b, trak, 'mdia', damage);
  const mdhd = mdia === undefined ? undefined : child(b, mdia, 'mdhd', damage);
  const hdlr = mdia === undefined ? undefined : child(b, mdia, 'hdlr', damage);
  const media = mdhd === undefined ? undefined : timing(b, mdhd);
  return {
    id: head.id,
    width: head.width,
    height: head.height,
    handler: hdlr === undefined ? undefined : handlerType(b, hdlr),
    timescale: media?.timescale ?? 0,
    duration: media?.duration ?? 0,
    defaultDuration: 0,
  };
}

/** Sum of sample durations of `track` over all fragments, in the track's timescale. */
function fragmentsDuration(moofs: Buffer[], track: Track, damage: Damage): number {
  let sum = 0;
  for (const m of moofs) {
    for (const traf of boxes(m, 0, m.length, damage)) {
      if (traf.type !== 'traf') continue;
      const parts = boxes(m, traf.start, traf.end, damage);
      const tfhd = parts.find((x) => x.type === 'tfhd');
      const fh = tfhd === undefined ? undefined : fragmentHeader(m, tfhd);
      if (fh === undefined || fh.id !== track.id) continue;
      for (const x of parts) {
        if (x.type !== 'trun') continue;
        const d = runDuration(m, x, fh.defaultDuration ?? track.defaultDuration);
        if (d === undefined) damage.note ??= 'trun box shorter than its sample count';
        else sum += d;
      }
    }
  }
  return sum;
}
