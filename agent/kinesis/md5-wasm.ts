/**
 * The WebAssembly module behind `md5-batch.ts`: MD5 (RFC 1321) of four or eight messages at once,
 * one per 32-bit lane of 128-bit SIMD vectors. MD5 is one chain of dependent steps, so a single
 * message leaves a CPU's vector units idle; independent messages side by side do not, and each
 * then costs a fraction of a scalar MD5 (OpenSSL's included). The MD5 of each aggregate is most of
 * what encoding aggregated records costs.
 *
 * The module is emitted here, byte by byte, from the MD5 definition (no build step, no binary in
 * the repository): the 64 steps are unrolled, every lane runs the same instructions, and a lane
 * whose message has no block left is masked so its state stays as it was. `md5x8` runs two groups
 * of four lanes with their steps interleaved, so one group's dependency chain overlaps the other's.
 *
 * Memory layout (shared with md5-batch.ts):
 *   [0, 32)       the lanes' message addresses (i32 each)
 *   [32, 64)      the lanes' block counts (i32 each)
 *   [64, 192)     state: for group g (lanes 4g ... 4g+3), vectors A, B, C, D at 64 + 64g + 16k;
 *                 lane i of a vector holds that word of the group's message i
 *   [192, 256)    a block of zeros, read by lanes without a block left
 *   [256, 272)    all ones (data segment)
 *   [320, 1344)   the 64 step constants, each in all four lanes (data segment)
 *   [1344, ...)     the padded messages
 * `md5x4(maxBlocks)` and `md5x8(maxBlocks)` run `maxBlocks` blocks over lanes 0-3 and 0-7.
 */

export const LAYOUT = { addresses: 0, blocks: 32, state: 64, zeroBlock: 192, ones: 256, constants: 320, messages: 1344 } as const;

// Value types
const I32 = 0x7f;
const V128 = 0x7b;

// Scalar opcodes
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const SELECT = 0x1b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD = 0x28;
const I32_CONST = 0x41;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const VOID = 0x40;

// SIMD opcodes (prefix 0xfd, then the opcode as an unsigned LEB128)
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const I8X16_SHUFFLE = 0x0d;
const I32X4_SPLAT = 0x11;
const I32X4_GT_S = 0x3b;
const V128_OR = 0x50;
const V128_XOR = 0x51;
const V128_BITSELECT = 0x52;
const I32X4_SHL = 0xab;
const I32X4_SHR_U = 0xad;
const I32X4_ADD = 0xae;

/** Per-step left rotations, by round. */
const SHIFTS = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
] as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A WebAssembly section: its id, then its contents with their length. */
function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** The 64 additive constants: floor(|sin(i + 1)| x 2^32). */
function md5Constants(): number[] {
  return Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
}

/** Index of the message word step `i` adds. */
function messageIndex(i: number): number {
  const round = i >> 4;
  if (round === 0) return i;
  if (round === 1) return (5 * i + 1) & 15;
  if (round === 2) return (3 * i + 5) & 15;
  return (7 * i) & 15;
}

