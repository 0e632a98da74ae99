/**
 * ListShards without the SDK (KinesisEndpoint.post): the same shards as through the SDK, NextToken
 * pages followed, service and network errors classified as the SDK's are.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { classifyRequestError } from '../../agent/kinesis/classify.ts';
import { KinesisEndpoint } from '../../agent/kinesis/kinesis-endpoint.ts';
import { listAllShards } from '../../agent/kinesis/list-shards.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { LOCAL_CREDENTIALS, localClient } from '../support/kinesis-fixture.ts';

describe('ListShards through KinesisEndpoint', () => {
  let kinesis: LocalKinesis;
  let sdk: KinesisClient;
  let endpoint: KinesisEndpoint;
  before(async () => {
    kinesis = await startKinesalite({ streams: [{ name: 'pages', shards: 5 }] });
    sdk = localClient(kinesis.endpoint);
    endpoint = KinesisEndpoint.create({ endpoint: kinesis.endpoint, credentials: LOCAL_CREDENTIALS });
  });
  after(async () => {
    endpoint?.destroy();
    sdk?.destroy();
    await kinesis?.stop();
  });

  it('returns what the SDK returns', async () => {
    const viaSdk = await listAllShards(sdk, { streamName: 'pages' });
    assert.equal(viaSdk.length, 5);
    assert.deepEqual(await listAllShards(endpoint, { streamName: 'pages' }), viaSdk);
    assert.deepEqual(await listAllShards(endpoint, { streamName: 'pages' }, 1000, 'sdk'), viaSdk);
  });

  it('follows NextToken pages (kinesalite ignores MaxResults: a fake service here)', async () => {
    const shard = (i: number, closed = false): object => ({
      ShardId: `shardId-00000000000${i}`,
      HashKeyRange: { StartingHashKey: String(i * 100), EndingHashKey: String(i * 100 + 99) },
      SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '2' } : {}) },
      ...(i > 0 ? { ParentShardId: null } : {}),
    });
    const seen: { target: string | undefined; body: unknown }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { NextToken?: string };
        seen.push({ target: req.headers['x-amz-target'] as string | undefined, body });
        const page = body.NextToken === undefined ? { Shards: [shard(0, true), shard(1)], NextToken: 't1' } : body.NextToken === 't1' ? { Shards: [shard(2)], NextToken: 't2' } : { Shards: [shard(3)] };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(page));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ep = KinesisEndpoint.create({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: LOCAL_CREDENTIALS });
    try {
      const shards = await listAllShards(ep, { streamName: 'paged' }, 2);
      assert.deepEqual(shards.map((s) => [s.shardId, s.open, s.parentShardId]), [
        ['shardId-000000000000', false, undefined],
        ['shardId-000000000001', true, undefined],
        ['shardId-000000000002', true, undefined],
        ['shardId-000000000003', true, undefined],
      ]);
      assert.deepEqual(seen, [
        { target: 'Kinesis_20131202.ListShards', body: { StreamName: 'paged', MaxResults: 2 } },
        { target: 'Kinesis_20131202.ListShards', body: { NextToken: 't1', MaxResults: 2 } },
        { target: 'Kinesis_20131202.ListShards', body: { NextToken: 't2', MaxResults: 2 } },
      ]);
    } finally {
      ep.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('a missing stream is E_STREAM_NOT_FOUND, not retryable, as through the SDK', async () => {
    const direct = await listAllShards(endpoint, { streamName: 'no-such-stream' }).then(() => undefined, (e: unknown) => e);
    const viaSdk = await listAllShards(sdk, { streamName: 'no-such-stream' }).then(() => undefined, (e: unknown) => e);
    const d = classifyRequestError(direct);
    const s = classifyRequestError(viaSdk);
    assert.equal(d.code, 'E_STREAM_NOT_FOUND');
    assert.equal(d.retryable, false);
    assert.deepEqual([d.code, d.serviceCode, d.retryable], [s.code, s.serviceCode, s.retryable]);
  });

  it('throttling, server errors and refused connections are retryable like the SDK errors', async () => {
    let answer = { status: 400, body: { __type: 'LimitExceededException', message: 'Rate exceeded for stream' } as object };
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer.body)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ep = KinesisEndpoint.create({ endpoint: url, credentials: LOCAL_CREDENTIALS });
    const code = async (e: KinesisEndpoint): Promise<[string, boolean]> => {
      const err = await listAllShards(e, { streamName: 'x' }).then(() => undefined, (x: unknown) => x);
      const c = classifyRequestError(err);
      return [c.code, c.retryable];
    };
    try {
      assert.deepEqual(await code(ep), ['E_THROTTLED', true]);
      answer = { status: 500, body: { __type: 'InternalFailure', message: 'boom' } };
      assert.deepEqual(await code(ep), ['E_INTERNAL_FAILURE', true]);
      answer = { status: 503, body: {} };
      assert.deepEqual(await code(ep), ['E_SERVICE_UNAVAILABLE', true]);
    } finally {
      ep.destroy();
      await new Promise((r) => server.close(r));
    }
    const refused = KinesisEndpoint.create({ endpoint: url, credentials: LOCAL_CREDENTIALS });
    try {
      assert.deepEqual(await code(refused), ['E_NETWORK', true]);
    } finally {
      refused.destroy();
    }
  });
});
