/**
 * MD5 digests of many byte ranges at once. A caller queues ranges whose 16-byte digest is to be
 * written right after them (how a KPL aggregate ends: body, then the MD5 of the body) and flushes
 * before anyone reads those bytes. The ranges are hashed side by side, eight or four at a time,
 * one per SIMD lane (md5-wasm.ts), longest first so each group holds ranges of similar length
 * (a lane whose range ends early idles until its group ends).
 *
 * node:crypto (OpenSSL) hashes what is left when too few ranges remain to fill enough lanes, and
 * everything where WebAssembly SIMD is missing.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { md5PaddedBytes } from './md5.ts';
import { LAYOUT, md5LanesModule } from './md5-wasm.ts';

const MD5_BYTES = 16;
const PAGE = 65536;
const IV = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476] as const;

/** The slice of the WebAssembly JS API used here (Node's own type declarations leave it out). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

interface Engine {
  readonly memory: WasmMemory;
  readonly x4: (maxBlocks: number) => void;
  readonly x8: (maxBlocks: number) => void;
}

/** Why the SIMD engine is not in use (undefined while it is, or before the first batch). */
let unavailable: string | undefined;

function loadEngine(): Engine | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) {
    unavailable = 'no WebAssembly in this runtime';
    return undefined;
  }
  try {
    const exports = new wasm.Instance(new wasm.Module(md5LanesModule()), {}).exports as {
      memory: WasmMemory;
      md5x4: (maxBlocks: number) => void;
      md5x8: (maxBlocks: number) => void;
    };
    return { memory: exports.memory, x4: exports.md5x4, x8: exports.md5x8 };
  } catch (err) {
    // A runtime without WebAssembly SIMD: node:crypto computes every digest (md5LanesStatus says why).
    unavailable = `WebAssembly SIMD module refused: ${err instanceof Error ? err.message : String(err)}`;
    return undefined;
  }
}

/** Whether digests run in SIMD lanes here, and if not why (node:crypto then computes them all). */
export function md5LanesStatus(): { readonly lanes: boolean; readonly reason?: string } {
  const e = getEngine();
  return e === undefined ? { lanes: false, reason: unavailable ?? 'unknown' } : { lanes: true };
}

let engine: Engine | undefined | null = null;

/** The shared engine (built on first use), or undefined where WebAssembly SIMD is missing. */
function getEngine(): Engine | undefined {
  if (engine === null) engine = loadEngine();
  return engine;
}

/** Lanes to hash together when `remaining` ranges are left: 8, 4, or 1 (node:crypto). */
export function lanesFor(remaining: number): 8 | 4 | 1 {
  // Kernel rates on the EPYC test host, 51,200-byte messages: 8 lanes ~1,240 MB/s, 4 lanes
  // ~1,100 MB/s, OpenSSL ~690 MB/s; so one 8-lane call costs ~4.5 OpenSSL digests and a 4-lane
  // call ~2.5: 8 lanes pay from 6 ranges, 4 lanes from 3 (with 5: 4 lanes, then one OpenSSL).
  if (remaining >= 6) return 8;
  if (remaining >= 3) return 4;
  return 1;
}

/** `crypto.hash` (Node >= 20.12): one-shot, cheaper than a Hash object; absent on older Node 20. */
const oneShotHash: typeof nodeCrypto.hash | undefined = (nodeCrypto as Partial<typeof nodeCrypto>).hash;

/** Writes the MD5 of `buf[start, end)` at `end` through node:crypto; the digest comes as a latin1 string (no Buffer per digest). */
export function writeMd5(buf: Uint8Array, start: number, end: number): void {
  const body = buf.subarray(start, end);
  if (oneShotHash === undefined) {
    buf.set(createHash('md5').update(body).digest(), end);
    return;
  }
  const digest = oneShotHash('md5', body, 'binary');
  for (let i = 0; i < MD5_BYTES; i++) buf[end + i] = digest.charCodeAt(i);
}

/**
 * Ranges waiting for their MD5. `add(buf, start, end)` promises the digest of `buf[start, end)` at
 * `buf[end, end + 16)` once `flush()` returns; the caller changes none of those bytes meanwhile.
 */
