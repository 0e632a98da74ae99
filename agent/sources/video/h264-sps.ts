/**
 * H.264 sequence parameter set → picture size (ITU-T H.264 §7.3.2.1.1): removes emulation
 * prevention bytes, reads the Exp-Golomb fields up to frame cropping, and applies the crop.
 */

class Bits {
  private readonly b: Uint8Array;
  private pos = 0;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.b[this.pos >> 3];
      if (byte === undefined) throw new RangeError('SPS ends early');
      v = v * 2 + ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31) throw new RangeError('bad Exp-Golomb code');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

/** RBSP from a NAL payload: drops each 0x03 that follows two zero bytes. */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (const x of nal) {
    if (zeros >= 2 && x === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = x;
    zeros = x === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** `sps` is the NAL payload after the one-byte NAL header. Undefined when it cannot be read. */
export function parseH264Sps(sps: Uint8Array): { width: number; height: number } | undefined {
  try {
    const r = new Bits(unescapeRbsp(sps));
    const profile = r.u(8);
    r.u(16); // constraint flags, level_idc
    r.ue(); // seq_parameter_set_id
    let chroma = 1;
    let separate = 0;
    if (HIGH_PROFILES.has(profile)) {
      chroma = r.ue();
      if (chroma === 3) separate = r.u(1);
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.u(1); // qpprime_y_zero_transform_bypass_flag
      if (r.u(1) === 1) {
        for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) if (r.u(1) === 1) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.u(1);
      r.se();
      r.se();
      const n = r.ue();
      for (let i = 0; i < n; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.u(1); // gaps_in_frame_num_value_allowed_flag
    const wMbs = r.ue() + 1;
    const hMapUnits = r.ue() + 1;
    const frameMbsOnly = r.u(1);
    if (frameMbsOnly === 0) r.u(1); // mb_adaptive_frame_field_flag
    r.u(1); // direct_8x8_inference_flag
    let cl = 0;
    let cr = 0;
    let ct = 0;
    let cb = 0;
    if (r.u(1) === 1) {
      cl = r.ue();
      cr = r.ue();
      ct = r.ue();
      cb = r.ue();
    }
    const arrayType = separate === 1 ? 0 : chroma;
    const subW = arrayType === 1 || arrayType === 2 ? 2 : 1;
    const subH = arrayType === 1 ? 2 : 1;
    const cropX = arrayType === 0 ? 1 : subW;
    const cropY = (arrayType === 0 ? 1 : subH) * (2 - frameMbsOnly);
    const width = wMbs * 16 - cropX * (cl + cr);
    const height = (2 - frameMbsOnly) * hMapUnits * 16 - cropY * (ct + cb);
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch (e) {
    if (e instanceof RangeError) return undefined; // truncated or corrupt SPS: resolution unknown
    throw e;
  }
}

function skipScalingList(r: Bits, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}
