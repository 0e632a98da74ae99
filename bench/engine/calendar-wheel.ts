/**
 * A calendar queue over device due times (operational ms): `count` buckets of `width` ms in a
 * ring, each an intrusive singly linked list through one Int32Array (4 bytes per device, no
 * allocation). A device due beyond one turn of the ring sits in its bucket and is skipped until
 * its turn comes. O(1) insert; a drain touches each bucket once per turn.
 */

/** Called for each device that is due before `until`; it must emit, advance `due`, then `insert` the device again. */
export interface DueVisitor {
  fire(device: number, until: number): void;
}

export class CalendarWheel {
  readonly heads: Int32Array;
  readonly next: Int32Array;
  private readonly mask: number;
  /** Absolute number of the bucket the drain is at. */
  private cursor = 0;

  constructor(
    private readonly due: Float64Array,
    readonly width: number,
    bucketCount: number,
  ) {
    if (!(width > 0)) throw new RangeError(`calendar wheel width: expected > 0, got ${width}`);
    let b = 1;
    while (b < bucketCount) b <<= 1;
    this.heads = new Int32Array(b).fill(-1);
    this.next = new Int32Array(due.length).fill(-1);
    this.mask = b - 1;
  }

  get bucketCount(): number {
    return this.mask + 1;
  }

  /** Operational time the drain has reached (start of the current bucket). */
  get time(): number {
    return this.cursor * this.width;
  }

  insert(device: number): void {
    const t = this.due[device] as number;
    if (t === Infinity) return;
    let abs = Math.floor(t / this.width);
    if (abs < this.cursor) abs = this.cursor;
    const b = abs & this.mask;
    this.next[device] = this.heads[b] as number;
    this.heads[b] = device;
  }

  /** Fires every device due before `until` (bucket by bucket, in time order between buckets). */
  drain(until: number, visitor: DueVisitor): void {
    const width = this.width;
    const heads = this.heads;
    const next = this.next;
    const due = this.due;
    for (;;) {
      const start = this.cursor * width;
      if (start >= until) return;
      const end = start + width;
      const limit = end < until ? end : until;
      const b = this.cursor & this.mask;
      let d = heads[b] as number;
      heads[b] = -1;
      while (d >= 0) {
        const after = next[d] as number;
        if ((due[d] as number) < limit) visitor.fire(d, limit);
        else {
          next[d] = heads[b] as number;
          heads[b] = d;
        }
        d = after;
      }
      if (end > until) return; // partial bucket: stay on it
      this.cursor++;
    }
  }

  /**
   * A lower bound on the next due time: the start of the first non-empty bucket among the next
   * `maxBuckets`, or the end of that scan when they are all empty.
   */
  nextBusyTime(maxBuckets: number): number {
    const n = Math.min(maxBuckets, this.mask + 1);
    for (let k = 0; k < n; k++) {
      if ((this.heads[(this.cursor + k) & this.mask] as number) >= 0) return (this.cursor + k) * this.width;
    }
    return (this.cursor + n) * this.width;
  }

  bytesPerDevice(): number {
    return 4;
  }
}
