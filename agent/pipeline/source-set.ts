/**
 * The agent's sources as one lifecycle part (`sources`), changeable while the agent runs (SIGHUP,
 * agent/reload.ts). `list` is live: metrics, `/status` and `/healthz` read it on every call.
 *
 * Every operation (start, stop, change) runs one after another. A change first stops the sources
 * it removes or replaces, each gracefully (`Source.stop()` waits for its in-flight `accept` calls
 * and persists its checkpoint, so nothing acknowledged upstream is lost and a replacement with the
 * same name resumes where the old one stopped), then starts the new instances. A new instance that
 * fails to start is stopped again; a replacement that fails gets the old configuration back
 * (`restore`), so a bad change never leaves an input unread that was read before.
 */
import type { Part } from '../lifecycle/lifecycle.ts';
import type { Logger } from '../log/logger.ts';
import type { Downstream, Source } from '../sources/source.ts';

export interface SourceChange {
  /** Names of running sources to stop and drop (removed, or about to be replaced). */
  readonly stop: readonly string[];
  /** New instances to start (added, or replacing a stopped one of the same name). */
  readonly start: readonly Source[];
  /** Final order of the list by name (display only). */
  readonly order: readonly string[];
  /** Runs after the stops and before the starts (e.g. the envelope learns which sources send JSON). */
  readonly between?: (() => void) | undefined;
  /** For a replacement that failed to start: a fresh instance with the previous configuration, if any. */
  readonly restore?: ((name: string) => Source | undefined) | undefined;
}

export interface SourceChangeResult {
  readonly stopped: readonly string[];
  readonly started: readonly string[];
  /** Sources whose new instance did not start; `restored` when the previous configuration runs again. */
  readonly failed: readonly { readonly name: string; readonly error: string; readonly restored: boolean }[];
}

export class SourceSet implements Part {
  readonly name = 'sources';
  /** The running sources (live array, changed in place). */
  readonly list: Source[];
  private state: 'new' | 'started' | 'stopped' = 'new';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    initial: readonly Source[],
    private readonly downstream: Downstream,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {
    this.list = [...initial];
  }

  /** Starts every source in order; if one fails, those already started are stopped and the error is rethrown. */
  start(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'new') return;
      const started: Source[] = [];
      for (const s of this.list) {
        try {
          await s.start(this.downstream);
        } catch (err) {
          await s.stop().catch(() => undefined);
          for (const t of started.reverse()) await t.stop().catch((e: unknown) => this.log.error({ err: e, source: t.name }, 'stopping a source failed'));
          throw err;
        }
        started.push(s);
      }
      this.state = 'started';
    });
  }

  /** Stops every source (in list order); a failure is logged, the others still stop, then the first error is rethrown. */
  stop(): Promise<void> {
    return this.serial(async () => {
      const was = this.state;
      this.state = 'stopped';
      if (was !== 'started') return;
      let first: unknown;
      for (const s of this.list) {
        try {
          await s.stop();
        } catch (err) {
          first ??= err;
          this.log.error({ err, source: s.name }, 'stopping a source failed; stopping the others');
        }
      }
      if (first !== undefined) throw first;
    });
  }

  /** Applies a change (see the file comment). Refused once the set is stopping. */
  change(c: SourceChange): Promise<SourceChangeResult> {
    return this.serial(async () => {
      if (this.state === 'stopped') throw new Error('the agent is stopping: sources not changed');
      const live = this.state === 'started';
      const stopped: string[] = [];
      for (const name of c.stop) {
        const at = this.list.findIndex((s) => s.name === name);
        const s = this.list[at];
        if (s === undefined) continue;
        this.list.splice(at, 1);
        if (live) {
          try {
            await s.stop();
          } catch (err) {
            this.log.error({ err, source: name }, 'stopping a source failed');
          }
        }
        stopped.push(name);
      }
      c.between?.();
      const started: string[] = [];
      const failed: { name: string; error: string; restored: boolean }[] = [];
      for (const s of c.start) {
        try {
          if (live) await s.start(this.downstream);
          this.list.push(s);
          started.push(s.name);
        } catch (err) {
          await s.stop().catch(() => undefined);
          const old = stopped.includes(s.name) ? c.restore?.(s.name) : undefined;
          const restored = old !== undefined && (await this.tryStart(old));
          failed.push({ name: s.name, error: (err as Error).message, restored });
          this.log.error({ err, source: s.name, restored }, restored ? 'the changed source did not start; running it with its previous configuration' : 'the new source did not start');
        }
      }
      const rank = new Map(c.order.map((n, i) => [n, i]));
      this.list.sort((a, b) => (rank.get(a.name) ?? Infinity) - (rank.get(b.name) ?? Infinity));
      return { stopped, started, failed };
    });
  }

  private async tryStart(s: Source): Promise<boolean> {
    try {
      await s.start(this.downstream);
      this.list.push(s);
      return true;
    } catch (err) {
      await s.stop().catch(() => undefined);
      this.log.error({ err, source: s.name }, 'the source did not start with its previous configuration either');
      return false;
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
