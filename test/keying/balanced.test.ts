import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { parseExplicitHashKey } from '../../agent/kinesis/hash-key.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { BalancedKeying } from '../../agent/keying/balanced-keying.ts';
import { KeyTable } from '../../agent/keying/device-keys.ts';
import { FileAssignmentStore } from '../../agent/keying/file-assignment-store.ts';

const out = new Uint32Array(4);

function fleet(n: number): KeyTable {
  return new KeyTable({ count: n, idOf: (i) => `dev-${i}` });
}

test('new devices go to the least-loaded shard: 800 equal devices → 100 per shard', () => {
  const map = ShardMap.uniform(8);
  const k = new BalancedKeying({ shardMap: map, clock: new ManualClock(), keys: fleet(800) });
  const perShard = new Array<number>(8).fill(0);
  for (let d = 0; d < 800; d++) {
    k.keyInto(d, 0, 100, out, 0);
    const s = map.indexOfWords(out, 0);
    assert.equal(s, k.shardOfIndex(d));
    perShard[s]!++;
  }
  assert.deepEqual(perShard, new Array(8).fill(100));
  assert.equal(k.stats.assigned, 800);
});

/** 40 devices on 4 shards (10 each, equal at first); then the devices first put on shard 0 send 3 records per tick, the others 1. */
function drive(k: BalancedKeying, clock: ManualClock, ticks: number, ack: boolean, onTick?: (t: number) => void): void {
  for (let d = 0; d < 40; d++) {
    k.keyInto(d, 0, 100, out, 0);
    if (ack) k.onAckedIndex(d, 1);
  }
  const chatty = Array.from({ length: 40 }, (_, d) => k.shardOfIndex(d) === 0);
  assert.equal(chatty.filter(Boolean).length, 10);
  for (let t = 0; t < ticks; t++) {
    for (let d = 0; d < 40; d++) {
      const n = chatty[d] ? 3 : 1;
      for (let i = 0; i < n; i++) {
        k.keyInto(d, 0, 100, out, 0);
        if (ack) k.onAckedIndex(d, 1);
      }
    }
    clock.advance(10);
    onTick?.(t);
  }
}

test('a device moves only after its shard stayed over fair share × threshold for moveAfterMs', () => {
  const clock = new ManualClock();
  const k = new BalancedKeying({ shardMap: ShardMap.uniform(4), clock, keys: fleet(40), halfLifeMs: 1000, threshold: 1.2, moveAfterMs: 2000 });
  let firstMoveAt = -1;
  drive(k, clock, 600, true, (t) => {
    if (firstMoveAt < 0 && k.stats.moved > 0) firstMoveAt = t * 10;
  });
  // The imbalance is visible after the first epoch (125 ms); moves wait 2 s more.
  assert.ok(firstMoveAt >= 2000 && firstMoveAt < 3000, `first move at ${firstMoveAt} ms`);
  assert.ok(k.stats.moved >= 1);
  const loads = k.shardLoads();
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  assert.ok(Math.max(...loads) <= mean * 1.2 + 1e-9, `loads ${loads.map((l) => l.toFixed(3)).join(', ')}`);
});

test('a device with records in flight never moves', () => {
  const clock = new ManualClock();
  const k = new BalancedKeying({ shardMap: ShardMap.uniform(4), clock, keys: fleet(40), halfLifeMs: 1000, threshold: 1.2, moveAfterMs: 2000 });
  drive(k, clock, 600, false);
  assert.equal(k.stats.moved, 0);
  assert.equal(k.inFlight(0), 1 + 600 * 3);
});

