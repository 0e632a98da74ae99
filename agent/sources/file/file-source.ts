/**
 * `kind: 'file'`: tails files matching globs (JSON Lines, CSV, raw lines).
 *
 * One loop: every pollIntervalMs it scans the globs; in between it pumps each open file until end
 * of file (8 MiB per file per round, for fairness), awaiting every `accept` before reading on.
 * Files are known by dev:inode, so a rename keeps the reader on the same file: a file renamed away
 * (or deleted) is read to its end and closed once idle for rotateWaitMs, and the new file that
 * takes its name is read only after it (per-device order across rotation). A file that shrinks
 * (copytruncate) is read again from 0. Offsets are checkpointed per dev:inode only once `accept`
 * resolved. See docs in the report for the guarantees (what a crash or copytruncate can lose).
 */
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { isShardwiseError } from '../../core/errors.ts';
import type { Downstream, Source, SourceHealth } from '../source.ts';
import { CheckpointStore } from './checkpoint-store.ts';
import { findByIdentity, identityOf, scanGlobs } from './file-discovery.ts';
import type { FoundFile } from './file-discovery.ts';
import { resolveFileOptions } from './file-source-options.ts';
import type { FileSourceOptions, ResolvedFileOptions } from './file-source-options.ts';
import { PathTemplate } from './path-template.ts';
import { Tailer } from './tailer.ts';
import type { TailerHost } from './tailer.ts';
import { PollingLifecycle } from '../common/polling-lifecycle.ts';
import { PollProblems, Sleeper } from '../common/poll-problems.ts';

const PUMP_BUDGET_BYTES = 8 * 1024 * 1024;

export class FileSource implements Source, TailerHost {
  readonly kind = 'file';
  readonly name: string;
  readonly opts: ResolvedFileOptions;
  private readonly clock: Clock;
  private readonly store: CheckpointStore;
  private readonly template: PathTemplate | undefined;
  private readonly tailers = new Map<string, Tailer>();
  private readonly problems = new PollProblems((path, message) => this.downstream.reject(this.name, 'unreadable-file', path, message));
  private readonly sleeper = new Sleeper();
  private readonly life = new PollingLifecycle({
    prepare: async () => {
      await this.store.load();
      await this.discover(true);
    },
    loop: () => this.run(),
    wake: () => this.sleeper.wakeUp(),
    drain: () => this.flushCheckpoint(true),
    release: async () => {
      for (const t of this.tailers.values()) await t.close();
      this.tailers.clear();
    },
  });
  private ds: Downstream | undefined;
  private lastScan = -Infinity;

  constructor(options: FileSourceOptions, clock: Clock = systemClock) {
    this.opts = resolveFileOptions(options);
    this.name = options.name;
    this.clock = clock;
    this.store = new CheckpointStore(options.checkpointPath);
    const rule = options.deviceId;
    this.template = 'fromPath' in rule ? new PathTemplate(rule.fromPath, `sources.${options.name}.deviceId.fromPath`) : undefined;
  }

  get downstream(): Downstream {
    if (this.ds === undefined) throw new Error(`file source ${this.name} used before start()`);
    return this.ds;
  }

  get stopping(): boolean {
    return !this.life.running;
  }

  monoNow(): number {
    return this.clock.now();
  }

  /** Loads the checkpoint, scans once (startAt applies to this scan only), then runs in the background. */
  start(downstream: Downstream): Promise<void> {
    if (this.life.phase === 'new') this.ds = downstream;
    return this.life.start();
  }

  stop(): Promise<void> {
    return this.life.stop();
  }

  health(): SourceHealth {
    let rotated = 0;
    for (const t of this.tailers.values()) if (t.rotated) rotated++;
    const n = this.tailers.size;
    const base =
      this.life.running ? `watching ${n} file${n === 1 ? '' : 's'}${rotated > 0 ? ` (${rotated} rotated)` : ''}` : this.life.phase;
    return this.problems.health(this.life.running, base);
  }

  /** Called by a tailer after its committed offset advanced. Never throws for a failed write (retried later). */
  async committed(t: Tailer): Promise<void> {
    await t.refreshHead();
    this.store.set(t.key, t.checkpointEntry());
    if (this.store.due(this.clock.now(), this.opts.checkpointIntervalMs)) await this.flushCheckpoint(false);
  }

  private async run(): Promise<void> {
    while (this.life.running) {
      this.problems.beginRound();
      if (this.clock.now() - this.lastScan >= this.opts.pollIntervalMs) {
        await this.discover(false).catch((e: unknown) => this.problems.failed('scan', e));
      }
      let progressed = false;
      for (const t of this.tailers.values()) {
        if (!this.life.running) break;
        const p = t.predecessor;
        if (p !== undefined) {
          if (!p.closed && p.hasUnread()) continue;
          if (p.closed) t.predecessor = undefined;
        }
        try {
          if ((await t.pump(PUMP_BUDGET_BYTES)) > 0) progressed = true;
        } catch (e) {
          this.problems.failed(t.path, e);
        }
      }
      await this.closeIdle();
      if (this.store.due(this.clock.now(), this.opts.checkpointIntervalMs)) await this.flushCheckpoint(false);
      this.problems.endRound();
      if (!progressed && this.life.running) await this.sleeper.sleep(this.opts.pollIntervalMs);
    }
  }

