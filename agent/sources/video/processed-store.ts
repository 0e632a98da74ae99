/**
 * Video source state, persisted atomically: segments already reported, keyed by dev:inode with the
 * size and mtime they had (a file replaced or rewritten is a new segment), and the last sequence
 * number per camera. Bounded: entries whose file is gone are pruned at each complete scan.
 * Updated only after `accept` resolved for the segments concerned.
 */
import { ShardwiseError } from '../../core/errors.ts';
import { isObject, readJsonIfExists, writeJsonAtomic } from '../file/atomic-json.ts';

export interface ProcessedEntry {
  readonly path: string;
  readonly size: number;
  readonly mtimeNs: string;
}

const VERSION = 1;

export class ProcessedStore {
  readonly path: string;
  private readonly segments = new Map<string, ProcessedEntry>();
  private readonly cameras = new Map<string, number>();
  private dirtyFlag = false;

  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<void> {
    const doc = await readJsonIfExists(this.path);
    this.segments.clear();
    this.cameras.clear();
    if (doc === undefined) return;
    if (!isObject(doc) || doc['version'] !== VERSION || !isObject(doc['segments']) || !isObject(doc['cameras'])) {
      throw new ShardwiseError('E_CHECKPOINT', `${this.path}: not a version ${VERSION} video state file`);
    }
    for (const [key, e] of Object.entries(doc['segments'])) {
      if (!isObject(e) || typeof e['path'] !== 'string' || typeof e['size'] !== 'number' || typeof e['mtimeNs'] !== 'string') {
        throw new ShardwiseError('E_CHECKPOINT', `${this.path}: bad segment entry ${key}`);
      }
      this.segments.set(key, { path: e['path'], size: e['size'], mtimeNs: e['mtimeNs'] });
    }
    for (const [camera, seq] of Object.entries(doc['cameras'])) {
      if (typeof seq !== 'number') throw new ShardwiseError('E_CHECKPOINT', `${this.path}: bad sequence for camera ${camera}`);
      this.cameras.set(camera, seq);
    }
  }

  get size(): number {
    return this.segments.size;
  }

  get dirty(): boolean {
    return this.dirtyFlag;
  }

  isProcessed(key: string, size: number, mtimeNs: string): boolean {
    const e = this.segments.get(key);
    return e !== undefined && e.size === size && e.mtimeNs === mtimeNs;
  }

  /** Last sequence number given to `camera` (0 when none yet). */
  lastSeq(camera: string): number {
    return this.cameras.get(camera) ?? 0;
  }

  markProcessed(key: string, entry: ProcessedEntry, camera: string, seq: number): void {
    this.segments.set(key, entry);
    if (seq > this.lastSeq(camera)) this.cameras.set(camera, seq);
    this.dirtyFlag = true;
  }

  /** Forgets segments whose dev:inode is not in `present` (their files are gone). */
  prune(present: ReadonlySet<string>): void {
    for (const key of [...this.segments.keys()]) {
      if (!present.has(key)) {
        this.segments.delete(key);
        this.dirtyFlag = true;
      }
    }
  }

  async flush(): Promise<void> {
    if (!this.dirtyFlag) return;
    this.dirtyFlag = false;
    const segments: Record<string, ProcessedEntry> = {};
    for (const [k, e] of this.segments) segments[k] = e;
    const cameras: Record<string, number> = {};
    for (const [k, v] of this.cameras) cameras[k] = v;
    try {
      await writeJsonAtomic(this.path, { version: VERSION, cameras, segments });
    } catch (e) {
      this.dirtyFlag = true;
      throw e;
    }
  }
}
