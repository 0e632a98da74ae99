/**
 * MPEG-TS probe (188-byte packets, sync byte 0x47). Reads the first and the last 2 MiB only:
 * PAT → PMT → elementary streams; PTS from PES headers of the main stream (first video stream,
 * else the first stream), PCR from adaptation fields as a fallback.
 * Duration = (largest PTS near the end − smallest PTS near the start) + one frame (the smallest
 * gap between distinct PTS values, when below 1 s), modulo 2^33 (wrap-safe for segments < 13 h).
 * Resolution: from the H.264 SPS in the first video PES (stream type 0x1B); other codecs: null.
 * Not handled: PSI sections spanning packets, 192-byte M2TS packets.
 */
import type { ByteSource, ContainerInfo } from './byte-source.ts';
import { parseH264Sps } from './h264-sps.ts';

const PKT = 188;
const WINDOW = 2 * 1024 * 1024;
const WRAP = 2 ** 33;
const HALF = 2 ** 32;
const MAX_PES_BYTES = 512 * 1024;
const VIDEO_TYPES = new Set([0x01, 0x02, 0x10, 0x1b, 0x24, 0x42, 0xea]);

export function findSync(b: Buffer): number {
  for (let i = 0; i < PKT && i < b.length; i++) {
    if (b[i] !== 0x47) continue;
    if (i + PKT >= b.length || (b[i + PKT] === 0x47 && (i + 2 * PKT >= b.length || b[i + 2 * PKT] === 0x47))) return i;
  }
  return -1;
}

export function looksLikeMpegTs(head: Buffer): boolean {
  return head.length >= PKT && head[0] === 0x47 && findSync(head) === 0 && (head.length < 2 * PKT || head[PKT] === 0x47);
}

interface Scan {
  pmtPid: number;
  pcrPid: number;
  streams: Map<number, number>;
  pts: Map<number, number[]>;
  pcr: number[];
  /** First PES (header included) of each PID, for the SPS. */
  firstPes: Map<number, Buffer[]>;
  pesOpen: Set<number>;
  resyncs: number;
}

export async function probeMpegTs(src: ByteSource): Promise<ContainerInfo> {
  const head = await src.read(0, WINDOW);
  const sync = findSync(head);
  if (sync < 0) return { container: 'mpegts', durationMs: null, width: null, height: null, probe: 'failed', detail: 'no sync byte' };
  const h: Scan = { pmtPid: -1, pcrPid: -1, streams: new Map(), pts: new Map(), pcr: [], firstPes: new Map(), pesOpen: new Set(), resyncs: 0 };
  scanPackets(head, sync, h, true);
  let tail = h;
  if (src.size > head.length) {
    const from = sync + Math.ceil(Math.max(0, src.size - WINDOW - sync) / PKT) * PKT;
    const buf = await src.read(from, src.size - from);
    tail = { ...h, pts: new Map(), pcr: [], firstPes: new Map(), pesOpen: new Set(), resyncs: 0 };
    scanPackets(buf, 0, tail, false);
  }
  const main = mainPid(h);
  const notes: string[] = [];
  let ticks = main === undefined ? undefined : ptsDuration(h.pts.get(main) ?? [], tail.pts.get(main) ?? []);
  if (ticks === undefined && h.pcr.length > 0 && tail.pcr.length > 0) {
    ticks = rel(tail.pcr[tail.pcr.length - 1] as number, h.pcr[0] as number);
    notes.push('duration from PCR');
  }
  let width: number | null = null;
  let height: number | null = null;
  const type = main === undefined ? undefined : h.streams.get(main);
  if (main !== undefined && type === 0x1b) {
    const sps = spsOf(h.firstPes.get(main));
    if (sps !== undefined) ({ width, height } = sps);
    else notes.push('no H.264 SPS in the first PES');
  } else notes.push(type === undefined ? 'no PMT' : `resolution not parsed for stream type 0x${type.toString(16)}`);
  if (ticks === undefined || ticks <= 0) notes.push('no timestamps');
  const lost = h.resyncs + (tail === h ? 0 : tail.resyncs);
  if (lost > 0) notes.push(`lost sync ${lost} time${lost === 1 ? '' : 's'}`);
  const durationMs = ticks === undefined || ticks <= 0 ? null : Math.round(ticks / 90);
  const complete = durationMs !== null && width !== null && lost === 0;
  return { container: 'mpegts', durationMs, width, height, probe: complete ? 'ok' : 'partial', detail: notes.length > 0 ? notes.join('; ') : undefined };
}

function mainPid(s: Scan): number | undefined {
  for (const [pid, type] of s.streams) if (VIDEO_TYPES.has(type)) return pid;
  for (const pid of s.streams.keys()) return pid;
  for (const pid of s.pts.keys()) return pid; // no PMT: any stream with timestamps
  return undefined;
}

/** (v − ref) mod 2^33, as a signed value in [−2^32, 2^32). */
function rel(v: number, ref: number): number {
  let d = (v - ref) % WRAP;
  if (d < 0) d += WRAP;
  return d >= HALF ? d - WRAP : d;
}

