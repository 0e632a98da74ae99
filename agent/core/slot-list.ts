/**
 * Slot numbers for a table kept in columns (typed arrays and arrays of references, one entry per
 * slot): freed slots are reused, new ones are numbered on from the last, and the table is told to
 * grow its columns (doubling) when every slot is taken, and to go back to its first size once no
 * slot is held after a burst grew it. Used where thousands of records are held for tens of
 * milliseconds and an object per record would outlive the young generation.
 */

/** What a table does with its columns for its SlotList. */
export interface SlotColumns {
  /** Make every column hold n slots, keeping the slots below the old capacity. */
  grow(n: number): void;
  /** Nothing is held: replace every column with an empty one of n slots. */
  shrink(n: number): void;
}

export class SlotList {
  private free: Int32Array;
  private freeCount = 0;
  /** Slots ever taken since the table was last empty (the next new one). */
  private used = 0;
  private held = 0;
  private capacity: number;

  constructor(
    private readonly initial: number,
    private readonly columns: SlotColumns,
  ) {
    this.capacity = initial;
    this.free = new Int32Array(initial);
  }

  /** Slots taken and not given back. */
  get count(): number {
    return this.held;
  }

  take(): number {
    this.held++;
    if (this.freeCount > 0) return this.free[--this.freeCount] as number;
    if (this.used === this.capacity) {
      this.capacity *= 2;
      const f = new Int32Array(this.capacity);
      f.set(this.free);
      this.free = f;
      this.columns.grow(this.capacity);
    }
    return this.used++;
  }

  /** Gives slot p back (its columns' values may stay: the next take overwrites them). */
  give(p: number): void {
    this.free[this.freeCount++] = p;
    if (--this.held > 0) return;
    // None held: numbering starts again from 0, and a grown table goes back to its first size.
    this.freeCount = 0;
    this.used = 0;
    if (this.capacity > this.initial) {
      this.capacity = this.initial;
      this.free = new Int32Array(this.initial);
      this.columns.shrink(this.initial);
    }
  }
}

/** A copy of `a` with `length` elements (the first a.length kept). */
export function grown<A extends Uint32Array | Int32Array | Float64Array>(a: A, length: number): A {
  const b = new (a.constructor as new (n: number) => A)(length);
  b.set(a);
  return b;
}
