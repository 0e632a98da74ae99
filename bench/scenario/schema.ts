/**
 * The scenario file of `shardwise-bench run --scenario FILE.yaml`: a fleet, how it sends, what it
 * sends, the stream it is sized against and the keying strategy under test. One schema gives the
 * type, validation (every problem at once, `path: expected …, got …`, unknown keys rejected with
 * the valid ones) and defaults. `toEngineInput` (to-engine.ts) maps it to the engine's input.
 *
 * Shorthands accepted by the loader (load.ts) before validation:
 *   stream.keying: device | random | balanced | salted:K | field:NAME | template:TEMPLATE
 *   rate.popularity: uniform
 */
import { t } from '../../agent/config/schema.ts';
import type { Infer } from '../../agent/config/schema.ts';
import { fleet, payload, percent, rate } from './schema-parts.ts';

const onMissing = t.enumOf('A device without the field: reject its records (error) or key them by device id.', ['error', 'device'], { default: 'error' });

export const keying = t.union(
  'The keying strategy under test (docs/keying.md). Shorthand: `salted:4`, `field:country`.',
  'kind',
  {
    device: t.object('Partition key = device id: per-device order, even on average.', {}),
    field: t.object('Partition key = a fleet attribute (e.g. country): order per value; few values concentrate load.', {
      field: t.string('Attribute name.', { minLength: 1 }),
      onMissing,
    }),
    template: t.object('Partition key = a template over attributes and {device}.', { template: t.string('E.g. {site}-{device}.', { minLength: 1 }), onMissing }),
    random: t.object('A random key per record: flattest, no order.', {}),
    salted: t.object('`${device}#${seq mod buckets}`: a device spread over up to `buckets` shards; order per bucket.', {
      buckets: t.integer('Buckets per device.', { min: 1, max: 1024 }),
    }),
    balanced: t.object('Shard-aware, sticky: least-loaded placement pinned by ExplicitHashKey; per-device order.', {
      halfLife: t.duration('Half-life of the load measurement.', { default: '30s', min: '1ms' }),
      threshold: t.number('A shard is over when above fair share × threshold.', { default: 1.2, min: 1 }),
      moveAfter: t.duration('How long a shard must stay over before devices move.', { default: '60s' }),
      assignmentsFile: t.string('Persist device → shard assignments here (restored at the next run).', { optional: true, minLength: 1 }),
    }),
  },
  { default: { kind: 'device' } },
);

export const stream = t.object('The stream the load is sized against.', {
  shards: t.integer('Shard count of the modelled stream (model:// targets; a kinesis:// target uses the real stream).', { default: 4, min: 1, max: 100_000 }),
  existing: t.object(
    "Model an existing stream's shard map (read with ListShards) instead of `shards` evenly split shards.",
    {
      stream: t.string('Stream name.', { pattern: /^[A-Za-z0-9_.-]{1,128}$/, patternHint: '1–128 letters, digits, _ . -' }),
      region: t.string('AWS region.', { optional: true, minLength: 1 }),
      endpoint: t.string('Endpoint URL (emulators).', { optional: true, pattern: /^https?:\/\//, patternHint: 'an http:// or https:// URL' }),
    },
    { optional: true },
  ),
  limits: t.object('Per-shard write limits (the service defaults).', {
    recordsPerSec: t.integer('Records per second per shard.', { default: 1000, min: 1 }),
    bytesPerSec: t.size('Bytes per second per shard.', { default: '1MiB', min: 1 }),
  }),
  aggregation: t.boolean('Model KPL aggregation (model:// targets; kinesis:// targets take `aggregation=on|off` from the URL).', { default: false }),
  keying,
  targetUtilisation: percent('Utilisation the shard recommendation sizes for.', { default: '80%' }),
});

export const engineOptions = t.object('Engine knobs (rarely needed).', {
  mode: t.enumOf('auto: virtual time for model://, wall-clock time (open loop) for real targets.', ['auto', 'real', 'virtual'], { default: 'auto' }),
  maxInFlight: t.integer('Requests (batches) in flight at once.', { default: 8, min: 1, max: 10_000 }),
  batchRecords: t.integer('Records per batch (capped by the target, e.g. 500 for PutRecords).', { default: 500, min: 1, max: 100_000 }),
  linger: t.duration('How long a partly filled batch may wait for more records.', { default: 0 }),
  maxLateness: t.duration('A record still queued this long after its intended time is dropped (counted late).', { default: '30s' }),
  maxBacklog: t.integer('Records queued beyond this are dropped on arrival (counted).', { default: 1_000_000, min: 0 }),
  step: t.duration('Scheduler step.', { default: '1ms', min: '1ms', max: '1s' }),
  drainTimeout: t.duration('After generation ends, how long to wait for records in flight.', { default: '30s' }),
});

export const scenarioSchema = t.object('A shardwise-bench scenario.', {
  name: t.string('Scenario name (reports).', { optional: true, minLength: 1 }),
  description: t.string('What it models.', { optional: true }),
  seed: t.integer('Seed of every random choice: the same seed gives the same run.', { default: 1, min: 0, max: 2 ** 32 - 1 }),
  duration: t.duration('Run length.', { default: '60s', min: '1ms' }),
  records: t.integer('Stop after this many records (whichever of duration and records comes first).', { optional: true, min: 1 }),
  target: t.string('Default target URL (--target overrides): model://, kinesis://STREAM?…, mqtt://HOST:PORT/TOPIC.', {
    default: 'model://',
    pattern: /^(model|kinesis|mqtts?):\/\//,
    patternHint: 'a model://, kinesis://, mqtt:// or mqtts:// URL',
  }),
  fleet,
  rate,
  payload,
  offline: t.array(
    'Offline windows: a share of the devices goes silent, then sends everything it missed as a burst (seqs continue, nothing is lost).',
    t.object('One window.', {
      at: t.duration('Start, since the run began.'),
      duration: t.duration('How long the devices stay offline.', { min: '1ms' }),
      devices: percent('Share of the fleet that goes offline.'),
    }),
    { default: [] },
  ),
  stream,
  engine: engineOptions,
});

export type Scenario = Infer<typeof scenarioSchema>;
export type ScenarioKeying = Scenario['stream']['keying'];
export type ScenarioPayload = Scenario['payload'];
export type ScenarioStream = Scenario['stream'];
