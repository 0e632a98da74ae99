/**
 * `shardwise-bench verify --target kinesis://STREAM?…`: reads the stream back (every shard from
 * TRIM_HORIZON or a timestamp to its tip, parents before children, aggregates deaggregated like
 * the KCL) and reports lost, duplicated and out-of-order records per device and the latency from
 * each record's intended send time to its arrival timestamp.
 */
import { listAllShards } from '../../agent/kinesis/list-shards.ts';
import type { ShardInfo } from '../../agent/kinesis/shard-map.ts';
import { readStream } from '../../agent/kinesis/stream-reader.ts';
import { encodeHistogram, percentilesOf } from '../results/histogram.ts';
import type { Percentiles } from '../results/histogram.ts';
import { benchKinesisClient, parseKinesisUrl } from '../targets/kinesis-url.ts';
import { isLoopbackHost } from '../targets/url-params.ts';
import type { RunDevices } from './run-devices.ts';
import { VerifyTracker } from './tracker.ts';

export const VERIFY_SCHEMA = 'shardwise.bench.verify/1';

export interface VerifyOptions {
  /** kinesis://STREAM?region=…&endpoint=… (other target parameters are ignored). */
  readonly url: string;
  /** Read records that arrived at or after this time (default: from TRIM_HORIZON). */
  readonly from?: Date | undefined;
  /** The run's per-device counts (from its JSON report): adds `run` and skips older records. */
  readonly run?: RunDevices | undefined;
  /** Least time between GetRecords calls per shard (default 200 ms; 0 against an emulator). */
  readonly minCallIntervalMs?: number | undefined;
}

export interface VerifyResult {
  readonly schema: string;
  readonly stream: string;
  readonly shards: number;
  readonly records: number;
  readonly devices: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly unparsed: number;
  readonly skippedOlder: number;
  readonly latency: { readonly ms: Percentiles; readonly histogram: string; readonly negative: number };
  readonly perShard: readonly { readonly id: string; readonly records: number }[];
  readonly read: { readonly kinesisRecords: number; readonly userRecords: number; readonly discardedOutOfRange: number; readonly getRecordsCalls: number };
  /** Present with a run report: what the run generated against what came back. */
  readonly run?: { readonly expected: number; readonly missing: number; readonly devicesNeverSeen: number; readonly unexpectedDevices: number } | undefined;
}

export async function verifyStream(opts: VerifyOptions): Promise<VerifyResult> {
  const o = parseKinesisUrl(opts.url);
  const client = benchKinesisClient(o, 16);
  try {
    const shards = await listAllShards(client, o.stream);
    const related = ancestry(shards);
    const tracker = new VerifyTracker({ related, sinceUs: opts.run ? opts.run.startedAtMs * 1000 : undefined });
    const local = o.endpoint !== undefined && isLoopbackHost(new URL(o.endpoint).hostname);
    const summary = await readStream({
      client,
      stream: o.stream,
      from: opts.from ? { timestamp: opts.from } : 'TRIM_HORIZON',
      minCallIntervalMs: opts.minCallIntervalMs ?? (local ? 0 : 200),
      onRecord: (r) => tracker.add(r.shardId, r.data, r.arrivalTime),
    });
    const t = tracker.totals();
    const h = tracker.latency.toHistogram();
    return {
      schema: VERIFY_SCHEMA,
      stream: o.stream.streamName ?? o.stream.streamARN ?? '',
      shards: shards.length,
      records: t.records,
      devices: t.devices,
      lost: t.lost,
      duplicates: t.duplicates,
      outOfOrder: t.outOfOrder,
      unparsed: t.unparsed,
      skippedOlder: t.skippedOlder,
      latency: { ms: percentilesOf(h, 1000), histogram: encodeHistogram(h), negative: t.negativeLatency },
      perShard: shards.map((s) => ({ id: s.shardId, records: t.perShard.get(s.shardId) ?? 0 })),
      read: { kinesisRecords: summary.kinesisRecords, userRecords: summary.userRecords, discardedOutOfRange: summary.discardedOutOfRange, getRecordsCalls: summary.getRecordsCalls },
      run: opts.run ? tracker.compare((visit) => opts.run?.forEach(visit)) : undefined,
    };
  } finally {
    client.destroy();
  }
}

/** `related(a, b)`: a is b or an ancestor of b (through parent and adjacent-parent links). */
function ancestry(shards: readonly ShardInfo[]): (a: string, b: string) => boolean {
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  return (a, b) => {
    const stack = [b];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (id === a) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      const s = byId.get(id);
      if (s?.parentShardId) stack.push(s.parentShardId);
      if (s?.adjacentParentShardId) stack.push(s.adjacentParentShardId);
    }
    return false;
  };
}
