/**
 * An append-only file of lines, size-capped with rotation: `path` is written until the next line
 * would take it past `maxBytes`, then `path.1 … path.<maxFiles>` shift up one (the oldest is
 * overwritten) and a fresh `path` starts. At most `maxFiles + 1` files (current + rotated), each at
 * most `maxBytes` unless a single line is larger. Files are created 0600. Methods throw the
 * filesystem's errors: the caller (DeadLetterWriter) counts them and carries on.
 */
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface RotatingFileOptions {
  readonly path: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export class RotatingFile {
  private fh: FileHandle | undefined;
  private size = 0;
  rotations = 0;
  bytesWritten = 0;

  constructor(private readonly opts: RotatingFileOptions) {
    if (!Number.isInteger(opts.maxFiles) || opts.maxFiles < 1) throw new RangeError(`maxFiles: expected an integer ≥ 1, got ${opts.maxFiles}`);
    if (!(opts.maxBytes >= 1024)) throw new RangeError(`maxBytes: expected ≥ 1024, got ${opts.maxBytes}`);
  }

  get isOpen(): boolean {
    return this.fh !== undefined;
  }

  /** Creates the directory, opens (appends to) `path` 0600 and deletes rotated files beyond maxFiles. */
  async open(): Promise<void> {
    if (this.fh) return;
    await mkdir(dirname(this.opts.path), { recursive: true, mode: 0o700 });
    await this.removeExcess();
    await this.openCurrent();
  }

  /** Appends whole lines (each ending in a line feed), rotating between lines as needed. */
  async appendLines(lines: readonly string[]): Promise<void> {
    if (!this.fh) await this.open();
    let group: Buffer[] = [];
    let groupBytes = 0;
    for (const line of lines) {
      const buf = Buffer.from(line, 'utf8');
      if (this.size + groupBytes + buf.length > this.opts.maxBytes && this.size + groupBytes > 0) {
        await this.write(group, groupBytes);
        group = [];
        groupBytes = 0;
        await this.rotate();
      }
      group.push(buf);
      groupBytes += buf.length;
    }
    if (groupBytes > 0) await this.write(group, groupBytes);
  }

  async sync(): Promise<void> {
    await this.fh?.datasync();
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  /** Forgets a handle after an I/O error so the next append reopens (e.g. once the disk is back). */
  async reset(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    try {
      await fh?.close();
    } catch {
      // The handle is unusable either way; the error that led here has been counted by the caller.
    }
  }

  private async write(group: Buffer[], bytes: number): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new Error('dead-letter file is not open');
    const data = group.length === 1 ? (group[0] as Buffer) : Buffer.concat(group, bytes);
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.size += bytes;
    this.bytesWritten += bytes;
  }

  private async rotate(): Promise<void> {
    await this.close();
    const p = this.opts.path;
    for (let i = this.opts.maxFiles - 1; i >= 1; i--) await renameIfExists(`${p}.${i}`, `${p}.${i + 1}`);
    await renameIfExists(p, `${p}.1`);
    this.rotations++;
    await this.openCurrent();
  }

  private async openCurrent(): Promise<void> {
    const fh = await open(this.opts.path, 'a', 0o600);
    try {
      await fh.chmod(0o600); // an older file may have been created with a looser mode
      this.size = (await fh.stat()).size;
    } catch (err) {
      await fh.close();
      throw err;
    }
    this.fh = fh;
  }

  /** Rotated files numbered above maxFiles (left by a larger maxFiles before). */
  private async removeExcess(): Promise<void> {
    const dir = dirname(this.opts.path);
    const base = basename(this.opts.path);
    for (const name of await readdir(dir)) {
      if (!name.startsWith(`${base}.`)) continue;
      const n = Number(name.slice(base.length + 1));
      if (Number.isInteger(n) && n > this.opts.maxFiles) await unlink(join(dir, name));
    }
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
