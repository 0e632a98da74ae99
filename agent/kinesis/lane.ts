import type { ShardLimiter } from './token-bucket.ts';
import type { Pending, PendingTable } from './pending.ts';

/**
 * The queue of one open shard. A lane has at most one PutRecords request in flight, so records of a
 * shard (hence of a partition key) leave in order, and failed ones go back to its front.
 * It queues slot numbers of the producer's PendingTable (an array of small integers).
 */
export class Lane<T> {
  private items: Pending[] = [];
  private head = 0;
  bytes = 0;
  inFlight = false;
  /** Consecutive failed attempts, for the lane's backoff. */
  failures = 0;
  notBefore = 0;

  constructor(
    readonly shardId: string,
    readonly limiter: ShardLimiter | undefined,
    private readonly table: PendingTable<T>,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): Pending | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  push(p: Pending): void {
    this.items.push(p);
    this.bytes += this.table.bytes(p);
  }

  shift(): Pending | undefined {
    if (this.head >= this.items.length) return undefined;
    const p = this.items[this.head++] as Pending;
    this.bytes -= this.table.bytes(p);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  /** Puts records back at the front, keeping their order (they are older than anything queued). */
  unshiftAll(ps: readonly Pending[]): void {
    if (ps.length === 0) return;
    if (this.head >= ps.length) {
      this.head -= ps.length;
      for (let i = 0; i < ps.length; i++) this.items[this.head + i] = ps[i] as Pending;
    } else {
      this.items = [...ps, ...this.items.slice(this.head)];
      this.head = 0;
    }
    for (const p of ps) this.bytes += this.table.bytes(p);
  }

  /** Removes and returns everything queued. */
  drain(): Pending[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return out;
  }
}
