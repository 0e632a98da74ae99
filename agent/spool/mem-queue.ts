/**
 * Entries held in memory, ids contiguous and ascending: the whole store of a memory spool and
 * the in-memory tail of a spill spool. Keeps entries handed out until they are acknowledged
 * (their bytes count against the budget) and a read position for the next hand-out.
 *
 * An entry is kept as its parts in a ring of columns (the data as its ArrayBuffer, offset and
 * length; numbers in typed arrays) that doubles when full, and each hand-out is a new item.
 * Thousands of entries wait here for tens of milliseconds at full speed: an object per entry, or
 * arrays that grow and are copied as entries come and go, would outlive a small young generation
 * and be promoted (docs/in-flight-records.md). Items handed out die young.
 */
import type { SpoolEntry, SpoolItem, SpoolSink } from './spool.ts';

const INITIAL_CAPACITY = 1024;
const SHRINK_ABOVE = 65_536;

export class MemQueue {
  private pks!: (string | undefined)[];
  private ehks!: (string | undefined)[];
  /** The entry's data is `bufs[i]` from `offs[i]`, `lens[i]` long; undefined once released. */
  private bufs!: (ArrayBufferLike | undefined)[];
  private devices!: (string | undefined)[];
  private offs!: Float64Array;
  private lens!: Int32Array;
  private ingest!: Float64Array;
  private sizes!: Float64Array;
  private mask = 0;
  /** Ring index of the entry with id `baseId` (the oldest live one, when any). */
  private start = 0;
  /** Entries from `baseId` on that have ring slots (live, released, or unread). */
  private length = 0;
  /** Position (from `start`) of the next entry to hand out. */
  private readPos = 0;
  private baseId = 0;
  bytes = 0;
  count = 0;

  constructor() {
    this.allocate(INITIAL_CAPACITY);
  }

  /** Appends an entry with an id that follows the last one (any id when empty). */
  push(e: SpoolEntry, id: number, size: number): void {
    if (this.count === 0 && this.readPos >= this.length) this.reset(id);
    else if (id !== this.baseId + this.length) {
      throw new Error(`spool: memory queue expected id ${this.baseId + this.length}, got ${id}`);
    }
    if (this.length === this.bufs.length) this.resize(this.bufs.length * 2);
    const i = (this.start + this.length) & this.mask;
    const d = e.data;
    this.pks[i] = e.partitionKey;
    this.ehks[i] = e.explicitHashKey;
    this.bufs[i] = d.buffer;
    this.devices[i] = e.deviceId;
    this.offs[i] = d.byteOffset;
    this.lens[i] = d.length;
    this.ingest[i] = e.ingestTime;
    this.sizes[i] = size;
    this.length++;
    this.bytes += size;
    this.count++;
  }

  hasUnread(): boolean {
    return this.readPos < this.length;
  }

  /** Id of the next item `readInto` would hand out, or undefined. */
  nextUnreadId(): number | undefined {
    return this.readPos < this.length ? this.baseId + this.readPos : undefined;
  }

  /** Ingest time of the oldest live item, or NaN. */
  oldestIngestTime(): number {
    return this.count > 0 ? (this.ingest[this.start] as number) : Number.NaN;
  }

  /** Appends up to `max` unread items to `out`. */
  readInto(out: SpoolItem[], max: number): void {
    while (out.length < max && this.readPos < this.length) {
      const k = this.readPos++;
      if (this.bufs[(this.start + k) & this.mask] !== undefined) out.push(this.item(k));
    }
  }

  /** Hands up to `max` unread items to `sink` as their parts (no item, no view); returns how many. */
  readTo(sink: SpoolSink, max: number): number {
    let n = 0;
    while (n < max && this.readPos < this.length) {
      const k = this.readPos++;
      const i = (this.start + k) & this.mask;
      const buf = this.bufs[i];
      if (buf === undefined) continue;
      sink.take(this.baseId + k, this.pks[i] as string, this.ehks[i], buf, this.offs[i] as number, this.lens[i] as number, this.devices[i] as string, this.ingest[i] as number);
      n++;
    }
    return n;
  }

