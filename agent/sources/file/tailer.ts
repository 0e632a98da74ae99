/**
 * One open file, identified by dev:inode (its name may change). Reads large chunks at an explicit
 * position, splits them into lines, parses, hands batches to `accept` and awaits each before going
 * on (backpressure). Payloads are views into the chunk just read; a chunk buffer is never reused,
 * so downstream may keep the views.
 *
 * Offsets: `readPos` (next byte to read) ≥ `consumedEnd` (end of the last line parsed or rejected)
 * ≥ `committedPos` (end of the last line whose batch `accept` resolved: what the checkpoint holds).
 * A partial last line stays in `carry` until its newline arrives.
 */
import { isUtf8 } from 'node:buffer';
import type { AcceptOptions, Downstream, RejectReason, SourceRecord } from '../source.ts';
import type { ResolvedFileOptions } from './file-source-options.ts';
import type { CheckpointEntry } from './checkpoint-store.ts';
import { CsvParser } from './csv-parser.ts';
import { createLineParser, isBinaryLine } from './line-parser.ts';
import type { LineParser, LineRejector } from './line-parser.ts';
import { OpenFile } from './open-file.ts';

const RAW_SAMPLE_BYTES = 4096;
const NL = 0x0a;
/** Lines stay in the file until checkpointed: the spool need not copy them to disk. */
const REPLAYABLE: AcceptOptions = { replayable: true };
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export interface TailerHost {
  readonly opts: ResolvedFileOptions;
  readonly downstream: Downstream;
  readonly stopping: boolean;
  /** Called after `committedPos` advanced (accepted batch, or lines that were all rejected/skipped). */
  committed(t: Tailer): Promise<void>;
  monoNow(): number;
}

/** An over-long line being skipped; `silent` for the unterminated tail we start in with startAt end. */
interface Discard {
  sample: Buffer;
  len: number;
  silent: boolean;
}

export class Tailer implements LineRejector {
  readonly key: string;
  readonly origin: string;
  readonly deviceId: string | undefined;
  path: string;
  /** No glob match points at this inode any more (renamed away or deleted). */
  rotated = false;
  /** The file that had this one's name before a rename rotation; read first. */
  predecessor: Tailer | undefined;
  closed = false;
  lastGrowth: number;
  private readonly host: TailerHost;
  private readonly file: OpenFile;
  private readonly parser: LineParser;
  private readPos = 0;
  private consumedEnd = 0;
  private committedPos = 0;
  private startPos = 0;
  private startSilent = false;
  private carry: Buffer | undefined;
  private discard: Discard | undefined;
  private batch: SourceRecord[] = [];
  private batchBytes = 0;

  private constructor(host: TailerHost, file: OpenFile, path: string, origin: string, deviceId: string | undefined) {
    this.host = host;
    this.file = file;
    this.key = file.key;
    this.path = path;
    this.origin = origin;
    this.deviceId = deviceId;
    this.parser = createLineParser(host.opts, deviceId, this);
    this.lastGrowth = host.monoNow();
  }

  /** Opens `path`; the identity is taken from the open descriptor (not from an earlier stat). */
  static async open(host: TailerHost, path: string, origin: string, deviceId: string | undefined): Promise<Tailer> {
    return new Tailer(host, await OpenFile.open(path), path, origin, deviceId);
  }

  get offset(): number {
    return this.committedPos;
  }

  hasUnread(): boolean {
    return this.readPos < this.file.size || this.batch.length > 0;
  }

  /** True when the file still fits this checkpoint entry (same first bytes, offset within it). */
  matches(entry: CheckpointEntry): Promise<boolean> {
    return this.file.matches(entry);
  }

