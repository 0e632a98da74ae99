import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { Producer } from '../../agent/kinesis/producer.ts';
import { promiseListener, putRecord, type Deferred } from '../../agent/kinesis/put-promise.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { seededRandom } from '../support/fault-deciders.ts';
import { startFaultProxy, type Decider, type EntryErrorCode, type FaultProxy } from '../support/fault-proxy.ts';
import { compareReadBack, localClient, produceAll, readAll, telemetry } from '../support/kinesis-fixture.ts';

/** Some requests lose some entries; some whole requests fail in every way that is not ambiguous. */
function mixedFaults(seed: number): Decider {
  const random = seededRandom(seed);
  const whole = ['http-500', 'http-503', 'throttle-request', 'reset', 'hang'] as const;
  const codes: EntryErrorCode[] = ['ProvisionedThroughputExceededException', 'InternalFailure'];
  return ({ entries }) => {
    const r = random();
    if (r < 0.08) return { kind: whole[Math.floor(random() * whole.length)] as (typeof whole)[number] };
    if (r < 0.4) {
      const failEntries = new Map<number, EntryErrorCode>();
      for (let i = 0; i < entries; i++) if (random() < 0.3) failEntries.set(i, codes[i % 2] as EntryErrorCode);
      return { kind: 'forward', failEntries };
    }
    return { kind: 'forward' };
  };
}

