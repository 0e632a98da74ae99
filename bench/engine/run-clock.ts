/**
 * The run clock: ms since the run started. Real mode reads the wall clock; virtual mode returns
 * the simulated instant the engine sets. Keying (balanced) and targets read time through it.
 */
import type { Clock } from '../../agent/core/clock.ts';

export class RunClock implements Clock {
  private t0 = 0;
  private wall0 = 0;
  private t = 0;

  constructor(
    readonly virtual: boolean,
    private readonly base: Clock,
  ) {}

  /** Makes now run time 0; returns the wall-clock ms of run time 0 (a fixed epoch in virtual mode). */
  start(): number {
    this.t0 = this.base.now();
    this.wall0 = this.virtual ? 1_700_000_000_000 : this.base.wallNow();
    this.t = 0;
    return this.wall0;
  }

  /** Virtual mode: moves the clock to `ms` (never backwards). */
  set(ms: number): void {
    if (ms > this.t) this.t = ms;
  }

  now(): number {
    return this.virtual ? this.t : this.base.now() - this.t0;
  }

  wallNow(): number {
    return this.wall0 + this.now();
  }
}
