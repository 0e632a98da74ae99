/**
 * `kinesis://STREAM?region=…&endpoint=…&aggregation=on|off&concurrency=N&rateLimit=on|off…`
 * (STREAM may be a stream ARN). Parameters:
 *
 * | name | default | meaning |
 * |---|---|---|
 * | region | AWS_REGION / us-east-1 | AWS region |
 * | endpoint | – | endpoint URL (an emulator); on a loopback host, local dummy credentials are used unless AWS_ACCESS_KEY_ID is set |
 * | aggregation | on | KPL aggregation per predicted shard |
 * | concurrency | 8 | PutRecords requests in flight |
 * | rateLimit | on | the producer's per-shard token buckets (off: let the service throttle) |
 * | rateFactor | 1 | share of the shard limit the buckets allow (1.5 = the KPL's) |
 * | linger | 100 | ms a record may wait for company (KPL RecordMaxBufferedTime) |
 * | ttl | 30000 | ms before an unaccepted record is given up (0 = never) |
 * | recordsPerSec, bytesPerSec | the scenario's stream limits (1000, 1 MiB) | per-shard limits for the rate limiter and the report |
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { KINESIS_LIMITS } from '../../agent/core/limits.ts';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import type { StreamRef } from '../../agent/kinesis/stream-ref.ts';
import { EMULATOR_CREDENTIALS } from '../emulators/local-kinesis.ts';
import type { ShardLimits } from './target.ts';
import { UrlParams, isLoopbackHost } from './url-params.ts';

export interface KinesisTargetOptions {
  readonly url: string;
  readonly stream: StreamRef;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly aggregation: boolean;
  readonly concurrency: number;
  readonly rateLimit: boolean;
  readonly rateFactor: number;
  readonly lingerMs: number;
  readonly ttlMs: number;
  readonly limits: ShardLimits;
  /** Share of every shard's limit this producer's rate limiter allows (1/workers). */
  readonly share: number;
}

const KNOWN = ['region', 'endpoint', 'aggregation', 'concurrency', 'rateLimit', 'rateFactor', 'linger', 'ttl', 'recordsPerSec', 'bytesPerSec'] as const;

export function parseKinesisUrl(url: string, defaults: { readonly limits?: ShardLimits | undefined } = {}): KinesisTargetOptions {
  if (!url.startsWith('kinesis://')) throw new ShardwiseError('E_CONFIG', `kinesis target: expected a kinesis://STREAM URL, got ${url}`);
  const rest = url.slice('kinesis://'.length);
  const q = rest.indexOf('?');
  const name = decodeURIComponent(q < 0 ? rest : rest.slice(0, q)).replace(/\/$/, '');
  const p = new UrlParams(`kinesis target ${url}`, new URLSearchParams(q < 0 ? '' : rest.slice(q + 1)), KNOWN);
  let stream: StreamRef = {};
  if (name.startsWith('arn:')) stream = { streamARN: name };
  else if (/^[A-Za-z0-9_.-]{1,128}$/.test(name)) stream = { streamName: name };
  else p.problem(`stream: expected a stream name (1–128 letters, digits, _ . -) or an ARN, got ${JSON.stringify(name)}`);
  const endpoint = p.string('endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) p.problem(`endpoint: expected an http:// or https:// URL, got ${JSON.stringify(endpoint)}`);
  const limits = defaults.limits ?? { recordsPerSec: KINESIS_LIMITS.shardWriteRecordsPerSec, bytesPerSec: KINESIS_LIMITS.shardWriteBytesPerSec };
  const options: KinesisTargetOptions = {
    url,
    stream,
    region: p.string('region'),
    endpoint,
    aggregation: p.flag('aggregation', true),
    concurrency: p.number('concurrency', 8, 1, 256, true),
    rateLimit: p.flag('rateLimit', true),
    rateFactor: p.number('rateFactor', 1, 0.01, 10),
    lingerMs: p.number('linger', 100, 0, 60_000),
    ttlMs: p.number('ttl', 30_000, 0),
    limits: { recordsPerSec: p.number('recordsPerSec', limits.recordsPerSec, 1), bytesPerSec: p.number('bytesPerSec', limits.bytesPerSec, 1) },
    share: 1,
  };
  p.done();
  return options;
}

/**
 * A Kinesis client for the bench: the SDK's credential chain, except that an endpoint on a
 * loopback host (an emulator) gets dummy local credentials unless AWS_ACCESS_KEY_ID is set.
 */
export function benchKinesisClient(o: { readonly region?: string | undefined; readonly endpoint?: string | undefined }, maxSockets: number): KinesisClient {
  const local = o.endpoint !== undefined && isLoopbackHost(new URL(o.endpoint).hostname) && process.env['AWS_ACCESS_KEY_ID'] === undefined;
  return makeKinesisClient({ region: o.region, endpoint: o.endpoint, credentials: local ? EMULATOR_CREDENTIALS : undefined, maxSockets });
}
