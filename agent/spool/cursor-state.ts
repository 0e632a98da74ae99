/**
 * The persisted low-water mark (every id below it was accepted by Kinesis), replaced
 * atomically: write `cursor.tmp`, fsync it, rename over `cursor`, fsync the directory.
 * Format (20 bytes, LE): "SWCU" | u16 version | u16 0 | u64 low-water mark | u32 crc32c(0..15).
 */
import { join } from 'node:path';
import { crc32c } from './crc32c.ts';
import { errnoCode, fsyncDir, readFully, writeFully } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';

export const CURSOR_FILE = 'cursor';
export const CURSOR_TMP_FILE = 'cursor.tmp';
const MAGIC = 0x55435753; // "SWCU"
const VERSION = 1;
export const CURSOR_BYTES = 20;

export type CursorLoad =
  | { readonly status: 'ok'; readonly lowWaterMark: number }
  | { readonly status: 'missing' | 'corrupt'; readonly lowWaterMark: 0 };

export function encodeCursor(lowWaterMark: number): Buffer {
  const b = Buffer.alloc(CURSOR_BYTES);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeBigUInt64LE(BigInt(lowWaterMark), 8);
  b.writeUInt32LE(crc32c(b, 0, 16), 16);
  return b;
}

export async function loadCursor(f: SpoolFs, dir: string): Promise<CursorLoad> {
  let fd: number;
  try {
    fd = await f.open(join(dir, CURSOR_FILE), 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { status: 'missing', lowWaterMark: 0 };
    throw e;
  }
  const b = Buffer.alloc(CURSOR_BYTES);
  let n: number;
  try {
    n = await readFully(f, fd, b, 0, CURSOR_BYTES, 0);
  } finally {
    await f.close(fd);
  }
  if (n !== CURSOR_BYTES || b.readUInt32LE(0) !== MAGIC || b.readUInt16LE(4) !== VERSION || crc32c(b, 0, 16) !== b.readUInt32LE(16)) {
    return { status: 'corrupt', lowWaterMark: 0 };
  }
  const v = b.readBigUInt64LE(8);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return { status: 'corrupt', lowWaterMark: 0 };
  return { status: 'ok', lowWaterMark: Number(v) };
}

/** Replaces the cursor atomically; `sync` false skips both fsyncs (fsync policy never). Returns bytes written. */
export async function saveCursor(f: SpoolFs, dir: string, lowWaterMark: number, sync: boolean): Promise<number> {
  const tmp = join(dir, CURSOR_TMP_FILE);
  const b = encodeCursor(lowWaterMark);
  const fd = await f.open(tmp, 'w', 0o600);
  try {
    await writeFully(f, fd, b, 0, b.length, 0);
    if (sync) await f.fsync(fd);
  } finally {
    await f.close(fd);
  }
  await f.rename(tmp, join(dir, CURSOR_FILE));
  if (sync) await fsyncDir(f, dir);
  return b.length;
}
