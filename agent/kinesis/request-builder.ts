import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { AggregateBuilder } from './aggregation.ts';
import { hashKeyToDecimal } from './hash-key.ts';
import type { Lane } from './lane.ts';
import { hashWordsOf, type Pending } from './pending.ts';

/** One PutRecords entry and the user records it carries (one, or many when aggregated). */
export interface Entry<T> {
  readonly lane: Lane<T>;
  readonly records: Pending<T>[];
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

function single<T>(lane: Lane<T>, p: Pending<T>): Entry<T> {
  const wire: PutRecordsRequestEntry = { Data: p.rec.data, PartitionKey: p.rec.partitionKey };
  if (p.rec.explicitHashKey !== undefined) wire.ExplicitHashKey = p.rec.explicitHashKey;
  return { lane, records: [p], wire, bytes: p.bytes };
}

/**
 * Takes the next entry off a lane: an aggregate of as many head records as fit `maxAggregateBytes`
 * (a lone record goes unaggregated), or one record. Returns undefined when the head record would
 * not fit in `roomBytes`.
 */
export function takeEntry<T>(lane: Lane<T>, limits: RequestLimits, roomBytes: number, agg: AggregateBuilder | undefined): Entry<T> | undefined {
  const first = lane.peek();
  if (!first || first.bytes > roomBytes) return undefined;
  if (!agg || limits.maxAggregateBytes === 0 || lane.length === 1) {
    lane.shift();
    return single(lane, first);
  }
  agg.reset();
  const taken: Pending<T>[] = [];
  const cap = Math.min(limits.maxAggregateBytes, roomBytes);
  for (let p = lane.peek(); p !== undefined; p = lane.peek()) {
    if (!agg.tryAdd(p.rec, cap)) break;
    taken.push(p);
    lane.shift();
  }
  if (taken.length === 1) {
    // Only the head fitted (an empty builder always takes one record): send it as it is.
    agg.reset();
    return single(lane, first);
  }
  const ehk = first.rec.explicitHashKey ?? hashKeyToDecimal(hashWordsOf(first, scratch), 0);
  const built = agg.build(ehk);
  const wire: PutRecordsRequestEntry = { Data: built.data, PartitionKey: built.partitionKey, ExplicitHashKey: ehk };
  return { lane, records: taken, wire, bytes: entryBytes(wire) };
}
