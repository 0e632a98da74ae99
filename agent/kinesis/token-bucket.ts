import type { Clock } from '../core/clock.ts';

/**
 * A token bucket that refills continuously at `ratePerSec` up to `capacity`.
 * A take larger than the capacity is allowed when the bucket is full (it goes into debt), so an
 * oversized cost never blocks forever.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSec: number,
    readonly capacity: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const dt = now - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (dt * this.ratePerSec) / 1000);
      this.last = now;
    }
  }

  /** True when `cost` can be taken now. */
  canTake(cost: number): boolean {
    this.refill();
    return this.tokens >= Math.min(cost, this.capacity);
  }

  take(cost: number): void {
    this.refill();
    this.tokens -= cost;
  }

  /** Milliseconds until `cost` can be taken (0 when it can now). */
  waitMs(cost: number): number {
    this.refill();
    const need = Math.min(cost, this.capacity) - this.tokens;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.ratePerSec);
  }
}

export interface ShardRateLimit {
  readonly recordsPerSec: number;
  readonly bytesPerSec: number;
}

/** Both per-shard write limits at once: an entry (aggregated or not) costs one record and its bytes. */
export class ShardLimiter {
  private readonly records: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(limit: ShardRateLimit, clock: Clock) {
    // One second of burst, like the service's own accounting window.
    this.records = new TokenBucket(limit.recordsPerSec, limit.recordsPerSec, clock);
    this.bytes = new TokenBucket(limit.bytesPerSec, limit.bytesPerSec, clock);
  }

  canSend(bytes: number): boolean {
    return this.records.canTake(1) && this.bytes.canTake(bytes);
  }

  charge(bytes: number): void {
    this.records.take(1);
    this.bytes.take(bytes);
  }

  waitMs(bytes: number): number {
    return Math.max(this.records.waitMs(1), this.bytes.waitMs(bytes));
  }
}
