/**
 * One scan of the configured globs: every matching regular file with its identity (dev:inode).
 * Two names for one inode (hard links, or a rotated name that also matches) count once: the
 * first name in glob order wins.
 */
import fg from 'fast-glob';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface FoundFile {
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface ScanResult {
  readonly files: Map<string, FoundFile>;
  /** Problems that did not stop the scan (unreadable directory, stat failure), one per path. */
  readonly errors: { readonly path: string; readonly message: string }[];
}

export async function scanGlobs(patterns: readonly string[]): Promise<ScanResult> {
  const files = new Map<string, FoundFile>();
  const errors: { path: string; message: string }[] = [];
  let paths: string[];
  try {
    paths = await fg([...patterns], { absolute: true, onlyFiles: true, unique: true, suppressErrors: false });
  } catch (e) {
    errors.push({ path: patterns.join(', '), message: (e as Error).message });
    return { files, errors };
  }
  paths.sort();
  for (const path of paths) {
    try {
      const st = await stat(path, { bigint: true });
      if (!st.isFile()) continue;
      const key = `${st.dev}:${st.ino}`;
      if (!files.has(key)) files.set(key, { path, key, size: Number(st.size), mtimeMs: Number(st.mtimeMs) });
    } catch (e) {
      // Gone between the listing and the stat: a normal race with rotation, not an error.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') errors.push({ path, message: (e as Error).message });
    }
  }
  return { files, errors };
}

/** dev:inode of `path`, or undefined when it does not exist. */
export async function identityOf(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Looks in `dir` for a file with identity `key` (a file renamed while we were not running). Undefined when none. */
export async function findByIdentity(dir: string, key: string, maxEntries = 10_000): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  for (const name of names.slice(0, maxEntries)) {
    const path = join(dir, name);
    if ((await identityOf(path)) === key) return path;
  }
  return undefined;
}
