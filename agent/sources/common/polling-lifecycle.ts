/**
 * The start/stop life of a source that polls in a loop (files, video segments): start once
 * (prepare, then the loop runs in the background), stop once (wake the loop, wait for it, drain,
 * release), whichever order and however often the two are called.
 */
export type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface PollingSteps {
  /** Before the loop: load state, first scan. A rejection rejects start(). */
  prepare(): Promise<void>;
  /** The loop; it must end soon after `phase` leaves 'running' and `wake` is called. */
  loop(): Promise<void>;
  /** Cuts the loop's sleep short. */
  wake(): void;
  /** After the loop ended: persist what must be (checkpoints). */
  drain(): Promise<void>;
  /** Last, also when drain failed: close what is open. */
  release(): Promise<void>;
}

export class PollingLifecycle {
  private current: Phase = 'new';
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private loopPromise: Promise<void> | undefined;

  constructor(private readonly steps: PollingSteps) {}

  get phase(): Phase {
    return this.current;
  }

  get running(): boolean {
    return this.current === 'running';
  }

  start(): Promise<void> {
    if (this.current !== 'new') return this.startPromise ?? Promise.resolve();
    this.current = 'starting';
    this.startPromise = this.doStart();
    return this.startPromise;
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStart(): Promise<void> {
    await this.steps.prepare();
    if (this.current !== 'starting') return;
    this.current = 'running';
    this.loopPromise = this.steps.loop();
  }

  private async doStop(): Promise<void> {
    // A failed start() already rejected to its caller; stop() only has to release what it opened.
    if (this.startPromise !== undefined) await this.startPromise.catch(() => undefined);
    this.current = 'stopping';
    this.steps.wake();
    try {
      if (this.loopPromise !== undefined) await this.loopPromise;
      await this.steps.drain();
    } finally {
      await this.steps.release();
      this.current = 'stopped';
    }
  }
}
