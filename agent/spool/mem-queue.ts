/**
 * Entries held in memory, ids contiguous and ascending: the whole store of a memory spool and
 * the in-memory tail of a spill spool. Keeps entries handed out until they are acknowledged
 * (their bytes count against the budget) and a read position for the next hand-out.
 */
import type { SpoolItem } from './spool.ts';

export class MemQueue {
  private items: (SpoolItem | undefined)[] = [];
  private sizes: number[] = [];
  /** Index of the first live slot. */
  private head = 0;
  /** Index of the next slot to hand out. */
  private readPos = 0;
  /** Id of slot 0. */
  private baseId = 0;
  bytes = 0;
  count = 0;

  /** Appends an item whose id follows the last one (any id when empty). */
  push(item: SpoolItem, size: number): void {
    if (this.count === 0 && this.readPos >= this.items.length) this.reset(item.id);
    else if (item.id !== this.baseId + this.items.length) {
      throw new Error(`spool: memory queue expected id ${this.baseId + this.items.length}, got ${item.id}`);
    }
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
    this.count++;
  }

  hasUnread(): boolean {
    return this.readPos < this.items.length;
  }

  /** Id of the next item `readInto` would hand out, or undefined. */
  nextUnreadId(): number | undefined {
    return this.readPos < this.items.length ? this.baseId + this.readPos : undefined;
  }

  /** Ingest time of the oldest live item, or NaN. */
  oldestIngestTime(): number {
    return this.count > 0 ? this.items[this.head]!.ingestTime : Number.NaN;
  }

  /** Appends up to `max` unread items to `out`. */
  readInto(out: SpoolItem[], max: number): void {
    while (out.length < max && this.readPos < this.items.length) {
      const it = this.items[this.readPos++];
      if (it !== undefined) out.push(it);
    }
  }

  /** Frees an acknowledged item; false when it is not held. */
  release(id: number): boolean {
    const i = id - this.baseId;
    if (i < this.head || i >= this.items.length) return false;
    const it = this.items[i];
    if (it === undefined) return false;
    this.items[i] = undefined;
    this.bytes -= this.sizes[i]!;
    this.count--;
    this.advanceHead();
    return true;
  }

  /** Removes and returns the oldest item not yet handed out (drop-oldest), if any. */
  dropOldestUnread(): SpoolItem | undefined {
    while (this.readPos < this.items.length) {
      const it = this.items[this.readPos++];
      if (it === undefined) continue;
      this.release(it.id);
      return it;
    }
    return undefined;
  }

  /** Removes every live item, oldest first, calling `each` with it and its size. */
  drain(each: (item: SpoolItem, size: number) => void): void {
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i];
      if (it !== undefined) each(it, this.sizes[i]!);
    }
    this.reset(this.baseId + this.items.length);
  }

  private advanceHead(): void {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head++;
    if (this.readPos < this.head) this.readPos = this.head;
    if (this.head === this.items.length && this.readPos === this.head) {
      this.reset(this.baseId + this.items.length);
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.baseId += this.head;
      this.readPos -= this.head;
      this.head = 0;
    }
  }

  private reset(baseId: number): void {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.readPos = 0;
    this.baseId = baseId;
    this.bytes = 0;
    this.count = 0;
  }
}
