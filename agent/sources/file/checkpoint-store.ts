/**
 * Read offsets per file identity (`dev:inode`), persisted atomically (temp + fsync + rename).
 * An entry is written only with offsets whose lines `accept` has resolved (or that were rejected),
 * so a restart resumes exactly at the first line not yet held downstream.
 *
 * `headLen`/`headSha1` fingerprint the first bytes of the file: on restart a mismatch means the
 * inode was reused by another file or the file was truncated and rewritten, and it is read from 0.
 */
import { ShardwiseError } from '../../core/errors.ts';
import { isObject, readJsonIfExists, writeJsonAtomic } from './atomic-json.ts';

export interface CheckpointEntry {
  /** Last known path of the file (after a rename: its new name, when it could be found). */
  readonly path: string;
  /** Path under which the file was discovered (the glob match), used to order rotated files. */
  readonly origin: string;
  /** First byte not yet delivered (always the start of a line). */
  readonly offset: number;
  /** Device id taken from the origin path (fromPath), kept so a renamed file keeps its id. */
  readonly deviceId?: string | undefined;
  readonly headLen: number;
  readonly headSha1: string;
}

const VERSION = 1;

export class CheckpointStore {
  readonly path: string;
  private readonly entries = new Map<string, CheckpointEntry>();
  private dirtyFlag = false;
  private lastWrite = -Infinity;

  constructor(path: string) {
    this.path = path;
  }

  /** Loads the file if it exists; throws `E_CHECKPOINT` when it exists but cannot be used. */
  async load(): Promise<void> {
    const doc = await readJsonIfExists(this.path);
    this.entries.clear();
    if (doc === undefined) return;
    if (!isObject(doc) || doc['version'] !== VERSION || !isObject(doc['files'])) {
      throw new ShardwiseError('E_CHECKPOINT', `${this.path}: not a version ${VERSION} checkpoint file`);
    }
    for (const [key, e] of Object.entries(doc['files'])) {
      if (!isObject(e) || typeof e['path'] !== 'string' || typeof e['offset'] !== 'number') {
        throw new ShardwiseError('E_CHECKPOINT', `${this.path}: bad entry ${key}`);
      }
      this.entries.set(key, {
        path: e['path'],
        origin: typeof e['origin'] === 'string' ? e['origin'] : e['path'],
        offset: e['offset'],
        deviceId: typeof e['deviceId'] === 'string' ? e['deviceId'] : undefined,
        headLen: typeof e['headLen'] === 'number' ? e['headLen'] : 0,
        headSha1: typeof e['headSha1'] === 'string' ? e['headSha1'] : '',
      });
    }
  }

  get(key: string): CheckpointEntry | undefined {
    return this.entries.get(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  set(key: string, entry: CheckpointEntry): void {
    this.entries.set(key, entry);
    this.dirtyFlag = true;
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.dirtyFlag = true;
  }

  get dirty(): boolean {
    return this.dirtyFlag;
  }

  /** True when a write is due: dirty and `intervalMs` since the last write (`now` is monotonic ms). */
  due(now: number, intervalMs: number): boolean {
    return this.dirtyFlag && now - this.lastWrite >= intervalMs;
  }

  /** Writes the file when dirty. Throws `E_CHECKPOINT` (retryable) when it cannot. */
  async flush(now: number): Promise<void> {
    if (!this.dirtyFlag) return;
    this.dirtyFlag = false;
    const files: Record<string, CheckpointEntry> = {};
    for (const [k, e] of this.entries) files[k] = e;
    try {
      await writeJsonAtomic(this.path, { version: VERSION, files });
      this.lastWrite = now;
    } catch (e) {
      this.dirtyFlag = true;
      throw e;
    }
  }
}
