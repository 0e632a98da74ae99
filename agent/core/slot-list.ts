/**
 * Slot numbers for a table kept in columns (typed arrays and arrays of references, one entry per
 * slot): freed slots are reused, new ones are numbered on from the last, and the table is told to
 * grow its columns (doubling) when every slot is taken. Used where thousands of records are held
 * for tens of milliseconds and an object per record would outlive the young generation.
 */
export class SlotList {
  private free: Int32Array;
  private freeCount = 0;
  /** Slots ever taken since the last reset (the next new one). */
  private used = 0;
  private held = 0;

  /** `grow(n)`: make every column hold n slots, keeping slots below the old capacity. */
  constructor(
    private capacity: number,
    private readonly grow: (n: number) => void,
  ) {
    this.free = new Int32Array(capacity);
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
      this.grow(this.capacity);
    }
    return this.used++;
  }

  /** Gives slot p back; true when no slot is held any more (slots then start again from 0). */
  give(p: number): boolean {
    this.free[this.freeCount++] = p;
    if (--this.held > 0) return false;
    this.freeCount = 0;
    this.used = 0;
    return true;
  }

  /** Back to `capacity` slots, none held (after the table reallocated its columns at that size). */
  reset(capacity: number): void {
    this.capacity = capacity;
    this.free = new Int32Array(capacity);
    this.freeCount = 0;
    this.used = 0;
    this.held = 0;
  }

  get size(): number {
    return this.capacity;
  }
}

/** A copy of `a` with `length` elements (the first a.length kept). */
export function grown<A extends Uint32Array | Int32Array | Float64Array>(a: A, length: number): A {
  const b = new (a.constructor as new (n: number) => A)(length);
  b.set(a);
  return b;
}
