import type { AggregateBuilder } from './aggregation.ts';
import type { Lane } from './lane.ts';
import type { PendingTable } from './pending.ts';
import { takeEntry, type Entry, type RequestLimits } from './request-builder.ts';

/**
 * Decides what the producer's next PutRecords request carries: which lanes (one per shard, at most
 * one request in flight each), and how much of each (an aggregate or records, within the request's
 * limits and the lane's token bucket). Marks the lanes it takes from as in flight.
 */
export class RequestPlanner<T> {
  private rr = 0;

  constructor(
    private readonly limits: RequestLimits,
    private readonly lingerMs: number,
    private readonly concurrency: number,
    private readonly agg: AggregateBuilder | undefined,
    private readonly table: PendingTable<T>,
  ) {}

  /** The lane has something to send now: its head has lingered, it is full, or a flush is on. */
  isReady(lane: Lane<T>, now: number, flushing: boolean): boolean {
    const head = lane.peek();
    if (head === undefined || lane.inFlight || now < lane.notBefore) return false;
    return flushing || now - this.table.queuedAt(head) >= this.lingerMs || this.isFull(lane);
  }

  /** A lane with a full entry's worth queued: the producer is under load. */
  isFull(lane: Lane<T>): boolean {
    return this.limits.maxAggregateBytes > 0
      ? lane.bytes >= this.limits.maxAggregateBytes
      : lane.length >= this.limits.maxEntriesPerLane || lane.bytes >= this.limits.maxBytes / 4;
  }

  /** The entries of the next request; empty when no lane is ready. */
  next(lanes: readonly Lane<T>[], now: number, inFlightRequests: number, flushing: boolean): Entry<T>[] {
    const n = lanes.length;
    let ready = 0;
    let full = 0;
    let sendable = 0;
    for (let i = 0; i < n; i++) {
      const lane = lanes[i] as Lane<T>;
      if (lane.inFlight || lane.length === 0 || now < lane.notBefore) continue;
      sendable++;
      if (this.isReady(lane, now, flushing)) ready++;
      if (this.isFull(lane)) full++;
    }
    if (ready === 0) return [];
    // Under load (lanes fill up before their linger ends) spread the lanes over the free request
    // slots, so requests overlap (a lane still has one request in flight at most); otherwise one
    // request takes every lane that has something (fewer requests: less CPU per record).
    const free = Math.max(1, this.concurrency - inFlightRequests);
    const maxLanes = full > 0 ? Math.max(1, Math.ceil(sendable / free)) : n;
    const entries: Entry<T>[] = [];
    let lanesTaken = 0;
    let room = this.limits.maxBytes;
    // Ready lanes first, then idle lanes piggyback on the same request (fewer, fuller requests).
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < n && entries.length < this.limits.maxRecords && lanesTaken < maxLanes; k++) {
        const lane = lanes[(this.rr + k) % n] as Lane<T>;
        if (lane.inFlight || lane.length === 0 || now < lane.notBefore) continue;
        if (pass === 0 && !this.isReady(lane, now, flushing)) continue;
        const before = entries.length;
        room = this.takeFromLane(lane, entries, room, now);
        if (entries.length > before) lanesTaken++;
      }
    }
    this.rr = (this.rr + 1) % Math.max(1, n);
    return entries;
  }

  private takeFromLane(lane: Lane<T>, entries: Entry<T>[], room: number, now: number): number {
    let taken = 0;
    while (taken < this.limits.maxEntriesPerLane && entries.length < this.limits.maxRecords && lane.length > 0) {
      if (lane.limiter) {
        const estimate = Math.min(lane.bytes, this.limits.maxAggregateBytes || this.table.bytes(lane.peek() as number));
        if (!lane.limiter.canSend(estimate)) {
          lane.notBefore = now + lane.limiter.waitMs(estimate);
          break;
        }
      }
      const entry = takeEntry(lane, this.table, this.limits, room, this.agg);
      if (!entry) break;
      lane.limiter?.charge(entry.bytes);
      entries.push(entry);
      room -= entry.bytes;
      taken++;
    }
    if (taken > 0) lane.inFlight = true;
    return room;
  }
}
