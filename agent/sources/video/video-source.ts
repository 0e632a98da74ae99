/**
 * `kind: 'video'`: reports finished video segments (camera recordings) as one metadata record each
 * (camera, file, size, sha256, mtime, container, duration, resolution, per-camera sequence), never
 * the video bytes. Every pollIntervalMs: scan the directory, let the SegmentWatcher decide which
 * files are finished, hash and probe them, hand them to `accept` in batches, and only then mark
 * them processed and advance the camera sequence numbers in the state file (atomically). A restart
 * therefore never re-reports an accepted segment, and a segment whose accept did not resolve is
 * reported again with the same sequence number.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import type { Downstream, Source, SourceHealth, SourceRecord } from '../source.ts';
import { PathTemplate } from '../file/path-template.ts';
import { ProcessedStore } from './processed-store.ts';
import { SegmentReader, segmentRecord } from './segment-metadata.ts';
import { SegmentWatcher, scanSegments } from './segment-watcher.ts';
import type { SegmentFile } from './segment-watcher.ts';
import { resolveVideoOptions } from './video-source-options.ts';
import type { ResolvedVideoOptions, VideoSourceOptions } from './video-source-options.ts';
import { PollingLifecycle } from '../common/polling-lifecycle.ts';
import { PollProblems, Sleeper } from '../common/poll-problems.ts';

interface Pending {
  readonly f: SegmentFile;
  readonly camera: string;
  readonly seq: number;
  readonly record: SourceRecord;
}

const signature = (f: SegmentFile): string => `${f.size}:${f.mtimeNs}`;

export class VideoSource implements Source {
  readonly kind = 'video';
  readonly name: string;
  readonly opts: ResolvedVideoOptions;
  private readonly clock: Clock;
  private readonly store: ProcessedStore;
  private readonly watcher: SegmentWatcher;
  /** Undefined with `cameraId.fixed`. */
  private readonly template: PathTemplate | undefined;
  private readonly reader: SegmentReader;
  /** Segments refused (no camera id), by key -> signature, so they are refused once, not every poll. */
  private readonly refused = new Map<string, string>();
  private readonly problems = new PollProblems((path, message) => this.downstream.reject(this.name, 'unreadable-file', path, message));
  private readonly sleeper = new Sleeper();
  private readonly life = new PollingLifecycle({
    prepare: () => this.store.load(),
    loop: () => this.run(),
    wake: () => this.sleeper.wakeUp(),
    drain: () => this.store.flush(),
    release: () => Promise.resolve(),
  });
  private ds: Downstream | undefined;
  private prevScanWall: number | undefined;
  private reported = 0;

  constructor(options: VideoSourceOptions, clock: Clock = systemClock) {
    this.opts = resolveVideoOptions(options);
    this.name = options.name;
    this.clock = clock;
    this.store = new ProcessedStore(options.statePath);
    this.watcher = new SegmentWatcher(this.opts.stableForMs);
    const rule = options.cameraId;
    this.template = 'fromPath' in rule ? new PathTemplate(rule.fromPath, `sources.${options.name}.cameraId.fromPath`) : undefined;
    this.reader = new SegmentReader(this.opts.hash === 'sha256');
  }

  start(downstream: Downstream): Promise<void> {
    if (this.life.phase === 'new') this.ds = downstream;
    return this.life.start();
  }

  stop(): Promise<void> {
    return this.life.stop();
  }

  health(): SourceHealth {
    const base = this.life.running ? `watching ${this.opts.dir}: ${this.watcher.watching} pending, ${this.reported} reported` : this.life.phase;
    return this.problems.health(this.life.running, base);
  }

  private get running(): boolean {
    return this.life.running;
  }

  private get downstream(): Downstream {
    if (this.ds === undefined) throw new Error(`video source ${this.name} used before start()`);
    return this.ds;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.problems.beginRound();
      try {
        await this.poll();
      } catch (e) {
        this.problems.failed(this.opts.dir, e);
      }
      this.problems.endRound();
      if (this.running) await this.sleeper.sleep(this.opts.pollIntervalMs);
    }
  }

  private async poll(): Promise<void> {
    const wall = this.clock.wallNow();
    const { files, errors } = await scanSegments(this.opts.dir, this.opts.patterns, this.opts.recursive);
    for (const e of errors) this.problems.problem(e.path, e.message);
    if (errors.length === 0) {
      const present = new Set(files.map((f) => f.key));
      this.store.prune(present);
      this.watcher.retain(present);
      for (const key of [...this.refused.keys()]) if (!present.has(key)) this.refused.delete(key);
    }
    const fresh = files.filter((f) => !this.store.isProcessed(f.key, f.size, String(f.mtimeNs)) && this.refused.get(f.key) !== signature(f));
    const ready = this.watcher.update(fresh, this.clock.now(), this.prevScanWall);
    this.prevScanWall = wall;
    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
    for (let i = 0; i < ready.length && this.running; i += this.opts.batchMaxRecords) {
      await this.report(ready.slice(i, i + this.opts.batchMaxRecords));
    }
    if (this.store.dirty) await this.flushState();
  }

  private async report(files: readonly SegmentFile[]): Promise<void> {
    const batch: Pending[] = [];
    const nextSeq = new Map<string, number>();
    for (const f of files) {
      if (!this.running) return;
      const camera = this.cameraOf(f.path);
      if (camera === undefined) {
        this.refused.set(f.key, signature(f));
        this.watcher.forget(f.key);
        this.downstream.reject(this.name, 'no-device-id', f.path, `path does not fit cameraId.fromPath ${this.template?.template ?? ''}`);
        continue;
      }
      let facts: Awaited<ReturnType<SegmentReader['read']>>;
      try {
        facts = await this.reader.read(f, () => !this.running);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.watcher.forget(f.key);
        else this.problems.failed(f.path, e);
        continue;
      }
      if (facts === 'stopped') return;
      if (facts === 'changed') {
        this.watcher.changed(f.key, this.clock.now());
        continue;
      }
      const seq = (nextSeq.get(camera) ?? this.store.lastSeq(camera)) + 1;
      nextSeq.set(camera, seq);
      batch.push({ f, camera, seq, record: segmentRecord(f, camera, seq, facts) });
    }
    if (batch.length === 0 || !this.running) return;
    try {
      await this.downstream.accept(this.name, batch.map((p) => p.record), { replayable: true });
    } catch (e) {
      this.problems.failed('accept', e); // not marked processed: reported again (same sequence numbers) next poll
      return;
    }
    for (const p of batch) {
      this.store.markProcessed(p.f.key, { path: p.f.path, size: p.f.size, mtimeNs: String(p.f.mtimeNs) }, p.camera, p.seq);
      this.watcher.forget(p.f.key);
      this.reported++;
    }
    await this.flushState();
  }

  /** `fixed`, or the template matched against the absolute path (absolute template) or the path relative to `dir`. */
  private cameraOf(path: string): string | undefined {
    const rule = this.opts.cameraId;
    if ('fixed' in rule) return rule.fixed;
    const t = this.template as PathTemplate;
    if (isAbsolute(t.template)) return t.match(path);
    const rel = relative(this.opts.dir, path);
    return t.match(sep === '/' ? rel : rel.split(sep).join('/'));
  }

  private async flushState(): Promise<void> {
    try {
      await this.store.flush();
    } catch (e) {
      this.problems.failed(this.store.path, e);
    }
  }

}
