/**
 * Repairs done at open: truncating a torn tail, and quarantining a damaged segment while
 * keeping its intact records. The salvage is crash-safe: the intact frames go to
 * `<name>.salvage` (fsync), the original is renamed to `<name>.corrupt`, the salvage renamed
 * to `<name>`, the directory fsynced. recovery.ts finishes or discards a half-done salvage.
 */
import { join } from 'node:path';
import { errnoCode, fsyncDir, writeFully } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import { CORRUPT_SUFFIX, SALVAGE_SUFFIX, SEGMENT_HEADER_BYTES } from './segment.ts';

export interface RepairContext {
  readonly fs: SpoolFs;
  readonly dir: string;
  readonly sync: boolean;
  readonly onIoError: (code: string, what: string) => void;
}

/** Cuts the file to `length`; failures are counted (the reader stops at `length` anyway). */
export async function truncateSegment(ctx: RepairContext, name: string, length: number): Promise<void> {
  let fd = -1;
  try {
    fd = await ctx.fs.open(join(ctx.dir, name), 'r+');
    await ctx.fs.ftruncate(fd, length);
    if (ctx.sync) await ctx.fs.fsync(fd);
  } catch (e) {
    ctx.onIoError(errnoCode(e), 'truncation of a torn segment tail');
  } finally {
    if (fd >= 0) await ctx.fs.close(fd).catch((e: unknown) => ctx.onIoError(errnoCode(e), 'close'));
  }
}

/**
 * Rewrites `name` with the header and the intact runs of `buf` ([start, end) pairs), keeping
 * the original as `name.corrupt`. Returns the new size, or -1 when it could not (counted).
 */
export async function salvageSegment(ctx: RepairContext, name: string, buf: Buffer, runs: readonly number[]): Promise<number> {
  const { fs, dir } = ctx;
  const tmp = join(dir, name + SALVAGE_SUFFIX);
  let fd = -1;
  let pos = 0;
  let movedOriginal = false;
  try {
    fd = await fs.open(tmp, 'w', 0o600);
    await writeFully(fs, fd, buf, 0, SEGMENT_HEADER_BYTES, 0);
    pos = SEGMENT_HEADER_BYTES;
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const start = runs[i]!;
      const len = runs[i + 1]! - start;
      await writeFully(fs, fd, buf, start, len, pos);
      pos += len;
    }
    if (ctx.sync) await fs.fsync(fd);
    await fs.close(fd);
    fd = -1;
    await fs.rename(join(dir, name), join(dir, name + CORRUPT_SUFFIX));
    movedOriginal = true;
    await fs.rename(tmp, join(dir, name));
    if (ctx.sync) await fsyncDir(fs, dir);
    return pos;
  } catch (e) {
    ctx.onIoError(errnoCode(e), 'salvage of a damaged segment');
    if (fd >= 0) await fs.close(fd).catch((err: unknown) => ctx.onIoError(errnoCode(err), 'close'));
    if (movedOriginal) {
      await fs.rename(join(dir, name + CORRUPT_SUFFIX), join(dir, name)).catch((err: unknown) => ctx.onIoError(errnoCode(err), 'rename back'));
    }
    await fs.unlink(tmp).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') ctx.onIoError(errnoCode(err), 'unlink of a salvage file');
    });
    return -1;
  }
}