  /** Frees an acknowledged item; false when it is not held. */
  release(id: number): boolean {
    const k = id - this.baseId;
    if (k < 0 || k >= this.length) return false;
    const i = (this.start + k) & this.mask;
    if (this.bufs[i] === undefined) return false;
    this.clear(i);
    this.bytes -= this.sizes[i] as number;
    this.count--;
    this.advanceHead();
    return true;
  }

  /** Removes and returns the oldest item not yet handed out (drop-oldest), if any. */
  dropOldestUnread(): SpoolItem | undefined {
    while (this.readPos < this.length) {
      const k = this.readPos++;
      if (this.bufs[(this.start + k) & this.mask] === undefined) continue;
      const it = this.item(k);
      this.release(it.id);
      return it;
    }
    return undefined;
  }

  /** Removes every live item, oldest first, calling `each` with it and its size. */
  drain(each: (item: SpoolItem, size: number) => void): void {
    for (let k = 0; k < this.length; k++) {
      const i = (this.start + k) & this.mask;
      if (this.bufs[i] !== undefined) each(this.item(k), this.sizes[i] as number);
    }
    this.reset(this.baseId + this.length);
  }

  /** The item at position k from `start`. */
  private item(k: number): SpoolItem {
    const i = (this.start + k) & this.mask;
    return {
      id: this.baseId + k,
      partitionKey: this.pks[i] as string,
      explicitHashKey: this.ehks[i],
      data: new Uint8Array(this.bufs[i] as ArrayBuffer, this.offs[i], this.lens[i]),
      deviceId: this.devices[i] as string,
      ingestTime: this.ingest[i] as number,
    };
  }

  private clear(i: number): void {
    this.pks[i] = undefined;
    this.ehks[i] = undefined;
    this.bufs[i] = undefined;
    this.devices[i] = undefined;
  }

  /** Drops released entries from the front. */
  private advanceHead(): void {
    while (this.length > 0 && this.bufs[this.start] === undefined) {
      this.start = (this.start + 1) & this.mask;
      this.baseId++;
      this.length--;
      if (this.readPos > 0) this.readPos--;
    }
    if (this.length === 0) this.reset(this.baseId);
  }

  private reset(baseId: number): void {
    for (let k = 0; k < this.length; k++) this.clear((this.start + k) & this.mask);
    if (this.bufs.length > SHRINK_ABOVE) this.allocate(INITIAL_CAPACITY);
    this.start = 0;
    this.length = 0;
    this.readPos = 0;
    this.baseId = baseId;
    this.bytes = 0;
    this.count = 0;
  }

  /** Moves the entries to new columns of `cap` slots, oldest at index 0. */
  private resize(cap: number): void {
    const old = { pks: this.pks, ehks: this.ehks, bufs: this.bufs, devices: this.devices, offs: this.offs, lens: this.lens, ingest: this.ingest, sizes: this.sizes };
    const oldMask = this.mask;
    this.allocate(cap);
    for (let k = 0; k < this.length; k++) {
      const j = (this.start + k) & oldMask;
      this.pks[k] = old.pks[j];
      this.ehks[k] = old.ehks[j];
      this.bufs[k] = old.bufs[j];
      this.devices[k] = old.devices[j];
      this.offs[k] = old.offs[j] as number;
      this.lens[k] = old.lens[j] as number;
      this.ingest[k] = old.ingest[j] as number;
      this.sizes[k] = old.sizes[j] as number;
    }
    this.start = 0;
  }

  /** Empty columns of `cap` slots (a power of two). */
  private allocate(cap: number): void {
    this.pks = new Array<string | undefined>(cap).fill(undefined);
    this.ehks = new Array<string | undefined>(cap).fill(undefined);
    this.bufs = new Array<ArrayBufferLike | undefined>(cap).fill(undefined);
    this.devices = new Array<string | undefined>(cap).fill(undefined);
    this.offs = new Float64Array(cap);
    this.lens = new Int32Array(cap);
    this.ingest = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.mask = cap - 1;
  }
}
