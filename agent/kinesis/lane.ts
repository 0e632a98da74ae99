import type { ShardLimiter } from './token-bucket.ts';
import type { Pending } from './pending.ts';

/**
 * The queue of one open shard. A lane has at most one PutRecords request in flight, so records of a
 * shard (hence of a partition key) leave in order, and failed ones go back to its front.
 */
export class Lane<T> {
  private items: Pending<T>[] = [];
  private head = 0;
  bytes = 0;
  inFlight = false;
  /** Consecutive failed attempts, for the lane's backoff. */
  failures = 0;
  notBefore = 0;

  constructor(
    readonly shardId: string,
    readonly limiter: ShardLimiter | undefined,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): Pending<T> | undefined {
    return this.items[this.head];
  }

  at(i: number): Pending<T> | undefined {
    return this.items[this.head + i];
  }

  push(p: Pending<T>): void {
    this.items.push(p);
    this.bytes += p.bytes;
  }

  shift(): Pending<T> | undefined {
    const p = this.items[this.head];
    if (p === undefined) return undefined;
    this.items[this.head] = undefined as unknown as Pending<T>;
    this.head++;
    this.bytes -= p.bytes;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  /** Puts records back at the front, keeping their order (they are older than anything queued). */
  unshiftAll(ps: readonly Pending<T>[]): void {
    if (ps.length === 0) return;
    if (this.head >= ps.length) {
      this.head -= ps.length;
      for (let i = 0; i < ps.length; i++) this.items[this.head + i] = ps[i] as Pending<T>;
    } else {
      this.items = [...ps, ...this.items.slice(this.head)];
      this.head = 0;
    }
    for (const p of ps) this.bytes += p.bytes;
  }

  /** Removes and returns everything queued. */
  drain(): Pending<T>[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return out;
  }
}
