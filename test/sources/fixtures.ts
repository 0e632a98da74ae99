/**
 * Generators of small, valid container files with known duration and resolution, for the video
 * source tests: MP4 (plain and fragmented), MPEG-TS (PAT, PMT, PES with PTS, PCR, H.264 SPS) and
 * Matroska. Media payloads are filler bytes: only the structure the probes read is real.
 */

const u8 = (v: number): Buffer => Buffer.from([v & 0xff]);
const u16 = (v: number): Buffer => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
}

// ---------------------------------------------------------------- MP4

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
}
const full = (type: string, version: number, flags: number, ...parts: Buffer[]): Buffer =>
  box(type, u32((version << 24) | flags), ...parts);
const MATRIX = Buffer.concat([0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].map(u32));

export interface Mp4Spec {
  readonly durationMs: number;
  readonly width: number;
  readonly height: number;
  readonly version?: 0 | 1;
  /** Movie timescale (mvhd). Default 1000. */
  readonly timescale?: number;
  /** Adds an audio track before the video track. */
  readonly audio?: boolean;
  /** Media data bytes (filler). Default 4096. */
  readonly mdatBytes?: number;
  /** `largesize`: mdat with a 64-bit size; `toEnd`: mdat with size 0 (to end of file). */
  readonly mdat?: 'plain' | 'largesize' | 'toEnd';
  /** moov after mdat (as cameras write it when not "faststart"). */
  readonly moovLast?: boolean;
  /** Fragmented: mvhd duration 0, samples in moof/trun; media timescale 90000. */
  readonly fragmented?: { readonly fragments: number; readonly fps: number; readonly mehd?: boolean; readonly perSample?: boolean };
}

function trak(id: number, handler: string, w: number, h: number, v: 0 | 1, mediaScale: number, mediaDur: number): Buffer {
  const t = v === 1 ? Buffer.concat([u64(0), u64(0), u32(id), u32(0), u64(mediaDur)]) : Buffer.concat([u32(0), u32(0), u32(id), u32(0), u32(mediaDur)]);
  const tkhd = full('tkhd', v, 3, t, Buffer.alloc(8), u16(0), u16(0), u16(handler === 'soun' ? 0x100 : 0), u16(0), MATRIX, u32(w * 65536), u32(h * 65536));
  const mt = v === 1 ? Buffer.concat([u64(0), u64(0), u32(mediaScale), u64(mediaDur)]) : Buffer.concat([u32(0), u32(0), u32(mediaScale), u32(mediaDur)]);
  const mdhd = full('mdhd', v, 0, mt, u16(0x55c4), u16(0));
  const hdlr = full('hdlr', 0, 0, u32(0), Buffer.from(handler, 'latin1'), Buffer.alloc(12), Buffer.from('fixture\0'));
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf')));
}

export function mp4(spec: Mp4Spec): Buffer {
  const v = spec.version ?? 0;
  const ts = spec.timescale ?? 1000;
  const frag = spec.fragmented;
  const movieDur = frag === undefined ? Math.round((spec.durationMs * ts) / 1000) : 0;
  const mediaScale = 90_000;
  const mediaDur = frag === undefined ? Math.round((spec.durationMs * mediaScale) / 1000) : 0;
  const mt = v === 1 ? Buffer.concat([u64(0), u64(0), u32(ts), u64(movieDur)]) : Buffer.concat([u32(0), u32(0), u32(ts), u32(movieDur)]);
  const mvhd = full('mvhd', v, 0, mt, u32(0x10000), u16(0x100), Buffer.alloc(10), MATRIX, Buffer.alloc(24), u32(3));
  const videoId = spec.audio === true ? 2 : 1;
  const traks = [
    ...(spec.audio === true ? [trak(1, 'soun', 0, 0, v, 48_000, Math.round(spec.durationMs * 48))] : []),
    trak(videoId, 'vide', spec.width, spec.height, v, mediaScale, mediaDur),
  ];
  const parts: Buffer[] = [box('ftyp', Buffer.from('isom'), u32(0x200), Buffer.from('isomiso2avc1mp41'))];
  const frameTicks = frag === undefined ? 0 : mediaScale / frag.fps;
  const samplesPer = frag === undefined ? 0 : Math.round((spec.durationMs / 1000) * frag.fps) / frag.fragments;
  const mvex =
    frag === undefined
      ? []
      : [
          box(
            'mvex',
            ...(frag.mehd === true ? [full('mehd', 0, 0, u32(Math.round((spec.durationMs * ts) / 1000)))] : []),
            full('trex', 0, 0, u32(videoId), u32(1), u32(frag.perSample === true ? 0 : frameTicks), u32(0), u32(0)),
          ),
        ];
  const moov = box('moov', mvhd, ...traks, ...mvex);
  const mdatBody = Buffer.alloc(spec.mdatBytes ?? 4096, 0xab);
  const mdat =
    spec.mdat === 'largesize'
      ? Buffer.concat([u32(1), Buffer.from('mdat'), u64(16 + mdatBody.length), mdatBody])
      : spec.mdat === 'toEnd'
        ? Buffer.concat([u32(0), Buffer.from('mdat'), mdatBody])
        : box('mdat', mdatBody);
  if (frag !== undefined) {
    parts.push(moov);
    for (let f = 0; f < frag.fragments; f++) {
      const per = frag.perSample === true ? Array.from({ length: samplesPer }, () => u32(frameTicks)) : [];
      const flags = 0x000001 | (frag.perSample === true ? 0x100 : 0);
      const trun = full('trun', 0, flags, u32(samplesPer), u32(0), ...per);
      const tfhd = full('tfhd', 0, 0x020000, u32(videoId));
      const tfdt = full('tfdt', 1, 0, u64(f * samplesPer * frameTicks));
      parts.push(box('moof', full('mfhd', 0, 0, u32(f + 1)), box('traf', tfhd, tfdt, trun)), box('mdat', Buffer.alloc(256, f)));
    }
    return Buffer.concat(parts);
  }
  if (spec.moovLast === true || spec.mdat === 'toEnd') {
    if (spec.mdat === 'toEnd') return Buffer.concat([...parts, moov, mdat]);
    return Buffer.concat([...parts, mdat, moov]);
  }
  return Buffer.concat([...parts, moov, mdat]);
}

