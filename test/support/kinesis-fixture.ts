import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { Producer } from '../../agent/kinesis/producer.ts';
import type { ProducerOptions } from '../../agent/kinesis/producer-types.ts';
import type { ShardwiseError } from '../../agent/core/errors.ts';
import type { UserRecord } from '../../agent/core/record.ts';
import { readStream, type ReadRecord } from '../../agent/kinesis/stream-reader.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDSHARDWISELOCAL', secretAccessKey: 'local-secret' };

export function localClient(endpoint: string, requestTimeoutMs = 10_000): KinesisClient {
  return makeKinesisClient({ endpoint, credentials: LOCAL_CREDENTIALS, maxSockets: 32, requestTimeoutMs });
}

export interface Outcome {
  readonly ok: boolean;
  readonly shardId?: string;
  readonly sequenceNumber?: string;
  readonly error?: ShardwiseError;
  readonly attempts: number;
}

/** Produces records and collects exactly one outcome per token (a second outcome fails the test). */
export async function produceAll(
  opts: Omit<ProducerOptions, 'client' | 'stream'> & { client: KinesisClient; streamName: string },
  records: readonly UserRecord[],
): Promise<{ outcomes: Outcome[]; producer: Producer<number> }> {
  const outcomes: (Outcome | undefined)[] = new Array(records.length);
  const set = (i: number, o: Outcome): void => {
    if (outcomes[i] !== undefined) throw new Error(`record ${i} got a second outcome`);
    outcomes[i] = o;
  };
  const producer = new Producer<number>(
    { ...opts, stream: { streamName: opts.streamName } },
    {
      onAccepted: (i, shardId, sequenceNumber, _sub, attempts) => set(i, { ok: true, shardId, sequenceNumber, attempts }),
      onFailed: (i, error, attempts) => set(i, { ok: false, error, attempts }),
    },
  );
  await producer.start();
  for (let i = 0; i < records.length; i++) {
    if (!producer.add(records[i] as UserRecord, i)) await producer.waitForCapacity();
  }
  await producer.close();
  const missing = outcomes.findIndex((o) => o === undefined);
  if (missing >= 0) throw new Error(`record ${missing} has no outcome`);
  return { outcomes: outcomes as Outcome[], producer };
}

export async function readAll(client: KinesisClient, streamName: string): Promise<{ records: ReadRecord[]; discarded: number }> {
  const records: ReadRecord[] = [];
  const sum = await readStream({ client, stream: { streamName }, minCallIntervalMs: 0, onRecord: (r) => records.push(r) });
  return { records, discarded: sum.discardedOutOfRange };
}

/** Records whose data is `{"k":key,"n":seq,…}` so order and identity can be checked after reading back. */
export function telemetry(count: number, keys: number, padBytes = 120): UserRecord[] {
  const out: UserRecord[] = [];
  const pad = 'x'.repeat(padBytes);
  for (let i = 0; i < count; i++) {
    const k = `device-${i % keys}`;
    out.push({ partitionKey: k, data: Buffer.from(JSON.stringify({ k, n: Math.floor(i / keys), pad })) });
  }
  return out;
}

/** Checks a read-back against what was sent: same multiset of (key, data), per-key order, no duplicates. */
export function compareReadBack(sent: readonly UserRecord[], read: readonly ReadRecord[]): { missing: number; duplicates: number; outOfOrder: number; bytesSent: number; bytesRead: number } {
  const lastN = new Map<string, number>();
  const seen = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  let bytesRead = 0;
  for (const r of read) {
    bytesRead += r.data.length;
    const s = Buffer.from(r.data).toString('utf8');
    const id = `${r.partitionKey}\u0000${s}`;
    if (seen.has(id)) duplicates++;
    seen.add(id);
    const n = (JSON.parse(s) as { n: number }).n;
    const prev = lastN.get(r.partitionKey);
    if (prev !== undefined && n < prev) outOfOrder++;
    lastN.set(r.partitionKey, n);
  }
  let missing = 0;
  let bytesSent = 0;
  for (const r of sent) {
    bytesSent += r.data.length;
    if (!seen.has(`${r.partitionKey}\u0000${Buffer.from(r.data).toString('utf8')}`)) missing++;
  }
  return { missing, duplicates, outOfOrder, bytesSent, bytesRead };
}
