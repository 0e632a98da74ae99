/**
 * Replay: reads segments oldest first through one bounded read-ahead buffer and hands out
 * frames with id ≥ nextId (lower ids were handed out before, or acknowledged before a
 * restart). Damage met here (verify=tail, or rot after open) is skipped and counted: the
 * reader resynchronises on the next intact frame in its window, else skips the segment's rest.
 * A record whose key definition was lost to such damage (format version 2) is skipped and
 * counted the same way. Frames below nextId are walked, not decoded, for their key definitions.
 */
import { join } from 'node:path';
import { findNextFrame } from './frame-scan.ts';
import { errnoCode, readFully } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import { KeyTable, MAX_FRAME_BYTES } from './frame-codec.ts';
import type { FrameCodec } from './frame-codec.ts';
import { codecFor, codecV2 } from './record-codec.ts';
import { SEGMENT_HEADER_BYTES } from './segment.ts';
import type { SegmentMeta } from './segment.ts';
import type { SegmentSet } from './segment-set.ts';
import type { SpoolItem } from './spool.ts';

export interface ReaderHooks {
  /** Records (known or estimated) and bytes skipped as damaged. */
  corrupt(records: number, bytes: number): void;
  ioError(code: string, what: string): void;
}

export class SegmentReader {
  private seg: SegmentMeta | undefined;
  private fd = -1;
  private buf: Buffer;
  /** File offset of buf[0]. */
  private bufStart = SEGMENT_HEADER_BYTES;
  private bufLen = 0;
  private pos = 0;
  private lastDelta = -1;
  private codec: FrameCodec = codecV2;
  private readonly keys = new KeyTable();

  constructor(
    private readonly fs: SpoolFs,
    private readonly dir: string,
    private readonly set: SegmentSet,
    chunkBytes: number,
    /** Next id to hand out: everything below was handed out, acknowledged or dropped. */
    public nextId: number,
    private readonly hooks: ReaderHooks,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Whether segments hold ids not yet handed out. */
  hasUnread(): boolean {
    for (const s of this.set.list) {
      if (s.lastId < this.nextId) continue;
      if (s !== this.seg || this.bufStart + this.pos < s.bytes) return true;
    }
    return false;
  }

  /** Moves past ids below `id` (dropped records). */
  skipTo(id: number): void {
    if (id > this.nextId) this.nextId = id;
  }

  async readInto(out: SpoolItem[], max: number): Promise<void> {
    while (out.length < max) {
      const seg = this.seg;
      if (seg === undefined || seg.deleted) {
        if (!(await this.enter(this.firstRelevant()))) return;
        continue;
      }
      const end = Math.min(this.bufLen, seg.bytes - this.bufStart);
      if (this.pos >= end) {
        if (this.bufStart + this.pos >= seg.bytes) {
          if (!seg.sealed) return;
          const next = this.set.after(seg);
          if (next === undefined) return;
          await this.enter(next);
        } else await this.fill();
        continue;
      }
      const codec = this.codec;
      const len = codec.check(this.buf, this.pos, end);
      if (len === -1) {
        if (this.bufStart + end < seg.bytes) await this.fill();
        else this.skipRest(seg);
        continue;
      }
      const delta = len >= 0 ? codec.seqDelta(this.buf, this.pos) : -1;
      if (len === -2 || delta <= this.lastDelta) {
        this.resync(seg, end);
        continue;
      }
      const id = seg.baseId + delta;
      if (id >= this.nextId) {
        const item = codec.decode(this.buf, this.pos, len, seg.baseId, seg.timeBase, this.keys);
        if (item !== undefined) out.push(item);
        else this.hooks.corrupt(1, len);
        this.nextId = id + 1;
      } else codec.learn(this.buf, this.pos, this.keys);
      this.lastDelta = delta;
      this.pos += len;
    }
  }

  async close(): Promise<void> {
    await this.closeFd();
    this.seg = undefined;
  }

  private firstRelevant(): SegmentMeta | undefined {
    for (const s of this.set.list) if (s.lastId >= this.nextId || !s.sealed) return s;
    return undefined;
  }

  private async enter(seg: SegmentMeta | undefined): Promise<boolean> {
    await this.closeFd();
    this.seg = seg;
    this.bufStart = SEGMENT_HEADER_BYTES;
    this.bufLen = 0;
    this.pos = 0;
    this.lastDelta = -1;
    this.keys.clear();
    if (seg === undefined) return false;
    this.codec = codecFor(seg.version) ?? codecV2;
    if (seg.lastId < this.nextId && seg.sealed) this.bufStart = seg.bytes;
    return true;
  }

  /** Keeps the unparsed bytes and reads more. */
  private async fill(): Promise<void> {
    const seg = this.seg!;
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.bufLen);
      this.bufStart += this.pos;
      this.bufLen -= this.pos;
      this.pos = 0;
    }
    if (this.bufLen >= 4) {
      const declared = this.codec.declared(this.buf, 0, this.bufLen);
      if (declared > this.buf.length && declared <= MAX_FRAME_BYTES) {
        const bigger = Buffer.allocUnsafe(declared);
        this.buf.copy(bigger, 0, 0, this.bufLen);
        this.buf = bigger;
      }
    }
    try {
      if (this.fd < 0) this.fd = await this.fs.open(join(this.dir, seg.name), 'r');
      const want = Math.min(this.buf.length - this.bufLen, seg.bytes - this.bufStart - this.bufLen);
      const n = await readFully(this.fs, this.fd, this.buf, this.bufLen, want, this.bufStart + this.bufLen);
      this.bufLen += n;
      if (n < want) this.skipRest(seg);
    } catch (e) {
      // Unreadable (gone, or a bad sector): skip the rest of the segment, counted, rather than
      // failing every read() after this one.
      this.hooks.ioError(errnoCode(e), 'segment read');
      this.skipRest(seg);
      await this.closeFd();
    }
  }

  private resync(seg: SegmentMeta, end: number): void {
    const q = findNextFrame(this.codec, this.buf, this.pos + 1, end, this.lastDelta);
    if (q < 0) {
      this.skipRest(seg);
      return;
    }
    this.hooks.corrupt(this.codec.seqDelta(this.buf, q) - this.lastDelta - 1, q - this.pos);
    this.pos = q;
  }

  /** Gives up on the rest of the segment (damaged or unreadable), counting an estimate. */
  private skipRest(seg: SegmentMeta): void {
    const at = this.bufStart + this.pos;
    const firstMissing = Math.max(seg.baseId + this.lastDelta + 1, this.nextId);
    this.hooks.corrupt(Math.max(0, seg.lastId - firstMissing + 1), Math.max(0, seg.bytes - at));
    this.bufStart = seg.bytes;
    this.bufLen = 0;
    this.pos = 0;
    if (seg.lastId >= this.nextId) this.nextId = seg.lastId + 1;
  }

  private async closeFd(): Promise<void> {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    await this.fs.close(fd).catch((e: unknown) => this.hooks.ioError(errnoCode(e), 'close'));
  }
}
