import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MergeShardsCommand, PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { hashKeyToDecimal, recordHashKeyInto } from '../../agent/kinesis/hash-key.ts';
import { listAllShards } from '../../agent/kinesis/list-shards.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import { startKinesisLocal } from '../../bench/emulators/kinesis-local.ts';
import { waitForActive, type LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { compareReadBack, localClient, readAll, telemetry } from '../support/kinesis-fixture.ts';

function randomKey(i: number): string {
  // Mixed shapes: device ids, UUID-like, non-ASCII, long keys up to 256 characters.
  switch (i % 5) {
    case 0:
      return `device-${i}`;
    case 1:
      return randomBytes(16).toString('hex');
    case 2:
      return `capteur-é-${i}-温度-🚚`;
    case 3:
      return randomBytes(96).toString('base64').slice(0, 1 + (i % 256));
    default:
      return String(i);
  }
}

/** Explicit hash keys on and around every shard boundary, plus both ends of the hash space. */
function boundaryKeys(map: ShardMap): string[] {
  const out = new Set<string>(['0', ((1n << 128n) - 1n).toString()]);
  for (const s of map.shards) {
    out.add(s.startingHashKey.toString());
    out.add(s.endingHashKey.toString());
    if (s.startingHashKey > 0n) out.add((s.startingHashKey - 1n).toString());
  }
  return [...out];
}

/** Writes records straight through the SDK and compares each returned ShardId with our prediction. */
async function mispredictions(client: KinesisClient, streamName: string, keys: string[], ehks: string[]): Promise<{ checked: number; wrong: string[] }> {
  const map = ShardMap.fromShards(await listAllShards(client, { streamName }));
  const entries: { PartitionKey: string; ExplicitHashKey?: string; Data: Buffer }[] = [
    ...keys.map((k) => ({ PartitionKey: k, Data: Buffer.from('x') })),
    ...ehks.map((h) => ({ PartitionKey: 'ehk', ExplicitHashKey: h, Data: Buffer.from('y') })),
  ];
  const wrong: string[] = [];
  const w = new Uint32Array(4);
  for (let i = 0; i < entries.length; i += 500) {
    const batch = entries.slice(i, i + 500);
    const res = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: batch }));
    assert.equal(res.FailedRecordCount ?? 0, 0);
    batch.forEach((e, j) => {
      recordHashKeyInto({ partitionKey: e.PartitionKey, explicitHashKey: e.ExplicitHashKey }, w, 0);
      const predicted = map.shardIdAt(map.indexOfWords(w, 0));
      const actual = res.Records?.[j]?.ShardId;
      if (predicted !== actual) wrong.push(`${e.ExplicitHashKey ?? e.PartitionKey} (${hashKeyToDecimal(w, 0)}): predicted ${predicted}, server ${actual}`);
    });
  }
  return { checked: entries.length, wrong };
}

/** `exactSplit`: the emulator splits the hash space at CreateStream exactly as the service does. */
const emulators: { name: string; start: () => Promise<LocalKinesis>; keys: number; exactSplit: boolean }[] = [
  { name: 'kinesalite', start: () => startKinesalite({ streams: [{ name: 's4', shards: 4 }, { name: 's7', shards: 7 }] }), keys: 10_000, exactSplit: true },
  // kinesis-local slows down as a stream grows: fewer records there. Its CreateStream boundaries sit a
  // few units below the service's (floor(2^128/n)·i): our map reads them from ListShards, as it must.
  {
    name: 'kinesis-local',
    start: () => startKinesisLocal({ streams: [{ name: 's4', shards: 4 }, { name: 's7', shards: 7 }] }),
    keys: 2_000,
    exactSplit: false,
  },
];

/** The open shards tile the whole hash space: no gap, no overlap. */
function assertTiles(map: ShardMap): void {
  let next = 0n;
  for (const s of map.shards) {
    assert.equal(s.startingHashKey, next, `${s.shardId} starts where the previous shard ended`);
    next = s.endingHashKey + 1n;
  }
  assert.equal(next, 1n << 128n, 'the last shard ends at 2^128 − 1');
}

