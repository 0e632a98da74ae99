import { isShardwiseError } from '../../core/errors.ts';
import type { SourceHealth } from '../source.ts';

/**
 * Error bookkeeping of a polling source (files, video): the last error shows in health until a
 * round passes without one; an I/O problem is reported (rejected as `unreadable-file`) once per
 * path and message; a ShardwiseError from downstream only shows in health; anything else is a bug
 * and propagates.
 */
export class PollProblems {
  lastError: string | undefined;
  private errorsThisRound = 0;
  private readonly reported = new Map<string, string>();

  /** `report(path, message)`: what to do the first time a path shows a given problem. */
  constructor(private readonly report: (path: string, message: string) => void) {}

  beginRound(): void {
    this.errorsThisRound = 0;
  }

  endRound(): void {
    if (this.errorsThisRound === 0) this.lastError = undefined;
  }

  failed(path: string, e: unknown): void {
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string') this.problem(path, e.message);
    else if (isShardwiseError(e)) this.note(`${e.code}: ${e.message}`);
    else throw e;
  }

  problem(path: string, message: string): void {
    this.note(`${path}: ${message}`);
    if (this.reported.get(path) === message) return;
    this.reported.set(path, message);
    this.report(path, message);
  }

  note(message: string): void {
    this.lastError = message;
    this.errorsThisRound++;
  }

  /** Up while running with no error this round; the state names the last error. */
  health(running: boolean, state: string): SourceHealth {
    const err = this.lastError;
    return { up: running && err === undefined, state: err === undefined ? state : `${state}; last error: ${err}` };
  }

  /** The path works again: a later problem is reported anew. */
  forget(path: string): void {
    this.reported.delete(path);
  }
}

/** A sleep between polls that stop() can cut short. */
export class Sleeper {
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  wakeUp(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