  /** Positions the tailer: a byte offset (start of a line), or `end` (start of the last, incomplete line). */
  async position(at: number | 'end'): Promise<void> {
    let pos = at === 'end' ? this.file.size : at;
    this.startSilent = false;
    if (at === 'end' && pos > 0) {
      const tailLen = Math.min(pos, this.host.opts.maxLineBytes + 1);
      const tail = await this.file.pread(pos - tailLen, tailLen);
      const nl = tail.lastIndexOf(NL);
      if (nl >= 0) pos = pos - tailLen + nl + 1;
      else if (tailLen === pos) pos = 0;
      else this.startSilent = true;
    }
    this.startPos = this.readPos = this.consumedEnd = this.committedPos = pos;
    this.discard = this.startSilent ? { sample: EMPTY, len: 0, silent: true } : undefined;
    this.carry = undefined;
    if (pos > 0 && this.parser instanceof CsvParser) await this.loadCsvHeader();
  }

  /** Reads until end of file or `budget` bytes; returns the bytes read. Rolls back to the committed offset on error. */
  async pump(budget: number): Promise<number> {
    let total = 0;
    try {
      while (total < budget && !this.host.stopping) {
        const size = await this.file.stat();
        if (size < this.readPos) {
          await this.truncated();
          continue;
        }
        const want = Math.min(size - this.readPos, this.host.opts.readChunkBytes);
        if (want <= 0) break;
        // copytruncate then a write past our offset: the size does not tell, the first bytes do.
        if (this.readPos > 0 && (await this.file.headChanged())) {
          await this.truncated();
          continue;
        }
        const carryLen = this.carry === undefined ? 0 : this.carry.length;
        const buf = Buffer.allocUnsafe(carryLen + want);
        if (this.carry !== undefined) this.carry.copy(buf, 0);
        const bytesRead = await this.file.read(buf, carryLen, want, this.readPos);
        if (bytesRead === 0) break;
        const base = this.readPos - carryLen;
        this.readPos += bytesRead;
        total += bytesRead;
        this.carry = undefined;
        await this.scan(bytesRead < want ? buf.subarray(0, carryLen + bytesRead) : buf, base);
      }
      await this.flushBatch();
    } catch (e) {
      this.rollback();
      throw e;
    }
    if (total > 0) this.lastGrowth = this.host.monoNow();
    return total;
  }