for (const emu of emulators) {
  describe(`shard prediction against ${emu.name}`, () => {
    let kinesis: LocalKinesis;
    let client: KinesisClient;
    before(async () => {
      kinesis = await emu.start();
      client = localClient(kinesis.endpoint, 60_000);
    });
    after(async () => {
      client?.destroy();
      await kinesis?.stop();
    });

    for (const [stream, shards] of [['s4', 4], ['s7', 7]] as const) {
      it(`${shards} shards: the listed shards tile the hash space${emu.exactSplit ? ' exactly as ShardMap.uniform (the service) does' : ''}`, async () => {
        const listed = ShardMap.fromShards(await listAllShards(client, { streamName: stream }));
        assertTiles(listed);
        const uniform = ShardMap.uniform(shards);
        assertTiles(uniform);
        if (!emu.exactSplit) {
          listed.shards.forEach((s, i) => assert.ok(uniform.shards[i]!.startingHashKey - s.startingHashKey <= BigInt(shards), `${s.shardId} close to the service's split`));
          return;
        }
        assert.deepEqual(
          listed.shards.map((s) => [s.startingHashKey, s.endingHashKey]),
          uniform.shards.map((s) => [s.startingHashKey, s.endingHashKey]),
        );
      });

      it(`${shards} shards: ${emu.keys} random partition keys and boundary explicit hash keys land where predicted`, async () => {
        const keys = Array.from({ length: emu.keys }, (_, i) => randomKey(i));
        const { checked, wrong } = await mispredictions(client, stream, keys, boundaryKeys(ShardMap.uniform(shards)));
        assert.ok(checked > emu.keys);
        assert.deepEqual(wrong.slice(0, 5), []);
      });
    }

    it('after SplitShard and MergeShards the refreshed map still predicts every record', async () => {
      const before = ShardMap.fromShards(await listAllShards(client, { streamName: 's4' }));
      const s0 = before.shards[0];
      assert.ok(s0);
      // Split shard 0 off-centre, then merge shards 2 and 3.
      const splitAt = s0.startingHashKey + (s0.endingHashKey - s0.startingHashKey) / 3n;
      await client.send(new SplitShardCommand({ StreamName: 's4', ShardToSplit: s0.shardId, NewStartingHashKey: splitAt.toString() }));
      await waitForActive(client, 's4', 60_000);
      await client.send(new MergeShardsCommand({ StreamName: 's4', ShardToMerge: before.shardIdAt(2), AdjacentShardToMerge: before.shardIdAt(3) }));
      await waitForActive(client, 's4', 60_000);
      const all = await listAllShards(client, { streamName: 's4' });
      const after = ShardMap.fromShards(all);
      assert.equal(after.size, 4, 'split 1 → 2, merged 2 → 1: four open shards');
      assertTiles(after);
      assert.equal(all.filter((s) => !s.open).length, 3, 'three closed parents');
      const keys = Array.from({ length: Math.min(emu.keys, 5000) }, (_, i) => randomKey(i));
      const { wrong } = await mispredictions(client, 's4', keys, boundaryKeys(after));
      assert.deepEqual(wrong.slice(0, 5), []);
    });
  });
}

describe('producer with a stale shard map (kinesalite)', () => {
  for (const aggregation of [true, false]) it(`a split while producing, aggregation ${aggregation ? 'on' : 'off'}: every record delivered once, KCL-visible, the map refreshed`, async () => {
    const kinesis = await startKinesalite({ streams: [{ name: 'live', shards: 2 }] });
    const client = localClient(kinesis.endpoint);
    try {
      const first = telemetry(4000, 300);
      const second = telemetry(8000, 300).slice(4000);
      // The producer loads the map, then the stream is resharded under it.
      const { Producer } = await import('../../agent/kinesis/producer.ts');
      const outcomes: boolean[] = [];
      const producer = new Producer<number>(
        { client, stream: { streamName: 'live' }, aggregation: { enabled: aggregation }, rateLimit: { enabled: false } },
        { onAccepted: (i) => (outcomes[i] = true), onFailed: (i) => (outcomes[i] = false) },
      );
      await producer.start();
      first.forEach((r, i) => producer.add(r, i));
      await producer.flush();
      const shards = ShardMap.fromShards(await listAllShards(client, { streamName: 'live' }));
      const s0 = shards.shards[0];
      assert.ok(s0);
      await client.send(new SplitShardCommand({ StreamName: 'live', ShardToSplit: s0.shardId, NewStartingHashKey: ((s0.startingHashKey + s0.endingHashKey) / 2n).toString() }));
      await waitForActive(client, 'live', 30_000);
      second.forEach((r, i) => producer.add(r, 4000 + i));
      await producer.close();
      assert.equal(outcomes.filter((o) => o === true).length, 8000, 'all accepted');
      const stats = producer.stats();
      assert.ok(stats.unexpectedShard > 0, 'the producer noticed records landing on unpredicted shards');
      assert.ok(stats.shardMapRefreshes >= 2, 'and refreshed its map');
      const { records, discarded } = await readAll(client, 'live');
      const cmp = compareReadBack([...first, ...second], records);
      assert.equal(cmp.missing, 0, 'nothing a KCL reader would miss');
      assert.equal(cmp.duplicates, 0);
      assert.equal(discarded, stats.resentOutOfRange, 'sub-records outside the landing shard were re-sent, once each');
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  });
});
