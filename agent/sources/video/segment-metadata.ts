/**
 * Reads one finished segment: sha256 over exactly the size it had when declared finished
 * (streamed in 1 MiB chunks through one reused buffer), container probe, and a check that the
 * file did not change meanwhile. Builds the metadata record (JSON; never the video bytes).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { SourceRecord } from '../source.ts';
import { FileByteSource } from './byte-source.ts';
import type { ContainerInfo } from './byte-source.ts';
import { probeContainer } from './container-probe.ts';
import type { SegmentFile } from './segment-watcher.ts';

export const HASH_CHUNK_BYTES = 1024 * 1024;

export interface SegmentFacts {
  /** Null when hashing is off (`hash: none`). */
  readonly sha256: string | null;
  readonly info: ContainerInfo;
}

/** The JSON payload of one video-segment record. */
export interface SegmentMetadata {
  readonly type: 'video-segment';
  readonly camera: string;
  readonly seq: number;
  readonly file: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string | null;
  readonly mtime: string;
  readonly container: ContainerInfo['container'];
  readonly durationMs: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly probe: ContainerInfo['probe'];
  readonly probeDetail?: string;
}

export class SegmentReader {
  private buffer: Buffer | undefined;

  /** `hash: false` skips the sha256 pass (the container probe still reads the headers it needs). */
  constructor(private readonly hash = true) {}

  private get buf(): Buffer {
    this.buffer ??= Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    return this.buffer;
  }

  /** Facts about `f`, or `changed` when the file is not the one that was declared finished any more. */
  async read(f: SegmentFile, stopping: () => boolean): Promise<SegmentFacts | 'changed' | 'stopped'> {
    const fh = await open(f.path, 'r');
    try {
      const before = await fh.stat({ bigint: true });
      if (`${before.dev}:${before.ino}` !== f.key || Number(before.size) !== f.size || before.mtimeNs !== f.mtimeNs) return 'changed';
      const hash = this.hash ? createHash('sha256') : undefined;
      for (let pos = 0; hash !== undefined && pos < f.size; ) {
        if (stopping()) return 'stopped';
        const { bytesRead } = await fh.read(this.buf, 0, Math.min(this.buf.length, f.size - pos), pos);
        if (bytesRead === 0) return 'changed';
        hash.update(this.buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      const info = await probeContainer(new FileByteSource(fh, f.size));
      const after = await fh.stat({ bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) return 'changed';
      return { sha256: hash === undefined ? null : hash.digest('hex'), info };
    } finally {
      await fh.close();
    }
  }
}

export function segmentRecord(f: SegmentFile, camera: string, seq: number, facts: SegmentFacts): SourceRecord {
  const { info } = facts;
  const meta: SegmentMetadata = {
    type: 'video-segment',
    camera,
    seq,
    file: basename(f.path),
    path: f.path,
    size: f.size,
    sha256: facts.sha256,
    mtime: new Date(f.mtimeMs).toISOString(),
    container: info.container,
    durationMs: info.durationMs,
    width: info.width,
    height: info.height,
    probe: info.probe,
    ...(info.detail === undefined ? {} : { probeDetail: info.detail }),
  };
  return {
    deviceId: camera,
    eventTime: Math.floor(f.mtimeMs),
    payload: Buffer.from(JSON.stringify(meta)),
    fields: meta as unknown as Readonly<Record<string, unknown>>,
  };
}
