/**
 * Matroska / WebM probe (EBML). Reads the first 1 MiB: EBML header, then the Segment's children
 * up to the first Cluster: Info (TimecodeScale, default 1,000,000 ns; Duration, a float in
 * TimecodeScale units) and Tracks (the first TrackEntry with TrackType 1 = video: PixelWidth,
 * PixelHeight). Info/Tracks written after the clusters (reachable only through SeekHead) are not
 * followed; live recordings often carry no Duration at all: duration null then.
 */
import type { ByteSource, ContainerInfo } from './byte-source.ts';

const WINDOW = 1024 * 1024;
const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TRACKS = 0x1654ae6b;
const CLUSTER = 0x1f43b675;
const TRACK_ENTRY = 0xae;
const TRACK_TYPE = 0x83;
const VIDEO = 0xe0;
const PIXEL_WIDTH = 0xb0;
const PIXEL_HEIGHT = 0xba;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

interface Element {
  readonly id: number;
  readonly start: number;
  /** Body end; the window end when the size is unknown or runs past the window. */
  readonly end: number;
  readonly cut: boolean;
}

export function looksLikeMkv(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === EBML;
}

function element(b: Buffer, p: number, limit: number): Element | undefined {
  const first = b[p];
  if (first === undefined || first === 0) return undefined;
  const idLen = Math.clz32(first) - 23;
  if (idLen > 4 || p + idLen > limit) return undefined;
  let id = 0;
  for (let i = 0; i < idLen; i++) id = id * 256 + (b[p + i] as number);
  const s0 = b[p + idLen];
  if (s0 === undefined || s0 === 0) return undefined;
  const sizeLen = Math.clz32(s0) - 23;
  if (p + idLen + sizeLen > limit) return undefined;
  let size = s0 & (0xff >> sizeLen);
  let allOnes = size === 0xff >> sizeLen;
  for (let i = 1; i < sizeLen; i++) {
    const x = b[p + idLen + i] as number;
    size = size * 256 + x;
    allOnes &&= x === 0xff;
  }
  const start = p + idLen + sizeLen;
  const end = allOnes ? limit : start + size;
  return { id, start, end: Math.min(end, limit), cut: end > limit };
}

function children(b: Buffer, start: number, end: number): Element[] {
  const out: Element[] = [];
  for (let p = start; p < end; ) {
    const e = element(b, p, end);
    if (e === undefined) break;
    out.push(e);
    if (e.cut) break;
    p = e.end;
  }
  return out;
}

function uint(b: Buffer, e: Element): number {
  let v = 0;
  for (let i = e.start; i < e.end; i++) v = v * 256 + (b[i] as number);
  return v;
}

export async function probeMkv(src: ByteSource): Promise<ContainerInfo> {
  const b = await src.read(0, WINDOW);
  const notes: string[] = [];
  const header = element(b, 0, b.length);
  const segment = header === undefined || header.id !== EBML ? undefined : element(b, header.end, b.length);
  if (segment === undefined || segment.id !== SEGMENT) {
    return { container: 'mkv', durationMs: null, width: null, height: null, probe: 'failed', detail: 'no EBML header and Segment' };
  }
  let scale = 1_000_000;
  let duration: number | undefined;
  let width: number | null = null;
  let height: number | null = null;
  for (const e of children(b, segment.start, segment.end)) {
    if (e.id === CLUSTER) break;
    if (e.cut) notes.push('metadata cut by the end of the read window or file');
    if (e.id === INFO) {
      for (const x of children(b, e.start, e.end)) {
        if (x.id === TIMECODE_SCALE) scale = uint(b, x);
        else if (x.id === DURATION && x.end - x.start === 8) duration = b.readDoubleBE(x.start);
        else if (x.id === DURATION && x.end - x.start === 4) duration = b.readFloatBE(x.start);
      }
    } else if (e.id === TRACKS && width === null) {
      for (const t of children(b, e.start, e.end)) {
        if (t.id !== TRACK_ENTRY) continue;
        const parts = children(b, t.start, t.end);
        const type = parts.find((x) => x.id === TRACK_TYPE);
        const video = parts.find((x) => x.id === VIDEO);
        if (type === undefined || uint(b, type) !== 1 || video === undefined) continue;
        for (const v of children(b, video.start, video.end)) {
          if (v.id === PIXEL_WIDTH) width = uint(b, v);
          else if (v.id === PIXEL_HEIGHT) height = uint(b, v);
        }
        break;
      }
    }
  }
  const durationMs = duration !== undefined && Number.isFinite(duration) && duration > 0 ? Math.round((duration * scale) / 1e6) : null;
  if (durationMs === null) notes.push('no Duration in Segment Info');
  if (width === null || height === null) notes.push('no video track size');
  return {
    container: 'mkv',
    durationMs,
    width,
    height,
    probe: notes.length === 0 ? 'ok' : 'partial',
    detail: notes.length === 0 ? undefined : notes.join('; '),
  };
}
