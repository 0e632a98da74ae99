/**
 * One `append` call in progress: resolves once each of its entries is stored (as durably as
 * configured) or counted as dropped. Completion is counted per entry, not per closure.
 */
import { ShardwiseError } from '../core/errors.ts';
import type { AppendResult, SpoolEntry } from './spool.ts';

export class AppendTicket {
  readonly promise: Promise<AppendResult>;
  private remaining: number;
  private appended = 0;
  private dropped = 0;
  private resolveFn!: (r: AppendResult) => void;
  private rejectFn!: (e: Error) => void;
  private settled = false;

  constructor(
    readonly entries: readonly SpoolEntry[],
    /** The input can be read again (see AppendOptions.replayable). */
    readonly replayable = false,
    /** Next entry to admit (entries before it are admitted or dropped). */
    public next = 0,
  ) {
    this.remaining = entries.length;
    this.promise = new Promise<AppendResult>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    if (this.remaining === 0) this.finish();
  }

  /** `n` entries are stored. */
  stored(n: number): void {
    this.appended += n;
    this.remaining -= n;
    if (this.remaining === 0) this.finish();
  }

  /** `n` entries were dropped (counted elsewhere with their reason). */
  drop(n: number): void {
    this.dropped += n;
    this.remaining -= n;
    if (this.remaining === 0) this.finish();
  }

  /** Gives up on the entries not yet admitted or stored (spool closed). */
  fail(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(e);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn({ appended: this.appended, dropped: this.dropped });
  }
}

/** What `append` rejects with before open() or after close(). */
export function closedError(state: 'new' | 'open' | 'closed'): ShardwiseError {
  return new ShardwiseError('E_SPOOL_CLOSED', state === 'new' ? 'spool: append before open()' : 'spool: closed', { retryable: false });
}
