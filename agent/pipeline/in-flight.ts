import { grown, SlotList } from '../core/slot-list.ts';
import type { UserRecord } from '../core/record.ts';
import type { SpoolItem } from '../spool/spool.ts';

const INITIAL_SLOTS = 1024;

/**
 * What the shipper must remember of each record it gave the producer, until the record's outcome:
 * its spool id, data size, ingest time and device, in columns. The producer's token is the slot
 * number, so no object per record lives as long as the record is in flight (see
 * docs/in-flight-records.md). Slot numbers are reused once released.
 */
export class InFlightTable {
  private ids!: Float64Array;
  private ingest!: Float64Array;
  private lens!: Int32Array;
  private devices: (string | undefined)[] = [];
  private readonly slots = new SlotList(INITIAL_SLOTS, { grow: (n) => this.grow(n), shrink: (n) => this.shrink(n) });

  constructor() {
    this.allocate(INITIAL_SLOTS);
  }

  get count(): number {
    return this.slots.count;
  }

  add(item: SpoolItem): number {
    return this.addParts(item.id, item.data.length, item.ingestTime, item.deviceId);
  }

  addParts(id: number, dataBytes: number, ingestTime: number, deviceId: string): number {
    const s = this.slots.take();
    this.ids[s] = id;
    this.ingest[s] = ingestTime;
    this.lens[s] = dataBytes;
    this.devices[s] = deviceId;
    return s;
  }

  id(s: number): number {
    return this.ids[s] as number;
  }

  dataBytes(s: number): number {
    return this.lens[s] as number;
  }

  ingestTime(s: number): number {
    return this.ingest[s] as number;
  }

  deviceId(s: number): string {
    return this.devices[s] as string;
  }

  /** The spool item again, from what was kept and the record the producer gives back. */
  item(s: number, rec: UserRecord): SpoolItem {
    return { id: this.id(s), partitionKey: rec.partitionKey, explicitHashKey: rec.explicitHashKey, data: rec.data, deviceId: this.deviceId(s), ingestTime: this.ingestTime(s) };
  }

  release(s: number): void {
    this.devices[s] = undefined;
    this.slots.give(s);
  }

  private shrink(n: number): void {
    this.devices = [];
    this.allocate(n);
  }

  private allocate(n: number): void {
    this.ids = new Float64Array(n);
    this.ingest = new Float64Array(n);
    this.lens = new Int32Array(n);
  }

  private grow(n: number): void {
    this.ids = grown(this.ids, n);
    this.ingest = grown(this.ingest, n);
    this.lens = grown(this.lens, n);
  }
}