/** Emits the function body's instructions. */
class Code {
  readonly bytes: number[] = [];

  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  simd(opcode: number, ...imm: number[]): this {
    return this.op(SIMD, ...uleb(opcode), ...imm);
  }
  get(local: number): this {
    return this.op(LOCAL_GET, ...uleb(local));
  }
  set(local: number): this {
    return this.op(LOCAL_SET, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(LOCAL_TEE, ...uleb(local));
  }
  i32(value: number): this {
    return this.op(I32_CONST, ...sleb(value | 0));
  }
  /** Loads an i32 at the constant address `addr`. */
  loadI32(addr: number): this {
    return this.i32(0).op(I32_LOAD, 2, ...uleb(addr));
  }
  /** v128.load from the address on the stack plus `offset`. */
  loadV(offset: number): this {
    return this.simd(V128_LOAD, 0, ...uleb(offset));
  }
  storeV(offset: number): this {
    return this.simd(V128_STORE, 0, ...uleb(offset));
  }
  /** i8x16.shuffle selecting 32-bit lanes (0-3 from the first operand, 4-7 from the second). */
  shuffle32(lanes: readonly [number, number, number, number]): this {
    const bytes: number[] = [];
    for (const lane of lanes) for (let k = 0; k < 4; k++) bytes.push(lane * 4 + k);
    return this.simd(I8X16_SHUFFLE, ...bytes);
  }
}

/**
 * The body of a function hashing `groups` x 4 messages: each group of four lanes has its own
 * state vectors, and the groups' steps are interleaved, so the CPU overlaps one group's dependency
 * chain with the other's.
 */
function hashFunction(groups: number): number[] {
  const lanes = 4 * groups;
  // Locals: parameter 0 is maxBlocks; then i32 locals, then v128 locals.
  const MAX_BLOCKS = 0;
  const BLOCK_NO = 1;
  const OFFSET = 2;
  const addr = Array.from({ length: lanes }, (_, i) => 3 + i);
  const i32Locals = 2 + lanes;
  let next = 1 + i32Locals;
  const v = (): number => next++;
  const vs = (n: number): number[] => Array.from({ length: n }, v);
  const tmp = v();
  const ones = v();
  const t = vs(4);
  const lane = vs(4);
  const nvec = vs(groups);
  const mask = vs(groups);
  const state = Array.from({ length: groups }, () => vs(4));
  const saved = Array.from({ length: groups }, () => vs(4));
  const m = Array.from({ length: groups }, () => vs(16));
  const v128Locals = next - 1 - i32Locals;
  const at = <T>(xs: readonly T[], i: number): T => xs[i] as T;

  const c = new Code();
  c.i32(0).loadV(LAYOUT.ones).set(ones);
  for (let g = 0; g < groups; g++) {
    c.i32(0).loadV(LAYOUT.blocks + 16 * g).set(at(nvec, g));
    for (let k = 0; k < 4; k++) c.i32(0).loadV(LAYOUT.state + 64 * g + 16 * k).set(at(at(state, g), k));
  }
  c.i32(0).set(BLOCK_NO);
  c.op(BLOCK, VOID, LOOP, VOID);
  // while (block < maxBlocks)
  c.get(BLOCK_NO).get(MAX_BLOCKS).op(I32_GE_U, BR_IF, 1);
  c.get(BLOCK_NO).i32(6).op(I32_SHL).set(OFFSET);
  for (let g = 0; g < groups; g++) {
    // mask: lanes whose message still has this block
    c.get(at(nvec, g)).get(BLOCK_NO).simd(I32X4_SPLAT).simd(I32X4_GT_S).set(at(mask, g));
  }
  for (let i = 0; i < lanes; i++) {
    // address = block < blocks[i] ? addresses[i] + offset : zeroBlock
    c.loadI32(LAYOUT.addresses + 4 * i).get(OFFSET).op(I32_ADD).i32(LAYOUT.zeroBlock);
    c.get(BLOCK_NO).loadI32(LAYOUT.blocks + 4 * i).op(I32_LT_U, SELECT).set(at(addr, i));
  }
  // Load 16 bytes of each lane's block at a time and transpose, so vector m[g][w] holds word w of group g's four lanes.
  for (let g = 0; g < groups; g++) {
    const mg = at(m, g);
    for (let q = 0; q < 4; q++) {
      for (let i = 0; i < 4; i++) c.get(at(addr, 4 * g + i)).loadV(16 * q).set(at(lane, i));
      c.get(at(lane, 0)).get(at(lane, 1)).shuffle32([0, 4, 1, 5]).set(at(t, 0));
      c.get(at(lane, 2)).get(at(lane, 3)).shuffle32([0, 4, 1, 5]).set(at(t, 1));
      c.get(at(lane, 0)).get(at(lane, 1)).shuffle32([2, 6, 3, 7]).set(at(t, 2));
      c.get(at(lane, 2)).get(at(lane, 3)).shuffle32([2, 6, 3, 7]).set(at(t, 3));
      c.get(at(t, 0)).get(at(t, 1)).shuffle32([0, 1, 4, 5]).set(at(mg, 4 * q));
      c.get(at(t, 0)).get(at(t, 1)).shuffle32([2, 3, 6, 7]).set(at(mg, 4 * q + 1));
      c.get(at(t, 2)).get(at(t, 3)).shuffle32([0, 1, 4, 5]).set(at(mg, 4 * q + 2));
      c.get(at(t, 2)).get(at(t, 3)).shuffle32([2, 3, 6, 7]).set(at(mg, 4 * q + 3));
    }
    for (let k = 0; k < 4; k++) c.get(at(at(state, g), k)).set(at(at(saved, g), k));
  }
  // a, b, c, d rotate through the state locals: step i writes the one that was `a`.
  const regs = state.map((s) => [...s]);
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    const s = (SHIFTS[round] as readonly number[])[i & 3] as number;
    for (let g = 0; g < groups; g++) {
      const [a, b, cc, d] = at(regs, g) as [number, number, number, number];
      // (a + m + K) + f(b, c, d): the sum that does not wait for b comes first, so each step's
      // dependency chain on the step before is f, one add, the rotation and the add of b.
      c.get(a).get(at(at(m, g), messageIndex(i))).simd(I32X4_ADD).i32(0).loadV(LAYOUT.constants + 16 * i).simd(I32X4_ADD);
      if (round === 0) c.get(cc).get(d).get(b).simd(V128_BITSELECT); // (b & c) | (~b & d)
      else if (round === 1) c.get(b).get(cc).get(d).simd(V128_BITSELECT); // (d & b) | (~d & c)
      else if (round === 2) c.get(cc).get(d).simd(V128_XOR).get(b).simd(V128_XOR); // b ^ c ^ d
      else c.get(cc).get(d).get(ones).simd(V128_XOR).get(b).simd(V128_OR).simd(V128_XOR); // c ^ (b | ~d)
      c.simd(I32X4_ADD);
      // b + rotl(that, s)
      c.tee(tmp).i32(s).simd(I32X4_SHL).get(tmp).i32(32 - s).simd(I32X4_SHR_U).simd(V128_OR);
      c.get(b).simd(I32X4_ADD).set(a);
      regs[g] = [d, a, b, cc];
    }
  }
  // state += saved, in active lanes only
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < 4; k++) {
      const st = at(at(state, g), k);
      const sv = at(at(saved, g), k);
      c.get(st).get(sv).simd(I32X4_ADD).get(sv).get(at(mask, g)).simd(V128_BITSELECT).set(st);
    }
  }
  c.get(BLOCK_NO).i32(1).op(I32_ADD).set(BLOCK_NO).op(BR, 0, END, END);
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < 4; k++) c.i32(0).get(at(at(state, g), k)).storeV(LAYOUT.state + 64 * g + 16 * k);
  }
  c.op(END);
  const locals = [2, ...uleb(i32Locals), I32, ...uleb(v128Locals), V128];
  const body = [...locals, ...c.bytes];
  return [...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** The module's bytes: functions `md5x4` and `md5x8` (lanes 0-3, and 0-7), the memory, and the constants. */
export function md5LanesModule(): Uint8Array {
  // Data: all ones at `ones`, zeros up to `constants`, then each constant four times.
  const data: number[] = new Array<number>(LAYOUT.constants - LAYOUT.ones).fill(0).fill(0xff, 0, 16);
  for (const k of md5Constants()) for (let lane = 0; lane < 4; lane++) for (let b = 0; b < 4; b++) data.push((k >>> (8 * b)) & 0xff);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, I32, 0]), // type 0: (i32) -> ()
    ...section(3, [2, 0, 0]), // functions 0 and 1: type 0
    ...section(5, [1, 0x00, 1]), // memory 0: at least 1 page, no maximum
    ...section(7, [3, ...name('md5x4'), 0x00, 0, ...name('md5x8'), 0x00, 1, ...name('memory'), 0x02, 0]),
    ...section(10, [2, ...hashFunction(1), ...hashFunction(2)]),
    ...section(11, [1, 0x00, I32_CONST, ...sleb(LAYOUT.ones), END, ...uleb(data.length), ...data]),
  ]);
}