// ---------------------------------------------------------------- H.264 SPS

class BitWriter {
  private readonly bits: number[] = [];
  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  ue(v: number): this {
    const x = v + 1;
    const len = Math.floor(Math.log2(x));
    return this.u(len, 0).u(len + 1, x);
  }
  bytes(): Buffer {
    this.bits.push(1); // rbsp_stop_one_bit
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    const out = Buffer.alloc(this.bits.length / 8);
    this.bits.forEach((b, i) => {
      out[i >> 3] = (out[i >> 3] as number) | (b << (7 - (i & 7)));
    });
    return out;
  }
}

/** An SPS NAL unit (header byte included, emulation prevention applied). profile 66 = Baseline, 100 = High. */
export function h264Sps(width: number, height: number, profile: 66 | 100 = 66): Buffer {
  const w = new BitWriter().u(8, profile).u(8, 0).u(8, 40).ue(0);
  if (profile === 100) w.ue(1).ue(0).ue(0).u(1, 0).u(1, 0);
  const wMbs = Math.ceil(width / 16);
  const hMbs = Math.ceil(height / 16);
  w.ue(0).ue(0).ue(0).ue(1).u(1, 0).ue(wMbs - 1).ue(hMbs - 1).u(1, 1).u(1, 1);
  const cropR = (wMbs * 16 - width) / 2;
  const cropB = (hMbs * 16 - height) / 2;
  if (cropR > 0 || cropB > 0) w.u(1, 1).ue(0).ue(cropR).ue(0).ue(cropB);
  else w.u(1, 0);
  w.u(1, 0); // no VUI
  const rbsp = w.bytes();
  const out: number[] = [0x67];
  let zeros = 0;
  for (const x of rbsp) {
    if (zeros >= 2 && x <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(x);
    zeros = x === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

// ---------------------------------------------------------------- MPEG-TS

function crc32mpeg(b: Buffer): number {
  let crc = 0xffffffff;
  for (const x of b) {
    crc ^= x << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

function psiSection(tableId: number, idExt: number, body: Buffer): Buffer {
  const len = 5 + body.length + 4;
  const head = Buffer.concat([u8(tableId), u16(0xb000 | len), u16(idExt), u8(0xc1), u8(0), u8(0), body]);
  return Buffer.concat([head, u32(crc32mpeg(head))]);
}

/** TS packets carrying `payload` on `pid`; the first has PUSI and, when given, a PCR; the last is stuffed to 188 bytes. */
function packetize(pid: number, payload: Buffer, cc: Map<number, number>, pcr?: number): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  let first = true;
  while (off < payload.length || first) {
    const remaining = payload.length - off;
    let take: number;
    let af: number[] | undefined;
    if (first && pcr !== undefined) {
      const cap = 184 - 1 - 7;
      take = Math.min(cap, remaining);
      const b = pcr;
      const pcrBytes = [Math.floor(b / 2 ** 25) & 0xff, Math.floor(b / 2 ** 17) & 0xff, Math.floor(b / 2 ** 9) & 0xff, Math.floor(b / 2) & 0xff, ((b % 2) << 7) | 0x7e, 0];
      af = [0x10, ...pcrBytes, ...new Array<number>(cap - take).fill(0xff)];
    } else if (remaining >= 184) {
      take = 184;
    } else {
      take = remaining;
      const len = 183 - take;
      af = len === 0 ? [] : [0x00, ...new Array<number>(len - 1).fill(0xff)];
    }
    const n = cc.get(pid) ?? 0;
    cc.set(pid, (n + 1) & 0x0f);
    const header = Buffer.from([0x47, (first ? 0x40 : 0) | ((pid >> 8) & 0x1f), pid & 0xff, (af !== undefined ? 0x30 : 0x10) | n]);
    const pkt = Buffer.concat([header, af !== undefined ? Buffer.from([af.length, ...af]) : Buffer.alloc(0), payload.subarray(off, off + take)]);
    if (pkt.length !== 188) throw new Error(`fixture packet of ${pkt.length} bytes`);
    out.push(pkt);
    off += take;
    first = false;
  }
  return out;
}

function ptsBytes(pts: number): Buffer {
  const hi = Math.floor(pts / 2 ** 30) & 0x07;
  const mid = Math.floor(pts / 2 ** 15) & 0x7fff;
  const lo = pts % 2 ** 15;
  return Buffer.from([0x21 | (hi << 1), mid >> 7, ((mid & 0x7f) << 1) | 1, lo >> 7, ((lo & 0x7f) << 1) | 1]);
}

export interface TsSpec {
  readonly frames: number;
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  readonly firstPts?: number;
  /** Decode order I P B B P B B …: PTS not monotonic. */
  readonly bFrames?: boolean;
  /** Put a PCR in each frame's first packet. Default true. */
  readonly pcr?: boolean;
  readonly profile?: 66 | 100;
  /** Filler bytes per frame. Default 600. */
  readonly frameBytes?: number;
}

/** Expected duration: frames × (90000 / fps) ticks. */
export function mpegts(spec: TsSpec): Buffer {
  const cc = new Map<number, number>();
  const ticks = 90_000 / spec.fps;
  const first = spec.firstPts ?? 126_000;
  const pat = Buffer.concat([u8(0), psiSection(0x00, 1, Buffer.concat([u16(1), u16(0xe000 | 0x1000)]))]);
  const pmt = Buffer.concat([u8(0), psiSection(0x02, 1, Buffer.concat([u16(0xe100), u16(0xf000), u8(0x1b), u16(0xe100), u16(0xf000)]))]);
  const out: Buffer[] = [];
  for (let i = 0; i < spec.frames; i++) {
    if (i % 10 === 0) out.push(...packetize(0, pat, cc), ...packetize(0x1000, pmt, cc));
    let order = i;
    if (spec.bFrames === true && i > 0) {
      const g = Math.floor((i - 1) / 3);
      const k = (i - 1) % 3;
      order = k === 0 ? 3 * g + 3 : 3 * g + k;
      if (order >= spec.frames) order = i;
    }
    const pts = (first + order * ticks) % 2 ** 33;
    const es = i === 0 ? Buffer.concat([Buffer.from([0, 0, 0, 1]), h264Sps(spec.width, spec.height, spec.profile), Buffer.from([0, 0, 1, 0x65])]) : Buffer.from([0, 0, 1, 0x41]);
    const pes = Buffer.concat([Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5]), ptsBytes(pts), es, Buffer.alloc(spec.frameBytes ?? 600, 0x5a)]);
    const pcr = spec.pcr === false ? undefined : (first + i * ticks - 9000 + 2 ** 33) % 2 ** 33;
    out.push(...packetize(0x100, pes, cc, pcr));
  }
  return Buffer.concat(out);
}

// ---------------------------------------------------------------- Matroska

function ebml(id: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const idBytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) idBytes.unshift(v & 0xff);
  return Buffer.concat([Buffer.from(idBytes), Buffer.from([0x01]), u64(body.length).subarray(1), body]);
}
const ebmlUint = (id: number, v: number): Buffer => ebml(id, u32(v));

export interface MkvSpec {
  readonly durationMs: number;
  readonly width: number;
  readonly height: number;
  /** ns per timecode unit. Default 1,000,000. */
  readonly timecodeScale?: number;
  readonly floatBytes?: 4 | 8;
  readonly omitDuration?: boolean;
}

export function mkv(spec: MkvSpec): Buffer {
  const scale = spec.timecodeScale ?? 1_000_000;
  const units = (spec.durationMs * 1e6) / scale;
  const dur = spec.floatBytes === 4 ? Buffer.alloc(4) : Buffer.alloc(8);
  if (spec.floatBytes === 4) dur.writeFloatBE(units);
  else dur.writeDoubleBE(units);
  const header = ebml(0x1a45dfa3, ebmlUint(0x4286, 1), ebml(0x4282, Buffer.from('matroska')));
  const info = ebml(0x1549a966, ebmlUint(0x2ad7b1, scale), ...(spec.omitDuration === true ? [] : [ebml(0x4489, dur)]));
  const video = ebml(0xe0, ebmlUint(0xb0, spec.width), ebmlUint(0xba, spec.height));
  const tracks = ebml(0x1654ae6b, ebml(0xae, ebmlUint(0xd7, 1), ebmlUint(0x83, 1), ebml(0x86, Buffer.from('V_MPEG4/ISO/AVC')), video));
  const cluster = ebml(0x1f43b675, ebmlUint(0xe7, 0), ebml(0xa3, Buffer.alloc(2048, 7)));
  return Buffer.concat([header, ebml(0x18538067, info, tracks, cluster)]);
}
