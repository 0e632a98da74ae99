/**
 * Positional reads for the container probes: a segment is never read whole into memory, only the
 * boxes/packets the probe needs. `read` returns fewer bytes than asked at end of data.
 */
import type { FileHandle } from 'node:fs/promises';

export interface ByteSource {
  /** Bytes the probe may look at (the size the segment had when it was declared finished). */
  readonly size: number;
  read(pos: number, len: number): Promise<Buffer>;
}

export class FileByteSource implements ByteSource {
  readonly size: number;
  private readonly fh: FileHandle;
  constructor(fh: FileHandle, size: number) {
    this.fh = fh;
    this.size = size;
  }
  async read(pos: number, len: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(len, this.size - pos));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  }
}

export class BufferByteSource implements ByteSource {
  readonly size: number;
  private readonly buf: Buffer;
  constructor(buf: Uint8Array) {
    this.buf = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.size = buf.byteLength;
  }
  async read(pos: number, len: number): Promise<Buffer> {
    return this.buf.subarray(pos, Math.min(this.size, pos + len));
  }
}

/** What the probes report. Fields the container does not give (or that could not be read) are null. */
export interface ContainerInfo {
  readonly container: 'mp4' | 'mpegts' | 'mkv' | 'unknown';
  readonly durationMs: number | null;
  readonly width: number | null;
  readonly height: number | null;
  /** `ok`: read cleanly, duration and resolution found; `partial`: damaged (truncated, lost sync) or a field missing; `failed`: nothing usable. */
  readonly probe: 'ok' | 'partial' | 'failed';
  /** Why the probe is partial or failed. */
  readonly detail?: string | undefined;
}

export function unknownInfo(container: ContainerInfo['container'], detail: string): ContainerInfo {
  return { container, durationMs: null, width: null, height: null, probe: 'failed', detail };
}

/** A read or parse went past the data: the container is truncated or corrupt. */
export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}
