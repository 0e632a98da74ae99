/**
 * Persists the low-water mark: every `intervalMs` when it moved, and soon (next turn of the
 * event loop) when it passed the end of the oldest sealed segment so that segment can go.
 * After each attempt (even a failed one: deleting fully acknowledged segments is safe without
 * the cursor, they would only be skipped again) `afterPersist` removes acknowledged segments.
 */
import { errnoCode } from './fs-ops.ts';
import type { SpoolFs } from './fs-ops.ts';
import { saveCursor } from './cursor-state.ts';

export interface CursorKeeperOptions {
  readonly fs: SpoolFs;
  readonly dir: string;
  readonly sync: boolean;
  readonly intervalMs: number;
  readonly lowWaterMark: () => number;
  /** False while nothing is on disk (spill with a healthy sink): skip periodic writes, no wear. */
  readonly worthPersisting: () => boolean;
  readonly afterPersist: (lowWaterMark: number) => void;
  readonly ioError: (code: string, what: string) => void;
}

export class CursorKeeper {
  bytesWritten = 0;
  private persisted: number;
  private timer: NodeJS.Timeout | undefined;
  private soonScheduled = false;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly o: CursorKeeperOptions,
    persisted: number,
  ) {
    this.persisted = persisted;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.o.worthPersisting()) void this.persist();
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** Persist at the next turn of the event loop (a segment became deletable). */
  soon(): void {
    if (this.soonScheduled) return;
    this.soonScheduled = true;
    setImmediate(() => {
      this.soonScheduled = false;
      void this.persist();
    });
  }

  /** Stops the timer and persists a last time (always: ids keep rising across restarts). */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.persist();
    while (this.running !== undefined) await this.running;
  }

  persist(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    await null; // `running` is assigned before the body runs
    do {
      this.again = false;
      const lwm = this.o.lowWaterMark();
      if (lwm !== this.persisted) {
        try {
          this.bytesWritten += await saveCursor(this.o.fs, this.o.dir, lwm, this.o.sync);
          this.persisted = lwm;
        } catch (e) {
          this.o.ioError(errnoCode(e), 'cursor write');
        }
      }
      this.o.afterPersist(lwm);
    } while (this.again);
    this.running = undefined;
  }
}
