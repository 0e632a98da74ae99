import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { AggregateBuilder } from './aggregation.ts';
import { hashKeyToDecimal } from './hash-key.ts';
import type { Lane } from './lane.ts';
import type { Pending, PendingTable } from './pending.ts';

/** One PutRecords entry and the user records it carries (one, or many when aggregated): their slots. */
export interface Entry<T> {
  readonly lane: Lane<T>;
  readonly records: Pending[];
  readonly wire: PutRecordsRequestEntry;
  readonly bytes: number;
}

export interface RequestLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly maxEntriesPerLane: number;
  /** 0 = no aggregation. */
  readonly maxAggregateBytes: number;
}

const scratch = new Uint32Array(4);

function entryBytes(wire: PutRecordsRequestEntry): number {
  // Partition keys are ASCII in the common case; byteLength is exact either way.
  return (wire.Data?.length ?? 0) + Buffer.byteLength(wire.PartitionKey ?? '');
}

function single<T>(lane: Lane<T>, table: PendingTable<T>, p: Pending): Entry<T> {
  const rec = table.rec(p);
  const wire: PutRecordsRequestEntry = { Data: rec.data, PartitionKey: rec.partitionKey };
  if (rec.explicitHashKey !== undefined) wire.ExplicitHashKey = rec.explicitHashKey;
  return { lane, records: [p], wire, bytes: table.bytes(p) };
}

/**
 * Takes the next entry off a lane: an aggregate of as many head records as fit `maxAggregateBytes`
 * (a lone record goes unaggregated), or one record. Returns undefined when the head record would
 * not fit in `roomBytes`.
 */
export function takeEntry<T>(
  lane: Lane<T>,
  table: PendingTable<T>,
  limits: RequestLimits,
  roomBytes: number,
  agg: AggregateBuilder | undefined,
): Entry<T> | undefined {
  const first = lane.peek();
  if (first === undefined || table.bytes(first) > roomBytes) return undefined;
  if (!agg || limits.maxAggregateBytes === 0 || lane.length === 1) {
    lane.shift();
    return single(lane, table, first);
  }
  agg.reset();
  const taken: Pending[] = [];
  const cap = Math.min(limits.maxAggregateBytes, roomBytes);
  for (let p = lane.peek(); p !== undefined; p = lane.peek()) {
    if (!agg.tryAddParts(table.partitionKey(p), table.explicitHashKey(p), table.data(p), cap)) break;
    taken.push(p);
    lane.shift();
  }
  if (taken.length === 1) {
    // Only the head fitted (an empty builder always takes one record): send it as it is.
    agg.reset();
    return single(lane, table, first);
  }
  const ehk = table.explicitHashKey(first) ?? hashKeyToDecimal(table.hashWords(first, scratch), 0);
  const built = agg.build(ehk);
  const wire: PutRecordsRequestEntry = { Data: built.data, PartitionKey: built.partitionKey, ExplicitHashKey: ehk };
  return { lane, records: taken, wire, bytes: entryBytes(wire) };
}
