/**
 * An open file descriptor known by its identity (dev:inode), with positional reads and a
 * fingerprint of its first bytes (to tell "same file, appended" from "truncated and rewritten"
 * or "inode reused by another file").
 */
import { createHash } from 'node:crypto';
import { open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export const HEAD_BYTES = 256;
const EMPTY = Buffer.alloc(0);

export class OpenFile {
  readonly key: string;
  /** Size at the last stat. */
  size: number;
  private readonly fh: FileHandle;
  private head: Buffer = EMPTY;
  private headSha = '';

  private constructor(fh: FileHandle, key: string, size: number) {
    this.fh = fh;
    this.key = key;
    this.size = size;
  }

  /** Opens `path`; the identity comes from the open descriptor, not from an earlier stat. */
  static async open(path: string): Promise<OpenFile> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat({ bigint: true });
      const f = new OpenFile(fh, `${st.dev}:${st.ino}`, Number(st.size));
      await f.refreshHead(0);
      return f;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Current size (fstat). */
  async stat(): Promise<number> {
    this.size = (await this.fh.stat()).size;
    return this.size;
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buf, offset, length, position)).bytesRead;
  }

  /** Up to `len` bytes at `pos` (fewer at end of file), in a new buffer. */
  async pread(pos: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = await this.read(buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return got === len ? buf : buf.subarray(0, got);
  }

  get headLen(): number {
    return this.head.length;
  }

  get headSha1(): string {
    return this.headSha;
  }

  /** Learns more of the first bytes when fewer than HEAD_BYTES are known and the file (or `atLeast`) has more. */
  async refreshHead(atLeast: number): Promise<void> {
    const want = Math.min(HEAD_BYTES, Math.max(this.size, atLeast));
    if (want <= this.head.length) return;
    this.head = await this.pread(0, want);
    this.headSha = sha1(this.head);
  }

  forgetHead(): void {
    this.head = EMPTY;
    this.headSha = '';
  }

  /** The known first bytes differ from the file's now: truncated and rewritten (copytruncate). */
  async headChanged(): Promise<boolean> {
    if (this.head.length === 0) return false;
    return !(await this.pread(0, this.head.length)).equals(this.head);
  }

  /** True when a checkpoint taken of this identity still fits: offset within the file and same first bytes. */
  async matches(entry: { readonly offset: number; readonly headLen: number; readonly headSha1: string }): Promise<boolean> {
    if (entry.offset > this.size || entry.headLen > this.size) return false;
    return sha1(await this.pread(0, entry.headLen)) === entry.headSha1;
  }

  /** Current name of the open file (Linux /proc), or undefined when deleted or unavailable. */
  async currentPath(): Promise<string | undefined> {
    try {
      const p = await readlink(`/proc/self/fd/${this.fh.fd}`);
      return p.endsWith(' (deleted)') ? undefined : p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}