  private async discover(initial: boolean): Promise<void> {
    this.lastScan = this.clock.now();
    const { files, errors } = await scanGlobs(this.opts.paths);
    for (const e of errors) this.problems.problem(e.path, e.message);
    if (initial) await this.resumeRotated(files);
    for (const f of files.values()) {
      const t = this.tailers.get(f.key);
      if (t === undefined) continue;
      t.path = f.path;
      t.rotated = false;
    }
    // With an incomplete scan we cannot tell "renamed away" from "not listed": change nothing.
    if (errors.length === 0) {
      for (const t of this.tailers.values()) {
        if (files.has(t.key) || t.rotated) continue;
        t.rotated = true;
        t.lastGrowth = this.clock.now();
        t.path = (await t.currentPath()) ?? t.path;
        this.store.set(t.key, t.checkpointEntry()); // so a restart can find it under its new name
      }
    }
    const fresh = [...files.values()].filter((f) => !this.tailers.has(f.key)).sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of fresh) await this.openFound(f, initial);
    for (const t of this.tailers.values()) {
      if (!t.rotated && (await t.headChanged())) await t.truncated();
    }
    // Forget files that are gone (not open, not listed); a listed file we could not open keeps its offset.
    if (errors.length === 0) for (const key of [...this.store.keys()]) if (!this.tailers.has(key) && !files.has(key)) this.store.delete(key);
  }

  /**
   * After a restart: files in the checkpoint that no glob matches any more (rotated away, maybe
   * while we were stopped) but still exist, under their last known name or another name in the
   * same directory. They are read to their end before the file that took their name.
   */
  private async resumeRotated(files: Map<string, FoundFile>): Promise<void> {
    for (const key of [...this.store.keys()]) {
      const e = this.store.get(key);
      if (e === undefined || files.has(key)) continue;
      const path = (await identityOf(e.path)) === key ? e.path : await findByIdentity(dirname(e.path), key);
      if (path === undefined) continue;
      const t = await this.openTailer(path, e.origin, e.deviceId);
      if (t === undefined) continue;
      if (t.key !== key || !(await t.matches(e))) {
        await t.close();
        continue;
      }
      await t.position(e.offset);
      t.rotated = true;
      this.tailers.set(key, t);
    }
  }

  private async openFound(f: FoundFile, initial: boolean): Promise<void> {
    const entry = this.store.get(f.key);
    const t = await this.openTailer(f.path, entry?.origin ?? f.path, this.deviceIdFor(f.path) ?? entry?.deviceId);
    if (t === undefined) return;
    if (t.key !== f.key || this.tailers.has(t.key)) {
      await t.close(); // replaced between scan and open: the next scan sees the new file
      return;
    }
    let at: number | 'end' = 0;
    if (entry !== undefined && (await t.matches(entry))) at = entry.offset;
    else if (entry === undefined && initial && this.opts.startAt === 'end') at = 'end';
    await t.position(at);
    for (const r of this.tailers.values()) if (r.rotated && !r.closed && r.origin === t.origin) t.predecessor = r;
    this.tailers.set(t.key, t);
    this.store.set(t.key, t.checkpointEntry());
  }

  private async openTailer(path: string, origin: string, deviceId: string | undefined): Promise<Tailer | undefined> {
    try {
      const t = await Tailer.open(this, path, origin, deviceId);
      this.problems.forget(path);
      return t;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.problems.failed(path, e);
      return undefined;
    }
  }

  private async closeIdle(): Promise<void> {
    if (!this.life.running) return; // a stopping source keeps rotated files in its checkpoint
    const now = this.clock.now();
    for (const t of [...this.tailers.values()]) {
      if (!t.rotated || t.hasUnread() || now - t.lastGrowth < this.opts.rotateWaitMs) continue;
      try {
        await t.finish();
      } catch (e) {
        this.problems.failed(t.path, e);
        continue;
      }
      this.tailers.delete(t.key);
      this.store.delete(t.key);
    }
  }

  private deviceIdFor(path: string): string | undefined {
    const rule = this.opts.deviceId;
    if ('fixed' in rule) return rule.fixed;
    return this.template?.match(path);
  }

  private async flushCheckpoint(rethrow: boolean): Promise<void> {
    try {
      await this.store.flush(this.clock.now());
    } catch (e) {
      if (rethrow || !isShardwiseError(e)) throw e;
      this.problems.note(`${e.code}: ${e.message}`);
    }
  }

}