test('reshard: devices of a split shard follow their pinned key into the children', () => {
  const clock = new ManualClock();
  const before = ShardMap.uniform(2);
  const k = new BalancedKeying({ shardMap: before, clock, keys: fleet(200) });
  for (let d = 0; d < 200; d++) k.keyInto(d, 0, 10, out, 0);
  const onShard0 = Array.from({ length: 200 }, (_, d) => d).filter((d) => k.shardOfIndex(d) === 0);
  const [s0, s1] = before.shards as [typeof before.shards[0], typeof before.shards[0]];
  const mid = s0.startingHashKey + (s0.endingHashKey - s0.startingHashKey) / 2n;
  const after = ShardMap.fromShards([
    { ...s0, open: false },
    s1,
    { shardId: 'shardId-000000000002', startingHashKey: s0.startingHashKey, endingHashKey: mid, parentShardId: s0.shardId, open: true },
    { shardId: 'shardId-000000000003', startingHashKey: mid + 1n, endingHashKey: s0.endingHashKey, parentShardId: s0.shardId, open: true },
  ]);
  k.setShardMap(after);
  assert.equal(k.stats.followed, onShard0.length);
  const childIds = new Set<string>();
  for (let d = 0; d < 200; d++) {
    const s = k.shardOfIndex(d);
    assert.ok(s >= 0);
    const id = after.shardIdAt(s);
    if (onShard0.includes(d)) childIds.add(id);
    else assert.equal(id, s1.shardId);
    k.keyInto(d, 1, 10, out, 0);
    assert.equal(after.indexOfWords(out, 0), s);
  }
  assert.deepEqual([...childIds].sort(), ['shardId-000000000002', 'shardId-000000000003']);
  // A gap (the parent closed, no child known yet): its devices are re-pinned on their next record.
  const gap = ShardMap.fromShards([s1]);
  k.setShardMap(gap);
  assert.equal(k.shardOfIndex(onShard0[0]!), -1);
  k.keyInto(onShard0[0]!, 2, 10, out, 0);
  assert.equal(k.shardOfIndex(onShard0[0]!), 0);
});

test('agent path: PK = device id, EHK inside the assigned shard; assignments survive a restart (file store)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sw-keying-'));
  try {
    const map = ShardMap.uniform(4);
    const clock = new ManualClock();
    const a = new BalancedKeying({ shardMap: map, clock });
    for (let i = 0; i < 50; i++) {
      const r = a.keyFor({ deviceId: `gw-${i}`, seq: 0, bytes: 200 });
      assert.equal(r.partitionKey, `gw-${i}`);
      assert.equal(map.indexOfHashKey(parseExplicitHashKey(r.explicitHashKey as string)), a.shardOf(`gw-${i}`));
    }
    const store = new FileAssignmentStore(join(dir, 'assign.bin'));
    assert.equal(await store.load(), undefined);
    assert.equal(await a.persist(store), true);
    assert.equal(await a.persist(store), false);
    const b = new BalancedKeying({ shardMap: map, clock });
    b.restore((await store.load())!);
    for (let i = 0; i < 50; i++) assert.equal(b.shardOf(`gw-${i}`), a.shardOf(`gw-${i}`));
    assert.equal(b.keyFor({ deviceId: 'gw-3', seq: 1, bytes: 1 }).explicitHashKey, a.keyFor({ deviceId: 'gw-3', seq: 1, bytes: 1 }).explicitHashKey);
    const bytes = await readFile(store.path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
    await writeFile(store.path, bytes);
    await assert.rejects(store.load(), (e: unknown) => e instanceof ShardwiseError && e.code === 'E_CONFIG' && /CRC/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dense bench fleet snapshot round-trips', async () => {
  const map = ShardMap.uniform(3);
  const keys = fleet(1000);
  const a = new BalancedKeying({ shardMap: map, clock: new ManualClock(), keys });
  for (let d = 0; d < 1000; d += 2) a.keyInto(d, 0, 10, out, 0);
  const snap = a.snapshot();
  assert.equal(snap.deviceIds, null);
  const b = new BalancedKeying({ shardMap: map, clock: new ManualClock(), keys });
  b.restore(snap);
  for (let d = 0; d < 1000; d++) assert.equal(b.shardOfIndex(d), a.shardOfIndex(d));
  assert.equal(b.shardOfIndex(1), -1);
});