export class Md5Batch {
  private readonly bufs: Uint8Array[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly order: number[] = [];

  /** Ranges queued. */
  get size(): number {
    return this.bufs.length;
  }

  add(buf: Uint8Array, start: number, end: number): void {
    if (!(start >= 0 && start <= end && end + MD5_BYTES <= buf.length)) {
      throw new RangeError(`Md5Batch.add: range [${start}, ${end}) and its digest do not fit a buffer of ${buf.length} bytes`);
    }
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
  }

  /** Computes and writes every queued digest; the batch is then empty. */
  flush(): void {
    const n = this.bufs.length;
    if (n === 0) return;
    const e = lanesFor(n) > 1 ? getEngine() : undefined;
    const { order, starts, ends } = this;
    order.length = 0;
    for (let i = 0; i < n; i++) order.push(i);
    if (e !== undefined) order.sort((x, y) => (ends[y] as number) - (starts[y] as number) - ((ends[x] as number) - (starts[x] as number)));
    let k = 0;
    while (k < n) {
      const lanes = e === undefined ? 1 : lanesFor(n - k);
      if (lanes === 1) {
        const i = order[k] as number;
        writeMd5(this.bufs[i] as Uint8Array, starts[i] as number, ends[i] as number);
        k++;
      } else {
        const used = Math.min(lanes, n - k);
        this.hashLanes(e as Engine, lanes, k, used);
        k += used;
      }
    }
    this.bufs.length = 0;
    starts.length = 0;
    ends.length = 0;
  }

  /** Hashes ranges order[k, k + used) in one call of the `lanes`-lane kernel; lanes beyond `used` are idle. */
  private hashLanes(e: Engine, lanes: 8 | 4, k: number, used: number): void {
    const { order, bufs, starts, ends } = this;
    let need = LAYOUT.messages;
    for (let j = 0; j < used; j++) {
      const i = order[k + j] as number;
      need += md5PaddedBytes((ends[i] as number) - (starts[i] as number));
    }
    const have = e.memory.buffer.byteLength;
    if (have < need) e.memory.grow(Math.ceil((need - have) / PAGE));
    const mem = new Uint8Array(e.memory.buffer);
    const words = new Int32Array(e.memory.buffer);
    let at = LAYOUT.messages;
    let maxBlocks = 0;
    for (let j = 0; j < lanes; j++) {
      words[(LAYOUT.addresses >> 2) + j] = at;
      if (j >= used) {
        words[(LAYOUT.blocks >> 2) + j] = 0;
        continue;
      }
      const i = order[k + j] as number;
      const start = starts[i] as number;
      const len = (ends[i] as number) - start;
      const padded = md5PaddedBytes(len);
      mem.set((bufs[i] as Uint8Array).subarray(start, start + len), at);
      // Padding: 0x80, zeros, then the length in bits as a 64-bit little-endian integer.
      mem[at + len] = 0x80;
      mem.fill(0, at + len + 1, at + padded - 8);
      words[(at + padded - 8) >> 2] = len << 3;
      words[(at + padded - 4) >> 2] = Math.floor(len / 2 ** 29);
      const blocks = padded >>> 6;
      words[(LAYOUT.blocks >> 2) + j] = blocks;
      if (blocks > maxBlocks) maxBlocks = blocks;
      at += padded;
    }
    for (let g = 0; g < lanes >> 2; g++) {
      for (let w = 0; w < 4; w++) words.fill(IV[w] as number, (LAYOUT.state >> 2) + 16 * g + 4 * w, (LAYOUT.state >> 2) + 16 * g + 4 * w + 4);
    }
    if (lanes === 8) e.x8(maxBlocks);
    else e.x4(maxBlocks);
    for (let j = 0; j < used; j++) {
      const i = order[k + j] as number;
      const out = bufs[i] as Uint8Array;
      const end = ends[i] as number;
      const base = (LAYOUT.state >> 2) + 16 * (j >> 2) + (j & 3);
      for (let w = 0; w < 4; w++) {
        const word = words[base + 4 * w] as number;
        out[end + 4 * w] = word & 0xff;
        out[end + 4 * w + 1] = (word >>> 8) & 0xff;
        out[end + 4 * w + 2] = (word >>> 16) & 0xff;
        out[end + 4 * w + 3] = word >>> 24;
      }
    }
  }
}
