import type { ShardLimiter } from './token-bucket.ts';
import type { Pending, PendingTable } from './pending.ts';

const INITIAL_CAPACITY = 256;
const SHRINK_ABOVE = 16_384;

/**
 * The queue of one open shard. A lane has at most one PutRecords request in flight, so records of a
 * shard (hence of a partition key) leave in order, and failed ones go back to its front.
 * It queues slot numbers of the producer's PendingTable in a ring (an Int32Array that doubles when
 * full), so queueing allocates nothing per record.
 */
export class Lane<T> {
  private ring = new Int32Array(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  /** Ring index of the first record. */
  private head = 0;
  private count = 0;
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
    return this.count;
  }

  peek(): Pending | undefined {
    return this.count > 0 ? (this.ring[this.head] as Pending) : undefined;
  }

  push(p: Pending): void {
    if (this.count === this.ring.length) this.grow(this.count + 1);
    this.ring[(this.head + this.count) & this.mask] = p;
    this.count++;
    this.bytes += this.table.bytes(p);
  }

  shift(): Pending | undefined {
    if (this.count === 0) return undefined;
    const p = this.ring[this.head] as Pending;
    this.head = (this.head + 1) & this.mask;
    this.bytes -= this.table.bytes(p);
    if (--this.count === 0 && this.ring.length > SHRINK_ABOVE) {
      // A burst grew the ring: give the memory back once it is empty.
      this.ring = new Int32Array(INITIAL_CAPACITY);
      this.mask = INITIAL_CAPACITY - 1;
      this.head = 0;
    }
    return p;
  }

  /** Puts records back at the front, keeping their order (they are older than anything queued). */
  unshiftAll(ps: readonly Pending[]): void {
    if (ps.length === 0) return;
    if (this.count + ps.length > this.ring.length) this.grow(this.count + ps.length);
    for (let i = ps.length - 1; i >= 0; i--) {
      const p = ps[i] as Pending;
      this.head = (this.head - 1) & this.mask;
      this.ring[this.head] = p;
      this.count++;
      this.bytes += this.table.bytes(p);
    }
  }

  /** Removes and returns everything queued. */
  drain(): Pending[] {
    const out: Pending[] = [];
    for (let p = this.shift(); p !== undefined; p = this.shift()) out.push(p);
    return out;
  }

  /** A ring of at least `min` slots (a power of two), records kept in order from index 0. */
  private grow(min: number): void {
    let cap = this.ring.length * 2;
    while (cap < min) cap *= 2;
    const next = new Int32Array(cap);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) & this.mask] as number;
    this.ring = next;
    this.mask = cap - 1;
    this.head = 0;
  }
}
