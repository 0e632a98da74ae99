import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { STATUS_OK, STATUS_THROTTLED } from '../../bench/engine/record-batch.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';
import { contractBatch, contractContext, targetContract } from './target-contract.ts';

targetContract('model', () => new ModelTarget({ shards: 4 }));
targetContract('model (aggregating)', () => new ModelTarget({ shards: 4, aggregate: true }));

test('model: records go to the shard of their hash key; the 1,000 records/s bucket throttles the excess', async () => {
  const t = ModelTarget.fromUrl('model://?shards=1&recordsPerSec=1000');
  await t.open(contractContext(true));
  const b = contractBatch(1500, false, 0);
  await t.send(b);
  let ok = 0;
  for (let i = 0; i < b.length; i++) {
    assert.equal(b.shard[i], 0);
    if (b.status[i] === STATUS_OK) ok++;
  }
  assert.equal(ok, 1000);
  // Half a second later, 500 tokens are back.
  const c = contractBatch(600, false, 500);
  await t.send(c);
  assert.equal(Array.from(c.status.subarray(0, 600)).filter((s) => s === STATUS_THROTTLED).length, 100);
});

test('model: the byte bucket throttles at 1 MiB/s', async () => {
  const t = new ModelTarget({ shards: 1 });
  await t.open(contractContext(true));
  const b = contractBatch(20, false, 0);
  b.bytes.fill(100 * 1024);
  await t.send(b);
  const ok = Array.from(b.status.subarray(0, 20)).filter((s) => s === STATUS_OK).length;
  assert.equal(ok, 10); // 10 × (100 KiB + key) ≤ 1 MiB < 11 × …
});

test('model aggregation: user records packed per shard up to 51,200 bytes; an aggregate counts as one record', async () => {
  const t = new ModelTarget({ shards: 2, aggregate: true });
  await t.open(contractContext(true));
  const b = contractBatch(1000, false, 0);
  await t.send(b);
  assert.ok(b.kinesisCount > 0 && b.kinesisCount < 10, `aggregates: ${b.kinesisCount}`);
  let bytes = 0;
  for (let k = 0; k < b.kinesisCount; k++) {
    assert.ok((b.kBytes[k] as number) <= 51_200);
    bytes += b.kBytes[k] as number;
  }
  assert.ok(bytes > 1000 * 100);
  assert.ok(Array.from(b.status.subarray(0, 1000)).every((s) => s === STATUS_OK));
});

test('model URL: unknown parameters are rejected with the valid list', () => {
  assert.throws(() => ModelTarget.fromUrl('model://?shard=8'), (e: unknown) => e instanceof ShardwiseError && e.code === 'E_CONFIG' && /valid: shards/.test(e.message));
  assert.throws(() => ModelTarget.fromUrl('model://?shards=0'), /shards/);
  assert.equal(ModelTarget.fromUrl('model://?shards=8&aggregate').describe().aggregation, true);
});
