/**
 * File-backed assignment store, compact binary (a 10 M-device bench table is 40 MB, not 400 MB of JSON):
 *
 *   "SWKA" | u32 version=1 | u32 headerBytes | header JSON { shards, deviceCount, idsBytes }
 *   | ids JSON array (idsBytes, 0 when dense) | padding to 4 | Int32 LE shard index × deviceCount | u32 CRC-32 of all before
 *
 * Saves are atomic: write `<path>.tmp`, fsync, rename over `<path>`, fsync the directory.
 * A wrong magic, version, length or CRC throws E_CONFIG with the path (never a silent reset).
 */
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { ShardwiseError } from '../core/errors.ts';
import type { AssignmentSnapshot, AssignmentStore, SnapshotShard } from './assignment-store.ts';

const MAGIC = 0x414b5753; // "SWKA" little-endian
const VERSION = 1;

interface Header {
  readonly shards: readonly SnapshotShard[];
  readonly deviceCount: number;
  readonly idsBytes: number;
}

export class FileAssignmentStore implements AssignmentStore {
  constructor(readonly path: string) {}

  async load(): Promise<AssignmentSnapshot | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return decodeSnapshot(buf, this.path);
  }

  async save(snapshot: AssignmentSnapshot): Promise<void> {
    const bytes = encodeSnapshot(snapshot);
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

export function encodeSnapshot(s: AssignmentSnapshot): Uint8Array {
  const ids = s.deviceIds === null ? new Uint8Array(0) : Buffer.from(JSON.stringify(s.deviceIds), 'utf8');
  if (s.deviceIds !== null && s.deviceIds.length !== s.shardOfDevice.length) {
    throw new RangeError(`assignment snapshot: ${s.deviceIds.length} ids for ${s.shardOfDevice.length} devices`);
  }
  const header = Buffer.from(JSON.stringify({ shards: s.shards, deviceCount: s.shardOfDevice.length, idsBytes: ids.length } satisfies Header), 'utf8');
  const bodyAt = align4(12 + header.length + ids.length);
  const total = bodyAt + s.shardOfDevice.length * 4 + 4;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(header.length, 8);
  out.set(header, 12);
  out.set(ids, 12 + header.length);
  const body = new DataView(out.buffer, out.byteOffset + bodyAt, s.shardOfDevice.length * 4);
  for (let i = 0; i < s.shardOfDevice.length; i++) body.setInt32(i * 4, s.shardOfDevice[i] as number, true);
  out.writeUInt32LE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

export function decodeSnapshot(buf: Uint8Array, where: string): AssignmentSnapshot {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (why: string): ShardwiseError => new ShardwiseError('E_CONFIG', `assignment file ${where}: ${why}`);
  if (b.length < 16) throw bad(`too short (${b.length} bytes)`);
  if (b.readUInt32LE(0) !== MAGIC) throw bad('not an assignment file (bad magic)');
  const version = b.readUInt32LE(4);
  if (version !== VERSION) throw bad(`unsupported version ${version} (expected ${VERSION})`);
  const crc = b.readUInt32LE(b.length - 4);
  if (crc32(b.subarray(0, b.length - 4)) !== crc) throw bad('CRC mismatch (truncated or corrupted)');
  const headerBytes = b.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(b.toString('utf8', 12, 12 + headerBytes)) as Header;
  } catch (e) {
    throw new ShardwiseError('E_CONFIG', `assignment file ${where}: unreadable header`, { cause: e });
  }
  const idsAt = 12 + headerBytes;
  const deviceIds = header.idsBytes > 0 ? (JSON.parse(b.toString('utf8', idsAt, idsAt + header.idsBytes)) as string[]) : null;
  const bodyAt = align4(idsAt + header.idsBytes);
  if (bodyAt + header.deviceCount * 4 + 4 !== b.length) throw bad(`length ${b.length} does not match ${header.deviceCount} devices`);
  const shardOfDevice = new Int32Array(header.deviceCount);
  const body = new DataView(b.buffer, b.byteOffset + bodyAt, header.deviceCount * 4);
  for (let i = 0; i < header.deviceCount; i++) shardOfDevice[i] = body.getInt32(i * 4, true);
  return { shards: header.shards, deviceIds, shardOfDevice };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