describe('producer under injected faults (fault proxy in front of kinesalite)', () => {
  let kinesis: LocalKinesis;
  let direct: KinesisClient;
  let proxy: FaultProxy;
  let viaProxy: KinesisClient;
  before(async () => {
    kinesis = await startKinesalite({ streams: [{ name: 'agg', shards: 4 }, { name: 'plain', shards: 4 }, { name: 'ttl', shards: 2 }, { name: 'amb', shards: 2 }] });
    direct = localClient(kinesis.endpoint);
    proxy = await startFaultProxy({ upstream: kinesis.endpoint });
    // Short request timeout so 'hang' faults cost little.
    viaProxy = localClient(proxy.endpoint, 1500);
  });
  after(async () => {
    viaProxy?.destroy();
    direct?.destroy();
    await proxy?.stop();
    await kinesis?.stop();
  });

  for (const aggregation of [true, false]) {
    it(`aggregation ${aggregation ? 'on' : 'off'}: every record delivered exactly once, no success re-sent`, async () => {
      const stream = aggregation ? 'agg' : 'plain';
      proxy.setDecider(mixedFaults(aggregation ? 1 : 2));
      const forwardedBefore = proxy.stats.forwardedEntries;
      const sent = telemetry(aggregation ? 20_000 : 6_000, 200, 60);
      const { outcomes, producer } = await produceAll(
        {
          client: viaProxy,
          streamName: stream,
          // Small aggregates: many requests, so the faults have something to hit.
          aggregation: { enabled: aggregation, maxBytes: 2048 },
          rateLimit: { enabled: false },
          recordTtlMs: 0,
          lingerMs: 20,
          retry: { baseMs: 10, maxMs: 200 },
          // Several entries per shard per request so partial failures hit the middle of a shard's run.
          maxEntriesPerShardPerRequest: aggregation ? 3 : 500,
        },
        sent,
      );
      proxy.setDecider(() => ({ kind: 'forward' }));
      const stats = producer.stats();
      assert.equal(outcomes.filter((o) => !o.ok).length, 0, 'every record accepted in the end');
      assert.ok(stats.entriesFailed > 0 && stats.requestErrors > 0, `faults were injected (${stats.entriesFailed} entries, ${stats.requestErrors} requests)`);
      assert.ok(outcomes.some((o) => o.attempts > 1), 'some records needed retries');
      // The proxy forwarded exactly the entries the producer saw accepted: nothing accepted was sent twice.
      assert.equal(proxy.stats.forwardedEntries - forwardedBefore, stats.kinesisRecordsAccepted);
      const { records } = await readAll(direct, stream);
      const cmp = compareReadBack(sent, records);
      assert.deepEqual({ missing: cmp.missing, duplicates: cmp.duplicates, read: records.length }, { missing: 0, duplicates: 0, read: sent.length });
      if (!aggregation) assert.ok(cmp.outOfOrder <= stats.reordered, `out-of-order reads (${cmp.outOfOrder}) are all counted as reordered (${stats.reordered})`);
    });
  }

  it('aggregation with one entry per shard per request keeps per-key order through partial failures', async () => {
    await kinesis.createStream('ordered', 4);
    proxy.setDecider(mixedFaults(3));
    const sent = telemetry(10_000, 100, 60);
    const { outcomes, producer } = await produceAll(
      { client: viaProxy, streamName: 'ordered', aggregation: { enabled: true }, rateLimit: { enabled: false }, recordTtlMs: 0, lingerMs: 5, retry: { baseMs: 10, maxMs: 200 } },
      sent,
    );
    proxy.setDecider(() => ({ kind: 'forward' }));
    assert.equal(outcomes.filter((o) => !o.ok).length, 0);
    assert.ok(producer.stats().entriesFailed > 0);
    assert.equal(producer.stats().reordered, 0);
    const cmp = compareReadBack(sent, (await readAll(direct, 'ordered')).records);
    assert.deepEqual({ missing: cmp.missing, duplicates: cmp.duplicates, outOfOrder: cmp.outOfOrder }, { missing: 0, duplicates: 0, outOfOrder: 0 });
  });

  it('a record that never gets through is reported failed after its TTL, with the last error, and is not in the stream', async () => {
    proxy.setDecider(({ entries }) => ({ kind: 'forward', failEntries: new Map(Array.from({ length: entries }, (_, i) => [i, 'ProvisionedThroughputExceededException'] as const)) }));
    const p = new Producer<Deferred>({ client: viaProxy, stream: { streamName: 'ttl' }, recordTtlMs: 800, lingerMs: 5, retry: { baseMs: 20, maxMs: 100 } }, promiseListener);
    await p.start();
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => putRecord(p, { partitionKey: `k${i}`, data: Buffer.from(`r${i}`) })));
    proxy.setDecider(() => ({ kind: 'forward' }));
    await p.close();
    assert.equal(results.filter((r) => r.status === 'rejected').length, 50);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = r.reason as { code: string; message: string };
      assert.equal(e.code, 'E_TTL_EXPIRED');
      assert.match(e.message, /ProvisionedThroughputExceededException/);
    }
    assert.ok(p.stats().retriedUserRecords >= 50, 'retried before giving up');
    assert.equal((await readAll(direct, 'ttl')).records.length, 0);
  });

  it('a timeout after the service wrote the records: retried, duplicates bounded by what was in flight', async () => {
    let n = 0;
    proxy.setDecider(() => (n++ % 7 === 3 ? { kind: 'hang-after-forward' } : { kind: 'forward' }));
    const sent = telemetry(3000, 50, 40);
    const { outcomes, producer } = await produceAll(
      { client: viaProxy, streamName: 'amb', aggregation: { enabled: false }, rateLimit: { enabled: false }, recordTtlMs: 0, lingerMs: 5, retry: { baseMs: 10, maxMs: 100 } },
      sent,
    );
    proxy.setDecider(() => ({ kind: 'forward' }));
    assert.equal(outcomes.filter((o) => !o.ok).length, 0);
    const cmp = compareReadBack(sent, (await readAll(direct, 'amb')).records);
    assert.equal(cmp.missing, 0);
    const timedOutRecords = outcomes.filter((o) => o.attempts > 1).length;
    assert.ok(cmp.duplicates > 0 && cmp.duplicates <= timedOutRecords, `duplicates ${cmp.duplicates} ≤ records retried after a timeout ${timedOutRecords}`);
    assert.ok(producer.stats().failedByCode['request:E_TIMEOUT'] ?? 0 > 0);
  });

  it('wrong credentials against a server that checks them: E_ACCESS_DENIED, not retried', async () => {
    const checking = await startFaultProxy({ upstream: kinesis.endpoint, requireCredentials: { accessKeyId: 'AKIDGOOD', secretAccessKey: 'good-secret' } });
    try {
      for (const creds of [{ accessKeyId: 'AKIDGOOD', secretAccessKey: 'wrong-secret' }, { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'good-secret' }]) {
        const client = makeKinesisClient({ endpoint: checking.endpoint, credentials: creds });
        const p = new Producer<Deferred>({ client, stream: { streamName: 'ttl' } }, promiseListener);
        await assert.rejects(p.start(), (e: { code?: string; message?: string }) => {
          assert.equal(e.code, 'E_ACCESS_DENIED');
          assert.match(e.message ?? '', /InvalidSignatureException|UnrecognizedClientException/);
          assert.doesNotMatch(e.message ?? '', /wrong-secret|good-secret/, 'the secret never appears in the error');
          return true;
        });
        client.destroy();
      }
      const good = makeKinesisClient({ endpoint: checking.endpoint, credentials: { accessKeyId: 'AKIDGOOD', secretAccessKey: 'good-secret' } });
      const p = new Producer<Deferred>({ client: good, stream: { streamName: 'ttl' }, lingerMs: 1 }, promiseListener);
      await p.start();
      assert.match((await putRecord(p, { partitionKey: 'k', data: Buffer.from('ok') })).shardId, /^shardId-/);
      await p.close();
      good.destroy();
    } finally {
      await checking.stop();
    }
  });
});