  /** The file was renamed away or deleted and stayed idle: deliver a last unterminated line, then close. */
  async finish(): Promise<void> {
    try {
      const carry = this.carry;
      this.carry = undefined;
      if (carry !== undefined) {
        const buf = Buffer.allocUnsafe(carry.length + 1);
        carry.copy(buf, 0);
        buf[carry.length] = NL;
        await this.scan(buf, this.readPos - carry.length);
      } else if (this.discard !== undefined) {
        this.endDiscard(0);
      }
      this.consumedEnd = this.readPos;
      await this.flushBatch();
    } catch (e) {
      this.rollback();
      throw e;
    }
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  /** First bytes changed since we saw them: the file was truncated (copytruncate) and rewritten past our offset. */
  headChanged(): Promise<boolean> {
    return this.file.headChanged();
  }

  /** Resets to offset 0 after a truncation (copytruncate); lines read before it are delivered first. */
  async truncated(): Promise<void> {
    await this.flushBatch();
    this.readPos = this.consumedEnd = this.committedPos = this.startPos = 0;
    this.carry = this.discard = undefined;
    this.startSilent = false;
    this.file.forgetHead();
    await this.host.committed(this);
  }

  /** Current name of the open file (Linux /proc), or undefined when deleted or not available. */
  currentPath(): Promise<string | undefined> {
    return this.file.currentPath();
  }

  /** Learns the file's first bytes (fingerprint) up to the committed offset. */
  refreshHead(): Promise<void> {
    return this.file.refreshHead(this.committedPos);
  }

  checkpointEntry(): CheckpointEntry {
    return {
      path: this.path,
      origin: this.origin,
      offset: this.committedPos,
      deviceId: this.deviceId,
      headLen: this.file.headLen,
      headSha1: this.file.headSha1,
    };
  }

  reject(reason: RejectReason, raw: Uint8Array, detail: string): void {
    this.host.downstream.reject(this.host.opts.name, reason, raw, `${this.path}: ${detail}`);
  }

  private async scan(buf: Buffer, base: number): Promise<void> {
    const opts = this.host.opts;
    const max = opts.maxLineBytes;
    const end = buf.length;
    const lastNl = buf.lastIndexOf(NL);
    let pos = base === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    if (lastNl >= pos) {
      const nul = buf.indexOf(0);
      const suspect = (nul >= 0 && nul < lastNl) || !isUtf8(buf.subarray(pos, lastNl));
      while (pos <= lastNl) {
        const nl = buf.indexOf(NL, pos);
        let e = nl;
        if (e > pos && buf[e - 1] === CR) e--;
        if (this.discard !== undefined) this.endDiscard(nl - pos);
        else if (e - pos > max) this.reject('too-large', buf.subarray(pos, Math.min(e, pos + RAW_SAMPLE_BYTES)), `line of ${e - pos} bytes > maxLineBytes ${max}`);
        else if (e === pos) {
          if (opts.emptyLines === 'reject') this.reject('empty', EMPTY, 'empty line');
        } else if (suspect && isBinaryLine(buf, pos, e)) {
          this.reject('binary-payload', buf.subarray(pos, Math.min(e, pos + RAW_SAMPLE_BYTES)), 'NUL byte or invalid UTF-8');
        } else {
          if (this.batch.length === 0) {
            // A new batch: wait for room downstream first, holding only the chunk meanwhile.
            const room = this.host.downstream.ready?.(REPLAYABLE);
            if (room !== undefined) await room;
          }
          const rec = this.parser.parse(buf, pos, e);
          if (rec !== undefined) {
            this.batch.push(rec);
            this.batchBytes += e - pos;
          }
        }
        pos = nl + 1;
        this.consumedEnd = base + pos;
        if (this.batch.length >= opts.batchMaxRecords || this.batchBytes >= opts.batchMaxBytes) {
          await this.flushBatch();
          if (this.host.stopping) {
            // Leave the rest of the chunk for the next run: rewind to the line boundary just committed.
            this.readPos = this.consumedEnd;
            return;
          }
        }
      }
    }
    if (pos < end) {
      const rest = end - pos;
      if (this.discard !== undefined) this.discard.len += rest;
      else if (rest > max) this.discard = { sample: buf.subarray(pos, pos + RAW_SAMPLE_BYTES), len: rest, silent: false };
      else this.carry = buf.subarray(pos, end);
    }
  }

  private endDiscard(tailLen: number): void {
    const d = this.discard;
    this.discard = undefined;
    if (d === undefined || d.silent) return;
    this.reject('too-large', d.sample, `line of ${d.len + tailLen} bytes > maxLineBytes ${this.host.opts.maxLineBytes}`);
  }

  private async flushBatch(): Promise<void> {
    const end = this.consumedEnd;
    if (this.batch.length > 0) await this.deliverBatch();
    if (end !== this.committedPos) {
      this.committedPos = end;
      this.startSilent = false;
      await this.host.committed(this);
    }
  }

  /** Hands the batch over; the promise does not reference it (see Intake.accept). */
  private deliverBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    return this.host.downstream.accept(this.host.opts.name, batch, REPLAYABLE);
  }

  private rollback(): void {
    this.readPos = this.consumedEnd = this.committedPos;
    this.carry = undefined;
    this.batch = [];
    this.batchBytes = 0;
    this.discard = this.committedPos === this.startPos && this.startSilent ? { sample: EMPTY, len: 0, silent: true } : undefined;
  }

  private async loadCsvHeader(): Promise<void> {
    const first = await this.file.pread(0, Math.min(this.file.size, this.host.opts.maxLineBytes + 1));
    const nl = first.indexOf(NL);
    if (nl < 0 || !(this.parser instanceof CsvParser)) return;
    const bom = first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf ? 3 : 0;
    const end = nl > bom && first[nl - 1] === CR ? nl - 1 : nl;
    this.parser.setHeader(first.subarray(bom, end));
  }
}
