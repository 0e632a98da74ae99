import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { compareReadBack, localClient, produceAll, readAll, telemetry } from '../support/kinesis-fixture.ts';

describe('producer → kinesalite → stream reader: 50,000 records', () => {
  let kinesis: LocalKinesis;
  let client: KinesisClient;
  before(async () => {
    kinesis = await startKinesalite({ streams: [{ name: 'agg', shards: 4 }, { name: 'plain', shards: 4 }, { name: 'sdk', shards: 4 }, { name: 'simd', shards: 4 }] });
    client = localClient(kinesis.endpoint);
  });
  after(async () => {
    client?.destroy();
    await kinesis?.stop();
  });

  for (const aggregation of [true, false]) {
    it(`aggregation ${aggregation ? 'on' : 'off'}: same count, same bytes, per-key order, no duplicates`, async () => {
      const stream = aggregation ? 'agg' : 'plain';
      const sent = telemetry(50_000, 1000);
      const { outcomes, producer } = await produceAll(
        { client, streamName: stream, aggregation: { enabled: aggregation }, rateLimit: { enabled: false }, concurrency: 8 },
        sent,
      );
      assert.equal(outcomes.filter((o) => !o.ok).length, 0, 'no record failed');
      const stats = producer.stats();
      assert.equal(stats.userRecordsAccepted, 50_000);
      if (aggregation) assert.ok(stats.kinesisRecordsAccepted < 50_000 / 50, `aggregated into few Kinesis records (${stats.kinesisRecordsAccepted})`);
      else assert.equal(stats.kinesisRecordsAccepted, 50_000);

      const { records, discarded } = await readAll(client, stream);
      assert.equal(discarded, 0);
      assert.equal(records.length, 50_000);
      const cmp = compareReadBack(sent, records);
      assert.deepEqual({ missing: cmp.missing, duplicates: cmp.duplicates, outOfOrder: cmp.outOfOrder }, { missing: 0, duplicates: 0, outOfOrder: 0 });
      assert.equal(cmp.bytesRead, cmp.bytesSent);
      // Every record was read from the shard the producer reported.
      const reported = new Map<string, number>();
      for (const o of outcomes) reported.set(o.shardId as string, (reported.get(o.shardId as string) ?? 0) + 1);
      const read = new Map<string, number>();
      for (const r of records) read.set(r.shardId, (read.get(r.shardId) ?? 0) + 1);
      assert.deepEqual([...read].sort(), [...reported].sort());
    });
  }

  it('SIMD digests, 4 aggregates per shard per request: every aggregate checks out (none read as a plain record)', async () => {
    const sent = telemetry(30_000, 500);
    const { outcomes, producer } = await produceAll(
      { client, streamName: 'simd', aggregation: { enabled: true, simdDigests: true }, maxEntriesPerShardPerRequest: 4, rateLimit: { enabled: false }, concurrency: 4 },
      sent,
    );
    assert.equal(outcomes.filter((o) => !o.ok).length, 0);
    assert.ok(producer.stats().kinesisRecordsAccepted < 30_000 / 50);
    const { records, discarded } = await readAll(client, 'simd');
    assert.equal(discarded, 0);
    const cmp = compareReadBack(sent, records);
    assert.deepEqual({ read: records.length, missing: cmp.missing, duplicates: cmp.duplicates, outOfOrder: cmp.outOfOrder }, { read: 30_000, missing: 0, duplicates: 0, outOfOrder: 0 });
    assert.equal(cmp.bytesRead, cmp.bytesSent);
  });

  it('the SDK transport (client.send) delivers the same way as the direct one', async () => {
    const sent = telemetry(10_000, 100);
    const { outcomes, producer } = await produceAll(
      { client, streamName: 'sdk', transport: 'sdk', aggregation: { enabled: true }, rateLimit: { enabled: false } },
      sent,
    );
    assert.equal(outcomes.filter((o) => !o.ok).length, 0);
    assert.equal(producer.stats().userRecordsAccepted, 10_000);
    const cmp = compareReadBack(sent, (await readAll(client, 'sdk')).records);
    assert.deepEqual({ missing: cmp.missing, duplicates: cmp.duplicates, outOfOrder: cmp.outOfOrder }, { missing: 0, duplicates: 0, outOfOrder: 0 });
  });
});
