import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { decodeAggregate } from './aggregation.ts';
import { classifyRequestError } from './classify.ts';
import { bigIntToWords, compareHashKeys, recordHashKeyInto } from './hash-key.ts';
import { listAllShards } from './list-shards.ts';
import type { ShardInfo } from './shard-map.ts';
import { streamParams, type StreamRef } from './stream-ref.ts';
import { fullJitterDelay } from './backoff.ts';

/** One user record read back from the stream (deaggregated). */
export interface ReadRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Index inside its aggregate; 0 for a record that was not aggregated. */
  readonly subSequence: number;
  readonly aggregated: boolean;
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
  readonly data: Uint8Array;
  /** ApproximateArrivalTimestamp, ms since the epoch. */
  readonly arrivalTime: number;
}

export interface ReadStreamOptions {
  readonly client: KinesisClient;
  readonly stream: StreamRef;
  /** Start of every shard: TRIM_HORIZON (default) or records that arrived at/after a time. */
  readonly from?: { readonly timestamp: Date } | 'TRIM_HORIZON' | undefined;
  /** Shards read at once. Children wait until their parents are read to the end. */
  readonly concurrency?: number | undefined;
  /** Least time between two GetRecords calls on one shard (the service allows 5/s: 200 ms). */
  readonly minCallIntervalMs?: number | undefined;
  /** GetRecords Limit (≤ 10,000). */
  readonly limit?: number | undefined;
  /** Called for each user record, per shard in sequence order, parents before children. */
  readonly onRecord: (r: ReadRecord) => void;
}

export interface ReadSummary {
  readonly shards: number;
  readonly kinesisRecords: number;
  readonly userRecords: number;
  /** Sub-records of aggregates that hold a record outside their shard's hash range: a KCL consumer discards the whole aggregate, and so do we. */
  readonly discardedOutOfRange: number;
  readonly getRecordsCalls: number;
}

/**
 * Reads every shard of a stream from TRIM_HORIZON (or a timestamp) to its current tip, following
 * closed parents to their children, deaggregating KPL records the way the KCL does.
 */
export async function readStream(opts: ReadStreamOptions): Promise<ReadSummary> {
  const shards = await listAllShards(opts.client, opts.stream);
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const done = new Map<string, Promise<void>>();
  const totals = { kinesisRecords: 0, userRecords: 0, discardedOutOfRange: 0, getRecordsCalls: 0 };
  let slots = opts.concurrency ?? 8;
  const waiters: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    while (slots === 0) await new Promise<void>((r) => waiters.push(r));
    slots--;
  };
  const release = (): void => {
    slots++;
    waiters.shift()?.();
  };

  const readOne = (s: ShardInfo): Promise<void> => {
    let p = done.get(s.shardId);
    if (p) return p;
    p = (async () => {
      // Parents first, so a partition key's records come out in order across a split or merge.
      for (const parent of [s.parentShardId, s.adjacentParentShardId]) {
        const ps = parent ? byId.get(parent) : undefined;
        if (ps) await readOne(ps);
      }
      await acquire();
      try {
        await readShard(opts, s, totals);
      } finally {
        release();
      }
    })();
    done.set(s.shardId, p);
    return p;
  };
  await Promise.all(shards.map(readOne));
  return { shards: shards.length, ...totals };
}

async function readShard(
  opts: ReadStreamOptions,
  shard: ShardInfo,
  totals: { kinesisRecords: number; userRecords: number; discardedOutOfRange: number; getRecordsCalls: number },
): Promise<void> {
  const from = opts.from ?? 'TRIM_HORIZON';
  const minInterval = opts.minCallIntervalMs ?? 200;
  const range = new Uint32Array(8);
  bigIntToWords(shard.startingHashKey, range, 0);
  bigIntToWords(shard.endingHashKey, range, 4);
  const h = new Uint32Array(4);
  let lastSeq: string | undefined;

  const newIterator = async (): Promise<string | undefined> => {
    const base = { ...streamParams(opts.stream), ShardId: shard.shardId };
    const res = await opts.client.send(
      new GetShardIteratorCommand(
        lastSeq
          ? { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastSeq }
          : from === 'TRIM_HORIZON'
            ? { ...base, ShardIteratorType: 'TRIM_HORIZON' }
            : { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: from.timestamp },
      ),
    );
    return res.ShardIterator;
  };

  let iterator = await newIterator();
  let failures = 0;
  let lastCall = 0;
  while (iterator) {
    const wait = lastCall + minInterval - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastCall = Date.now();
    let res;
    try {
      totals.getRecordsCalls++;
      res = await opts.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: opts.limit ?? 10_000, ...arnOnly(opts.stream) }));
      failures = 0;
    } catch (err) {
      const e = classifyRequestError(err);
      const name = (err as { name?: string }).name;
      if (name === 'ExpiredIteratorException') {
        iterator = await newIterator();
        continue;
      }
      if (!e.retryable || ++failures > 10) throw e;
      await new Promise((r) => setTimeout(r, fullJitterDelay(failures, { baseMs: 200, maxMs: 5000 }) + minInterval));
      continue;
    }
    const records = res.Records ?? [];
    for (const r of records) {
      totals.kinesisRecords++;
      lastSeq = r.SequenceNumber;
      emit(opts, shard, r, range, h, totals);
    }
    iterator = res.NextShardIterator;
    // An open shard is read "to the tip" once a call returns nothing and says it is not behind.
    if (records.length === 0 && (res.MillisBehindLatest ?? 0) === 0 && shard.open) break;
  }
}

function emit(
  opts: ReadStreamOptions,
  shard: ShardInfo,
  r: _Record,
  range: Uint32Array,
  h: Uint32Array,
  totals: { userRecords: number; discardedOutOfRange: number },
): void {
  const data = r.Data ?? new Uint8Array(0);
  const arrivalTime = r.ApproximateArrivalTimestamp?.getTime() ?? 0;
  const seq = r.SequenceNumber ?? '';
  const partitionKey = r.PartitionKey ?? '';
  const subs = decodeAggregate(data);
  if (subs === undefined) {
    totals.userRecords++;
    opts.onRecord({ shardId: shard.shardId, sequenceNumber: seq, subSequence: 0, aggregated: false, partitionKey, data, arrivalTime });
    return;
  }
  // Like the KCL: one sub-record outside the shard's range and the whole aggregate is discarded.
  for (const u of subs) {
    recordHashKeyInto(u, h, 0);
    if (compareHashKeys(h, 0, range, 0) < 0 || compareHashKeys(h, 0, range, 4) > 0) {
      totals.discardedOutOfRange += subs.length;
      return;
    }
  }
  for (let i = 0; i < subs.length; i++) {
    const u = subs[i] as (typeof subs)[number];
    totals.userRecords++;
    opts.onRecord({
      shardId: shard.shardId,
      sequenceNumber: seq,
      subSequence: i,
      aggregated: true,
      partitionKey: u.partitionKey,
      explicitHashKey: u.explicitHashKey,
      data: u.data,
      arrivalTime,
    });
  }
}

/** GetRecords accepts StreamARN (for cross-account access) but not a stream name. */
function arnOnly(ref: StreamRef): { StreamARN?: string } {
  return ref.streamARN ? { StreamARN: ref.streamARN } : {};
}
