/** Schema of the sink: where records go (Amazon Kinesis Data Streams). */
import { t } from './schema.ts';

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;

const kinesis = t.object(
  'Amazon Kinesis Data Streams through PutRecords, with KPL-compatible aggregation and a per-shard rate limiter. Give exactly one of `stream` and `streamArn`.',
  {
    stream: t.string('Stream name.', { optional: true, pattern: /^[A-Za-z0-9_.-]{1,128}$/, patternHint: '1–128 letters, digits, _ . -' }),
    streamArn: t.string('Stream ARN (cross-account access or when policies name the ARN).', {
      optional: true,
      pattern: STREAM_ARN,
      patternHint: 'arn:aws:kinesis:<region>:<account>:stream/<name>',
    }),
    region: t.string('AWS region; default: the region of `streamArn`, else the SDK\'s (AWS_REGION, profile).', {
      optional: true,
      pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
      patternHint: 'a region such as eu-west-1',
    }),
    endpoint: t.string('Endpoint URL, for an emulator (kinesalite, LocalStack) or a VPC endpoint.', {
      optional: true,
      pattern: /^https?:\/\/[^\s/]+/,
      patternHint: 'an http:// or https:// URL',
    }),
    credentials: t.object(
      'Static credentials. Leave out to use the SDK provider chain (environment, profile, instance or IoT role), which is preferable.',
      {
        accessKeyId: t.string('Access key id.', { minLength: 16, maxLength: 128 }),
        secretAccessKey: t.string('Secret access key; use `${AWS_SECRET_ACCESS_KEY}`.', { secret: true, minLength: 1 }),
        sessionToken: t.string('Session token of temporary credentials.', { optional: true, secret: true }),
      },
      { optional: true },
    ),
    aggregation: t.object('KPL aggregation: several user records per Kinesis record, grouped by predicted shard. Consumers using the KCL (or a deaggregation library) see the individual records.', {
      enabled: t.boolean('Aggregate records. Cuts record counts (the 1,000 records/s per shard limit) and PUT payload units.', { default: true }),
      maxBytes: t.size('Largest aggregated record (KPL default 51200).', { default: 51_200, min: '1KiB', max: '1MiB' }),
      simdDigests: t.boolean(
        "Compute the MD5s of the aggregates sent together side by side in WebAssembly SIMD lanes (~1.6x node:crypto's rate when a pump sends several; one at a time still goes through node:crypto). Loading V8's WebAssembly compiler costs ~9 MiB of RSS, hence off by default on a gateway; worth it where requests carry many aggregates (`maxEntriesPerShardPerRequest` > 1, many shards).",
        { default: false },
      ),
    }),
    lingerMs: t.duration('How long a record may wait for others to fill an aggregate or a PutRecords request (KPL RecordMaxBufferedTime).', {
      default: 100,
      max: '1m',
    }),
    concurrency: t.integer('PutRecords requests in flight at once.', { default: 4, min: 1, max: 64 }),
    rateLimit: t.object('Per-shard token buckets that keep each shard under its write limit, so a hot shard is slowed down here instead of being throttled by the service.', {
      enabled: t.boolean('Limit the rate per predicted shard.', { default: true }),
      factor: t.number(
        'Share of the shard limit to allow: 1.0 = exactly the shard limit (recordsPerSec and bytesPerSec), 1.5 = the KPL default (lets the service throttle a little), below 1 leaves room for other producers on the same stream.',
        { default: 1.0, exclusiveMin: 0, max: 10 },
      ),
      recordsPerSec: t.integer('Write limit of one shard in records per second (the service limit; change only for a stream with other limits).', {
        default: 1000,
        min: 1,
      }),
      bytesPerSec: t.size('Write limit of one shard in bytes per second.', { default: '1MiB', min: '1KiB' }),
    }),
    recordTtl: t.duration('How long a record may take, from leaving the spool, to be accepted by Kinesis (batching, rate limiting, retries) before it counts as expired (KPL RecordTtl).', {
      default: '30s',
      min: '100ms',
    }),
    retry: t.object(
      'Backoff for throttled or failed records and requests: exponential from `baseMs` to `maxMs` with full jitter; only failed entries are retried.',
      {
        baseMs: t.duration('First retry delay.', { default: 100, min: '1ms' }),
        maxMs: t.duration('Longest retry delay.', { default: '10s', min: '1ms' }),
      },
      { check: (v, report) => (v.baseMs > v.maxMs ? report('must not exceed retry.maxMs', 'baseMs') : undefined) },
    ),
    requestTimeout: t.duration('Timeout of one PutRecords or ListShards request.', { default: '10s', min: '100ms', max: '5m' }),
    transport: t.enumOf(
      'How requests are sent; default `direct`: signed and sent by the agent itself (less CPU per request, and the AWS SDK client is not loaded: less memory). `sdk`: through the AWS SDK client. A stream given by `streamArn`, and a region outside the aws, aws-cn and aws-us-gov partitions, always use the SDK.',
      ['direct', 'sdk'],
      { optional: true },
    ),
  },
  {
    check: (v, report) => {
      if (v.stream === undefined && v.streamArn === undefined) report('required: give sink.stream (a stream name) or sink.streamArn', 'stream');
      if (v.stream !== undefined && v.streamArn !== undefined) report('give either sink.stream or sink.streamArn, not both', 'streamArn');
      const arnRegion = v.streamArn === undefined ? undefined : STREAM_ARN.exec(v.streamArn)?.[1];
      if (arnRegion !== undefined && v.region !== undefined && v.region !== arnRegion) {
        report(`does not match the region of sink.streamArn (${arnRegion})`, 'region');
      }
    },
  },
);

export const sink = t.union('Where records are sent. Only `type: kinesis` (the default) exists today.', 'type', { kinesis }, { defaultVariant: 'kinesis' });

/** The region of a stream ARN, or undefined. */
export function regionOfStreamArn(arn: string): string | undefined {
  return STREAM_ARN.exec(arn)?.[1];
}
