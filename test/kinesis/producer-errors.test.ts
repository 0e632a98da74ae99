import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { RecordValidationError, ShardwiseError } from '../../agent/core/errors.ts';
import { Producer } from '../../agent/kinesis/producer.ts';
import { promiseListener, putRecord, type Deferred } from '../../agent/kinesis/put-promise.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { localClient } from '../support/kinesis-fixture.ts';

describe('typed errors', () => {
  let kinesis: LocalKinesis;
  let client: KinesisClient;
  let producer: Producer<Deferred>;
  before(async () => {
    kinesis = await startKinesalite({ streams: [{ name: 'errs', shards: 2 }] });
    client = localClient(kinesis.endpoint);
    producer = new Producer<Deferred>({ client, stream: { streamName: 'errs' }, lingerMs: 5 }, promiseListener);
    await producer.start();
  });
  after(async () => {
    await producer?.close();
    client?.destroy();
    await kinesis?.stop();
  });

  const rejectsWith = async (p: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ShardwiseError, `a ShardwiseError, got ${String(e)}`);
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  };

  it('a record over 1 MiB (data + partition key) is refused before any request', async () => {
    const requestsBefore = producer.stats().requests;
    const data = new Uint8Array(1024 * 1024 - 3);
    await rejectsWith(putRecord(producer, { partitionKey: 'abcd', data }), 'E_RECORD_TOO_LARGE', /1048577 bytes .* exceeds the 1048576-byte limit/);
    // Exactly at the limit is fine.
    const ok = await putRecord(producer, { partitionKey: 'abc', data });
    assert.match(ok.shardId, /^shardId-/);
    assert.equal(producer.stats().requests, requestsBefore + 1, 'only the valid record was sent');
    assert.throws(() => producer.add({ partitionKey: 'é', data: new Uint8Array(1024 * 1024 - 1) }, { resolve() {}, reject() {} }), RecordValidationError, 'multi-byte keys count in bytes');
  });

  it('bad partition keys: empty, over 256 characters', async () => {
    await rejectsWith(putRecord(producer, { partitionKey: '', data: Buffer.from('x') }), 'E_PARTITION_KEY', /partition key/);
    await rejectsWith(putRecord(producer, { partitionKey: 'k'.repeat(257), data: Buffer.from('x') }), 'E_PARTITION_KEY', /257/);
    const ok = await putRecord(producer, { partitionKey: 'k'.repeat(256), data: Buffer.from('x') });
    assert.ok(ok.sequenceNumber.length > 0);
  });

  it('bad explicit hash keys: not decimal, negative, above 2^128 − 1', async () => {
    for (const ehk of ['12a', '-1', '340282366920938463463374607431768211456', '', ' 1']) {
      await rejectsWith(putRecord(producer, { partitionKey: 'k', explicitHashKey: ehk, data: Buffer.from('x') }), 'E_EXPLICIT_HASH_KEY', /explicit hash key/);
    }
    const top = await putRecord(producer, { partitionKey: 'k', explicitHashKey: '340282366920938463463374607431768211455', data: Buffer.from('x') });
    assert.equal(top.shardId, 'shardId-000000000001');
  });

  it('an unknown stream fails start() with E_STREAM_NOT_FOUND, not retried', async () => {
    const p = new Producer<Deferred>({ client, stream: { streamName: 'no-such-stream' } }, promiseListener);
    await rejectsWith(p.start(), 'E_STREAM_NOT_FOUND', /ResourceNotFoundException/);
  });

  it('a stream deleted under a running producer: records fail with E_STREAM_NOT_FOUND (fatal, not retried until TTL)', async () => {
    await kinesis.createStream('doomed', 1);
    const p = new Producer<Deferred>({ client, stream: { streamName: 'doomed' }, lingerMs: 1, recordTtlMs: 60_000 }, promiseListener);
    await p.start();
    await putRecord(p, { partitionKey: 'k', data: Buffer.from('before') });
    const { DeleteStreamCommand } = await import('@aws-sdk/client-kinesis');
    await client.send(new DeleteStreamCommand({ StreamName: 'doomed' }));
    const t0 = Date.now();
    await rejectsWith(putRecord(p, { partitionKey: 'k', data: Buffer.from('after') }), 'E_STREAM_NOT_FOUND', /ResourceNotFound/);
    assert.ok(Date.now() - t0 < 30_000, 'failed at once, not after the 60 s TTL');
    await p.close();
  });
});
