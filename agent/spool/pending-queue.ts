/**
 * Entries admitted for disk and not yet written, in id order (parallel arrays, no wrapper
 * object per entry). `ticket` is undefined for entries whose append already resolved (a spill
 * spool's memory tail being written out).
 */
import type { AppendTicket } from './append-ticket.ts';
import type { SpoolEntry } from './spool.ts';

export class PendingQueue {
  private entries: (SpoolEntry | undefined)[] = [];
  private ids: number[] = [];
  private sizes: number[] = [];
  private tickets: (AppendTicket | undefined)[] = [];
  private head = 0;
  bytes = 0;

  get length(): number {
    return this.entries.length - this.head;
  }

  push(entry: SpoolEntry, id: number, size: number, ticket: AppendTicket | undefined): void {
    this.entries.push(entry);
    this.ids.push(id);
    this.sizes.push(size);
    this.tickets.push(ticket);
    this.bytes += size;
  }

  /** k-th pending entry from the front. */
  entry(k: number): SpoolEntry {
    return this.entries[this.head + k]!;
  }
  id(k: number): number {
    return this.ids[this.head + k]!;
  }
  size(k: number): number {
    return this.sizes[this.head + k]!;
  }
  ticket(k: number): AppendTicket | undefined {
    return this.tickets[this.head + k];
  }

  /** Removes the first n entries (written or dropped). */
  shift(n: number): void {
    for (let k = 0; k < n; k++) {
      const i = this.head + k;
      this.bytes -= this.sizes[i]!;
      this.entries[i] = undefined;
      this.tickets[i] = undefined;
    }
    this.head += n;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.ids = [];
      this.sizes = [];
      this.tickets = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.ids.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.tickets.splice(0, this.head);
      this.head = 0;
    }
  }
}
