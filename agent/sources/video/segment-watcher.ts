/**
 * Finds segment files and decides when one is finished.
 *
 * A segment is finished when its size and mtime did not change between two scans (at least one
 * poll apart) AND either
 *  - it appeared complete: at first sight it already had data and showed that it was written
 *    before it appeared under this name — ctime > mtime (a rename or link changes ctime, not
 *    mtime), or mtime older than the previous scan by RENAME_SLACK_MS although it was not there
 *    at that scan (moved in from elsewhere); or
 *  - its size and mtime stayed the same for stableForMs (a file written in place).
 * A camera that writes `x.tmp` and renames it right after its last write may leave ctime equal to
 * mtime (coarse file-system clocks): such a segment falls back to the stableForMs rule. Hidden
 * files (leading dot) are ignored, so `.x.mp4` temp names are never picked up.
 */
import fg from 'fast-glob';
import { stat } from 'node:fs/promises';

/** Tolerance for file-system timestamp granularity (FAT: 2 s) in the "moved in" rule. */
export const RENAME_SLACK_MS = 2000;

export interface SegmentFile {
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly mtimeMs: number;
}

export interface SegmentScan {
  readonly files: SegmentFile[];
  readonly errors: { readonly path: string; readonly message: string }[];
}

export async function scanSegments(dir: string, patterns: readonly string[], recursive: boolean): Promise<SegmentScan> {
  const files: SegmentFile[] = [];
  const errors: { path: string; message: string }[] = [];
  let paths: string[];
  try {
    paths = await fg([...patterns], {
      cwd: dir,
      absolute: true,
      onlyFiles: true,
      deep: recursive ? Infinity : 1,
      baseNameMatch: true,
      caseSensitiveMatch: false,
      suppressErrors: false,
    });
  } catch (e) {
    errors.push({ path: dir, message: (e as Error).message });
    return { files, errors };
  }
  for (const path of paths) {
    try {
      const st = await stat(path, { bigint: true });
      if (!st.isFile()) continue;
      files.push({
        path,
        key: `${st.dev}:${st.ino}`,
        size: Number(st.size),
        mtimeNs: st.mtimeNs,
        ctimeNs: st.ctimeNs,
        mtimeMs: Number(st.mtimeMs),
      });
    } catch (e) {
      // Gone between the listing and the stat (moved away, deleted by retention): not an error.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') errors.push({ path, message: (e as Error).message });
    }
  }
  return { files, errors };
}

interface Observation {
  size: number;
  mtimeNs: bigint;
  /** Monotonic ms of the scan that last saw a change (or first saw the file). */
  lastChange: number;
  appearedComplete: boolean;
}

export class SegmentWatcher {
  private readonly stableForMs: number;
  private readonly seen = new Map<string, Observation>();

  constructor(stableForMs: number) {
    this.stableForMs = stableForMs;
  }

  get watching(): number {
    return this.seen.size;
  }

  /**
   * Records one scan of unprocessed files and returns those that count as finished.
   * `now` is monotonic ms; `prevScanWall` the wall-clock ms at which the previous scan started.
   */
  update(files: readonly SegmentFile[], now: number, prevScanWall: number | undefined): SegmentFile[] {
    const ready: SegmentFile[] = [];
    for (const f of files) {
      const o = this.seen.get(f.key);
      if (o === undefined) {
        const movedIn = prevScanWall !== undefined && f.mtimeMs < prevScanWall - RENAME_SLACK_MS;
        const appearedComplete = f.size > 0 && (f.ctimeNs > f.mtimeNs || movedIn);
        this.seen.set(f.key, { size: f.size, mtimeNs: f.mtimeNs, lastChange: now, appearedComplete });
      } else if (o.size !== f.size || o.mtimeNs !== f.mtimeNs) {
        o.size = f.size;
        o.mtimeNs = f.mtimeNs;
        o.lastChange = now;
        o.appearedComplete = false;
      } else if (o.appearedComplete || now - o.lastChange >= this.stableForMs) {
        ready.push(f);
      }
    }
    return ready;
  }

  /** The file changed while it was being read: start waiting for stability again. */
  changed(key: string, now: number): void {
    const o = this.seen.get(key);
    if (o === undefined) return;
    o.lastChange = now;
    o.appearedComplete = false;
    o.size = -1;
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  /** Drops observations of files no longer listed. */
  retain(present: ReadonlySet<string>): void {
    for (const key of [...this.seen.keys()]) if (!present.has(key)) this.seen.delete(key);
  }
}
