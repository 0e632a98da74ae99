/**
 * The filesystem calls the spool makes, behind an interface so tests can inject faults
 * (ENOSPC, EROFS, EIO) without a special filesystem. `nodeSpoolFs` is the real one.
 */
import * as fs from 'node:fs';
import { ShardwiseError } from '../core/errors.ts';

export interface SpoolFs {
  open(path: string, flags: string, mode?: number): Promise<number>;
  close(fd: number): Promise<void>;
  read(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  /** May write fewer bytes than asked (see writeFully). */
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, len: number): Promise<void>;
  fileSize(path: string): Promise<number>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** Creates the directory (and parents) with `mode` if missing, then sets `mode` on it. */
  ensureDir(dir: string, mode: number): Promise<void>;
}

function cb<T>(run: (done: (err: NodeJS.ErrnoException | null, v?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((err, v) => (err ? reject(err) : resolve(v as T)));
  });
}

export const nodeSpoolFs: SpoolFs = {
  open: (path, flags, mode) => cb<number>((d) => fs.open(path, flags, mode, d)),
  close: (fd) => cb<void>((d) => fs.close(fd, d)),
  read: (fd, buf, off, len, pos) => cb<number>((d) => fs.read(fd, buf, off, len, pos, d)),
  write: (fd, buf, off, len, pos) => cb<number>((d) => fs.write(fd, buf, off, len, pos, d)),
  fsync: (fd) => cb<void>((d) => fs.fsync(fd, d)),
  ftruncate: (fd, len) => cb<void>((d) => fs.ftruncate(fd, len, d)),
  fileSize: async (path) => (await fs.promises.stat(path)).size,
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (path) => fs.promises.unlink(path),
  readdir: (dir) => fs.promises.readdir(dir),
  ensureDir: async (dir, mode) => {
    await fs.promises.mkdir(dir, { recursive: true, mode });
    await fs.promises.chmod(dir, mode);
  },
};

/** Loops over short writes; throws what the filesystem threw. */
export async function writeFully(f: SpoolFs, fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<void> {
  let done = 0;
  while (done < len) {
    const n = await f.write(fd, buf, off + done, len - done, pos + done);
    if (n <= 0) throw ioError('EIO', 'write returned 0 bytes');
    done += n;
  }
}

/** Reads up to `len` bytes, looping over short reads; returns the count (less only at end of file). */
export async function readFully(f: SpoolFs, fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
  let done = 0;
  while (done < len) {
    const n = await f.read(fd, buf, off + done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Makes a directory entry change (create, rename, unlink) durable. */
export async function fsyncDir(f: SpoolFs, dir: string): Promise<void> {
  const fd = await f.open(dir, 'r');
  try {
    await f.fsync(fd);
  } finally {
    await f.close(fd);
  }
}

/** The errno code of a filesystem error ("ENOSPC", ...), or "EUNKNOWN". */
export function errnoCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return 'EUNKNOWN';
}

/** An errno-style error, for fault injection and internal checks. */
export function ioError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

/** Wraps a filesystem error that the spool cannot survive (at open) in a typed error. */
export function spoolIoError(what: string, cause: unknown): ShardwiseError {
  return new ShardwiseError('E_SPOOL_IO', `spool: ${what}: ${errnoCode(cause)}`, { retryable: true, cause });
}
