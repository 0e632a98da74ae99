/** Target URLs: parameters, defaults from the scenario's stream model, precise errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { createTarget, modelUrl, targetFromSpec } from '../../bench/targets/create-target.ts';
import { parseKinesisUrl } from '../../bench/targets/kinesis-url.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';
import { MqttTarget } from '../../bench/targets/mqtt-target.ts';

const stream = { shards: 6, limits: { recordsPerSec: 500, bytesPerSec: 512 * 1024 }, aggregation: true };

test('kinesis URL: stream name or ARN, parameters and defaults', () => {
  const o = parseKinesisUrl('kinesis://telemetry-prod?region=eu-west-1&aggregation=off&concurrency=16&rateLimit=off&linger=5&ttl=0', { limits: stream.limits });
  assert.deepEqual(o.stream, { streamName: 'telemetry-prod' });
  assert.deepEqual([o.region, o.aggregation, o.concurrency, o.rateLimit, o.lingerMs, o.ttlMs], ['eu-west-1', false, 16, false, 5, 0]);
  assert.deepEqual(o.limits, stream.limits, 'per-shard limits from the scenario');
  const d = parseKinesisUrl('kinesis://arn:aws:kinesis:eu-west-1:123456789012:stream/s1');
  assert.deepEqual(d.stream, { streamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/s1' });
  assert.deepEqual([d.aggregation, d.rateLimit, d.concurrency, d.lingerMs, d.ttlMs, d.limits.recordsPerSec], [true, true, 8, 100, 30_000, 1000]);
  assert.throws(
    () => parseKinesisUrl('kinesis://bad name?aggregation=maybe&concurency=2&endpoint=localhost:4567'),
    (e: unknown) =>
      e instanceof ShardwiseError &&
      e.code === 'E_CONFIG' &&
      /unknown parameter concurency \(valid: region, endpoint/.test(e.message) &&
      /aggregation: expected on or off, got "maybe"/.test(e.message) &&
      /stream: expected a stream name/.test(e.message) &&
      /endpoint: expected an http/.test(e.message),
  );
});

test('model URL: the scenario\'s stream model fills what the URL leaves out; URL parameters win', () => {
  assert.equal(modelUrl({ url: 'model://', stream }), 'model://?shards=6&recordsPerSec=500&bytesPerSec=524288&aggregate=true');
  const t = targetFromSpec({ url: 'model://?shards=3', stream }) as ModelTarget;
  assert.equal(t.map.size, 3);
  assert.deepEqual(t.describe().limits, stream.limits);
  assert.equal(t.describe().aggregation, true);
  // An existing stream's shard map is modelled as is.
  const infos = [...ShardMap.uniform(5).shards];
  assert.equal((targetFromSpec({ url: 'model://', stream: { ...stream, shardInfos: infos } }) as ModelTarget).map.size, 5);
  // Worker parts share each shard's limits but report the whole shard's.
  const part = createTarget({ url: 'model://', stream }, { index: 1, count: 4 }) as ModelTarget;
  assert.equal(part.options.recordsPerSec, 125);
  assert.deepEqual(part.describe().limits, stream.limits);
  assert.ok(targetFromSpec({ url: 'mqtt://127.0.0.1:1883/x/{device}' }) instanceof MqttTarget);
  assert.throws(() => targetFromSpec({ url: 'http://example.com' }), /expected a model:\/\/, kinesis:\/\/, mqtt:\/\/ or mqtts:\/\/ URL/);
});
