/**
 * Small JSON state files (file-source checkpoints, video-source state) written atomically:
 * write a temp file beside the target, fsync it, rename it over the target. A crash leaves either
 * the old or the new content, never a mix. The directory itself is not fsynced: after a power loss
 * the rename may be undone, which brings back the previous state (more re-delivery, never loss).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ShardwiseError } from '../../core/errors.ts';

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(value));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    throw new ShardwiseError('E_CHECKPOINT', `cannot write ${path}: ${(e as Error).message}`, { retryable: true, cause: e });
  }
}

/** Parsed JSON content of `path`, or undefined when the file does not exist. */
export async function readJsonIfExists(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ShardwiseError('E_CHECKPOINT', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ShardwiseError(
      'E_CHECKPOINT',
      `${path} is not valid JSON (${(e as Error).message}); fix or delete it (deleting restarts per startAt / re-reports segments)`,
      { cause: e },
    );
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
