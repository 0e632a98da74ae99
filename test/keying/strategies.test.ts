import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { hashPartitionKey, wordsToBigInt } from '../../agent/kinesis/hash-key.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { createKeying } from '../../agent/keying/create-keying.ts';
import { KeyTable } from '../../agent/keying/device-keys.ts';
import { compileKeyTemplate } from '../../agent/keying/key-template.ts';
import { SaltedKeying } from '../../agent/keying/salted-keying.ts';

const namer = { count: 50, idOf: (i: number) => `meter-${String(i).padStart(4, '0')}` };
const out = new Uint32Array(4);

test('device keying: PK = device id; the bench path writes MD5(id) and its length', () => {
  const keys = new KeyTable(namer);
  const k = createKeying({ kind: 'device' }, { keys });
  assert.equal(k.ordering, 'per-device');
  assert.deepEqual(k.keyFor({ deviceId: 'meter-0007', seq: 3, bytes: 10 }), { partitionKey: 'meter-0007' });
  for (const d of [0, 7, 49]) {
    const len = k.keyInto(d, 0, 100, out, 0);
    assert.equal(wordsToBigInt(out, 0), hashPartitionKey(namer.idOf(d)));
    assert.equal(len, 10);
    assert.equal(k.partitionKeyOf(d, 0), namer.idOf(d));
  }
});

test('template keying renders fields and {device}; missing fields are an error or fall back to the device', () => {
  const k = createKeying({ kind: 'template', template: '{site}-{device}' });
  assert.equal(k.keyFor({ deviceId: 'd1', fields: { site: 'north', x: 1 }, seq: 0, bytes: 1 }).partitionKey, 'north-d1');
  assert.equal(k.keyFor({ deviceId: 'd1', fields: { site: 42 }, seq: 0, bytes: 1 }).partitionKey, '42-d1');
  assert.throws(() => k.keyFor({ deviceId: 'd1', fields: {}, seq: 0, bytes: 1 }), (e: unknown) => e instanceof ShardwiseError && e.code === 'E_PARTITION_KEY' && /"site"/.test(e.message));
  const f = createKeying({ kind: 'field', field: 'country', onMissing: 'device' });
  assert.equal(f.ordering, 'per-key');
  assert.equal(f.keyFor({ deviceId: 'd9', fields: { country: 'DE' }, seq: 0, bytes: 1 }).partitionKey, 'DE');
  assert.equal(f.keyFor({ deviceId: 'd9', seq: 0, bytes: 1 }).partitionKey, 'd9');
  assert.throws(() => compileKeyTemplate('constant'), /at least one/);
  assert.throws(() => compileKeyTemplate('{a'), /unclosed/);
  assert.equal(compileKeyTemplate('{{x}}-{a}').render(() => 'v'), '{x}-v');
});

test('template keying bench path uses the rendered-key table', () => {
  const tpl = compileKeyTemplate('{country}');
  const keys = new KeyTable(namer, (d) => tpl.render(() => (d % 10 === 0 ? 'DE' : 'FR')) as string);
  const k = createKeying({ kind: 'field', field: 'country' }, { keys });
  k.keyInto(10, 0, 1, out, 0);
  assert.equal(wordsToBigInt(out, 0), hashPartitionKey('DE'));
  assert.equal(k.partitionKeyOf(11, 0), 'FR');
});

test('salted keying: bucket = seq mod k; cached and uncached bench paths agree with MD5 of the key', () => {
  const keys = new KeyTable(namer);
  const cached = createKeying({ kind: 'salted', buckets: 4 }, { keys });
  assert.equal(cached.ordering, 'per-bucket');
  assert.equal(cached.keyFor({ deviceId: 'a', seq: 6, bytes: 1 }).partitionKey, 'a#2');
  for (const [d, seq] of [[0, 0], [3, 5], [49, 11]] as const) {
    const len = cached.keyInto(d, seq, 1, out, 0);
    const pk = cached.partitionKeyOf(d, seq);
    assert.equal(pk, `${namer.idOf(d)}#${seq % 4}`);
    assert.equal(len, pk.length);
    assert.equal(wordsToBigInt(out, 0), hashPartitionKey(pk));
  }
  const uncached = new SaltedKeying({ buckets: 4, cacheLimit: 0 }, keys);
  uncached.keyInto(3, 5, 1, out, 0);
  assert.equal(wordsToBigInt(out, 0), hashPartitionKey(`${namer.idOf(3)}#1`));
  assert.throws(() => createKeying({ kind: 'salted', buckets: 1 }), /2…1024/);
});

test('random keying: deterministic per (seed, device, seq), spread uniformly over 8 shards', () => {
  const a = createKeying({ kind: 'random', seed: 7 });
  const b = createKeying({ kind: 'random', seed: 7 });
  assert.equal(a.ordering, 'none');
  assert.equal(a.partitionKeyOf(3, 9), b.partitionKeyOf(3, 9));
  assert.notEqual(a.partitionKeyOf(3, 9), a.partitionKeyOf(3, 10));
  assert.match(a.keyFor({ deviceId: 'x', seq: 0, bytes: 1 }).partitionKey, /^[0-9a-f]{16}$/);
  const map = ShardMap.uniform(8);
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < 80_000; i++) {
    a.keyInto(i % 10, i, 1, out, 0);
    counts[map.indexOfWords(out, 0)]!++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `shard count ${c}`);
});

test('unknown kind is a configuration error', () => {
  assert.throws(() => createKeying({ kind: 'nope' } as never), (e: unknown) => e instanceof ShardwiseError && e.code === 'E_CONFIG');
  assert.throws(() => createKeying({ kind: 'balanced' }), /shard map/);
});
