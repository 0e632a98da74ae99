/**
 * Out-of-order acknowledgements → a low-water mark (every id below it is done).
 *
 * Holds only the entries handed out and not yet acknowledged, in a ring of typed arrays
 * (ids ascending, as `read` hands them out): memory follows the in-flight window, never the
 * backlog. Ids may have gaps (records lost to corruption or dropped by a failed write).
 */
export class AckTracker {
  private ids: Float64Array;
  private times: Float64Array;
  private acked: Uint8Array;
  private mask: number;
  private head = 0;
  private count = 0;
  private ackedInRing = 0;
  /** One past the highest id handed out or skipped. */
  private frontier: number;

  constructor(lowWaterMark: number, initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.ids = new Float64Array(cap);
    this.times = new Float64Array(cap);
    this.acked = new Uint8Array(cap);
    this.mask = cap - 1;
    this.frontier = lowWaterMark;
  }

  /** Smallest id not yet done. */
  lowWaterMark(): number {
    return this.count > 0 ? this.ids[this.head]! : this.frontier;
  }

  /** Handed out and not yet acknowledged. */
  inFlight(): number {
    return this.count - this.ackedInRing;
  }

  /** Ingest time of the oldest entry handed out and not acknowledged, or NaN. */
  oldestIngestTime(): number {
    return this.count > 0 ? this.times[this.head]! : Number.NaN;
  }

  /** Records an id handed out; ids must rise. */
  handOut(id: number, ingestTime: number): void {
    if (id < this.frontier) throw new Error(`spool: id ${id} handed out below the frontier ${this.frontier}`);
    if (this.count === this.ids.length) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.ids[i] = id;
    this.times[i] = ingestTime;
    this.acked[i] = 0;
    this.count++;
    this.frontier = id + 1;
  }

  /** Marks an id done; false when it is not in flight (unknown, repeated or forgotten). */
  ack(id: number): boolean {
    const k = this.find(id);
    if (k < 0) return false;
    const i = (this.head + k) & this.mask;
    if (this.acked[i] === 1) return false;
    this.acked[i] = 1;
    this.ackedInRing++;
    while (this.count > 0 && this.acked[this.head] === 1) {
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.ackedInRing--;
    }
    return true;
  }

  /** Whether the id is done: below the low-water mark, or acknowledged out of order. */
  isDone(id: number): boolean {
    if (id < this.lowWaterMark()) return true;
    const k = this.find(id);
    return k >= 0 && this.acked[(this.head + k) & this.mask] === 1;
  }

  /**
   * Forgets everything below `id` (the records were dropped): later acks for them are ignored
   * and the low-water mark moves to at least `id`. Returns how many were in flight unacknowledged.
   */
  discardBelow(id: number): number {
    let unacked = 0;
    while (this.count > 0 && this.ids[this.head]! < id) {
      if (this.acked[this.head] === 1) this.ackedInRing--;
      else unacked++;
      this.head = (this.head + 1) & this.mask;
      this.count--;
    }
    while (this.count > 0 && this.acked[this.head] === 1) {
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.ackedInRing--;
    }
    if (this.frontier < id) this.frontier = id;
    return unacked;
  }

  /** Ids below `id` that were never handed out are gone (skipped as damaged): let the mark pass them. */
  skipTo(id: number): void {
    if (this.frontier < id) this.frontier = id;
  }

  /** Logical index of `id` in the ring, or -1. */
  private find(id: number): number {
    if (this.count === 0) return -1;
    const first = this.ids[this.head]!;
    if (id < first) return -1;
    const guess = id - first;
    if (guess < this.count && this.ids[(this.head + guess) & this.mask] === id) return guess;
    let lo = 0;
    let hi = Math.min(this.count - 1, guess);
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[(this.head + mid) & this.mask]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private grow(): void {
    const cap = this.ids.length * 2;
    const ids = new Float64Array(cap);
    const times = new Float64Array(cap);
    const acked = new Uint8Array(cap);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      ids[k] = this.ids[i]!;
      times[k] = this.times[i]!;
      acked[k] = this.acked[i]!;
    }
    this.ids = ids;
    this.times = times;
    this.acked = acked;
    this.mask = cap - 1;
    this.head = 0;
  }
}
