/**
 * The segments on disk, oldest first, with their total size. Segments leave from the front
 * only (fully acknowledged, or dropped by onFull=drop-oldest); files are unlinked in the
 * background, one at a time.
 */
import { join } from 'node:path';
import { errnoCode } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import type { SegmentMeta } from './segment.ts';

export class SegmentSet {
  readonly list: SegmentMeta[] = [];
  diskBytes = 0;
  private readonly unlinkQueue: string[] = [];
  private unlinking: Promise<void> | undefined;

  constructor(
    private readonly fs: SpoolFs,
    private readonly dir: string,
    private readonly onIoError: (code: string, what: string) => void,
  ) {}

  add(meta: SegmentMeta): void {
    this.list.push(meta);
    this.diskBytes += meta.bytes;
  }

  /** The writer appended `n` bytes to `meta` (already added to meta.bytes). */
  grew(n: number): void {
    this.diskBytes += n;
  }

  /** The writer cut a segment short after a failed write (meta.bytes already lowered). */
  shrank(n: number): void {
    this.diskBytes -= n;
  }

  /** Oldest segment if it is sealed (never the one being written). */
  oldestSealed(): SegmentMeta | undefined {
    const s = this.list[0];
    return s !== undefined && s.sealed ? s : undefined;
  }

  /** The segment after `meta`, or the first when `meta` is undefined or gone. */
  after(meta: SegmentMeta | undefined): SegmentMeta | undefined {
    if (meta === undefined || meta.deleted) return this.list[0];
    const i = this.list.indexOf(meta);
    return i < 0 ? this.list[0] : this.list[i + 1];
  }

  /** Removes the oldest segment (it must be sealed) and unlinks its file in the background. */
  removeOldest(): SegmentMeta | undefined {
    const s = this.oldestSealed();
    if (s === undefined) return undefined;
    this.list.shift();
    s.deleted = true;
    this.diskBytes -= s.bytes;
    this.unlinkQueue.push(s.name);
    this.unlinking ??= this.unlinkLoop();
    return s;
  }

  /** Removes sealed segments whose every id is below the low-water mark; returns how many. */
  removeAcked(lowWaterMark: number): number {
    let n = 0;
    for (let s = this.oldestSealed(); s !== undefined && s.lastId < lowWaterMark; s = this.oldestSealed()) {
      this.removeOldest();
      n++;
    }
    return n;
  }

  /** Resolves once every removed segment's file is unlinked (or the unlink failed and was counted). */
  async settled(): Promise<void> {
    while (this.unlinking !== undefined) await this.unlinking;
  }

  private async unlinkLoop(): Promise<void> {
    await null; // `unlinking` is assigned before the body runs
    for (let name = this.unlinkQueue.shift(); name !== undefined; name = this.unlinkQueue.shift()) {
      try {
        await this.fs.unlink(join(this.dir, name));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') this.onIoError(errnoCode(e), 'unlink of a segment');
      }
    }
    this.unlinking = undefined;
  }
}