function ptsDuration(head: number[], tail: number[]): number | undefined {
  const ref = head[0];
  if (ref === undefined) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const v of head) min = Math.min(min, rel(v, ref));
  const last = tail.length > 0 ? tail : head;
  const sorted = last.map((v) => rel(v, ref)).sort((a, b) => a - b);
  for (const v of sorted) max = Math.max(max, v);
  let frame = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const gap = (sorted[i] as number) - (sorted[i - 1] as number);
    if (gap > 0 && gap < frame) frame = gap;
  }
  return max - min + (frame <= 90_000 ? frame : 0);
}

function scanPackets(b: Buffer, start: number, s: Scan, psi: boolean): void {
  let p = start;
  while (p + PKT <= b.length) {
    if (b[p] !== 0x47) {
      const next = findSync(b.subarray(p));
      s.resyncs++;
      if (next < 0) {
        p += PKT;
        continue;
      }
      p += next;
      continue;
    }
    packet(b, p, s, psi);
    p += PKT;
  }
}

function packet(b: Buffer, p: number, s: Scan, psi: boolean): void {
  const b1 = b[p + 1] as number;
  const pusi = (b1 & 0x40) !== 0;
  const pid = ((b1 & 0x1f) << 8) | (b[p + 2] as number);
  const afc = ((b[p + 3] as number) >> 4) & 3;
  const end = p + PKT;
  let q = p + 4;
  if (afc & 2) {
    const len = b[q] as number;
    if (len >= 7 && ((b[q + 1] as number) & 0x10) !== 0 && pid === (s.pcrPid >= 0 ? s.pcrPid : pid)) {
      s.pcr.push(
        (b[q + 2] as number) * 2 ** 25 + (b[q + 3] as number) * 2 ** 17 + (b[q + 4] as number) * 2 ** 9 + (b[q + 5] as number) * 2 + ((b[q + 6] as number) >> 7),
      );
    }
    q += 1 + len;
  }
  if (!(afc & 1) || q >= end) return;
  if (psi && pusi && (pid === 0 || pid === s.pmtPid)) {
    section(b, q + 1 + (b[q] as number), end, pid, s);
    return;
  }
  if (pusi) s.pesOpen.delete(pid);
  if (pusi && b[q] === 0 && b[q + 1] === 0 && b[q + 2] === 1 && q + 14 <= end) {
    const flags = b[q + 7] as number;
    if ((flags & 0x80) !== 0 && ((b[q + 6] as number) & 0xc0) === 0x80) {
      const list = s.pts.get(pid) ?? [];
      s.pts.set(pid, list);
      list.push(readPts(b, q + 9));
    }
    if (psi && !s.firstPes.has(pid)) {
      s.firstPes.set(pid, []);
      s.pesOpen.add(pid);
    }
  }
  const parts = s.pesOpen.has(pid) ? s.firstPes.get(pid) : undefined;
  if (parts !== undefined && parts.reduce((n, x) => n + x.length, 0) < MAX_PES_BYTES) parts.push(b.subarray(q, end));
}

function readPts(b: Buffer, i: number): number {
  return (
    (((b[i] as number) >> 1) & 0x07) * 2 ** 30 +
    (((b[i + 1] as number) << 7) | ((b[i + 2] as number) >> 1)) * 2 ** 15 +
    (((b[i + 3] as number) << 7) | ((b[i + 4] as number) >> 1))
  );
}

/** PAT (pid 0) or PMT section contained in one packet. */
function section(b: Buffer, s0: number, end: number, pid: number, s: Scan): void {
  if (s0 + 3 > end) return;
  const len = (((b[s0 + 1] as number) & 0x0f) << 8) | (b[s0 + 2] as number);
  const last = Math.min(s0 + 3 + len - 4, end); // before CRC
  if (pid === 0 && b[s0] === 0x00) {
    for (let i = s0 + 8; i + 4 <= last; i += 4) {
      const program = ((b[i] as number) << 8) | (b[i + 1] as number);
      if (program !== 0) {
        s.pmtPid = (((b[i + 2] as number) & 0x1f) << 8) | (b[i + 3] as number);
        return;
      }
    }
  } else if (b[s0] === 0x02 && s.streams.size === 0 && s0 + 12 <= last) {
    s.pcrPid = (((b[s0 + 8] as number) & 0x1f) << 8) | (b[s0 + 9] as number);
    let i = s0 + 12 + ((((b[s0 + 10] as number) & 0x0f) << 8) | (b[s0 + 11] as number));
    while (i + 5 <= last) {
      const epid = (((b[i + 1] as number) & 0x1f) << 8) | (b[i + 2] as number);
      s.streams.set(epid, b[i] as number);
      i += 5 + ((((b[i + 3] as number) & 0x0f) << 8) | (b[i + 4] as number));
    }
  }
}

function spsOf(parts: Buffer[] | undefined): { width: number; height: number } | undefined {
  if (parts === undefined || parts.length === 0) return undefined;
  const pes = Buffer.concat(parts);
  const es = pes.subarray(9 + (pes[8] ?? 0));
  for (let i = 0; i + 3 < es.length; i++) {
    if (es[i] !== 0 || es[i + 1] !== 0 || es[i + 2] !== 1) continue;
    if (((es[i + 3] as number) & 0x1f) !== 7) continue;
    let end = es.indexOf(Buffer.from([0, 0, 1]), i + 3);
    if (end < 0) end = es.length;
    return parseH264Sps(es.subarray(i + 4, end));
  }
  return undefined;
}
