/**
 * A lifecycle part whose implementation a reload can replace while the agent runs (the metrics
 * endpoint, the summary logger): `swap` stops the current one and starts the next; when the next
 * one does not start (e.g. its port is taken), a fresh copy of the previous one is started again
 * and the error is rethrown. Start, stop and swap run one after another.
 */
import type { Part } from '../lifecycle/lifecycle.ts';

export interface Startable {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export class SwappablePart<T extends Startable> implements Part {
  private state: 'new' | 'started' | 'stopped' = 'new';
  private queue: Promise<unknown> = Promise.resolve();

  /** `current` may be undefined (e.g. the metrics endpoint is disabled). */
  constructor(
    readonly name: string,
    private current: T | undefined,
  ) {}

  get value(): T | undefined {
    return this.current;
  }

  start(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'new') return;
      await this.current?.start();
      this.state = 'started';
    });
  }

  stop(): Promise<void> {
    return this.serial(async () => {
      const was = this.state;
      this.state = 'stopped';
      if (was === 'started') await this.current?.stop();
    });
  }

  /** Replaces the implementation; `restore` builds a fresh copy of the previous one for the rollback. */
  swap(next: T | undefined, restore: () => T | undefined): Promise<void> {
    return this.serial(async () => {
      if (this.state === 'stopped') throw new Error(`${this.name}: the agent is stopping`);
      if (this.state === 'new') {
        this.current = next;
        return;
      }
      await this.current?.stop();
      this.current = next;
      try {
        await next?.start();
      } catch (err) {
        await Promise.resolve(next?.stop()).catch(() => undefined);
        const old = restore();
        try {
          await old?.start();
          this.current = old;
        } catch {
          this.current = undefined; // neither starts: the part runs without one (the error says why)
        }
        throw err;
      }
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
