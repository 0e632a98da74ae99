import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import { EMULATOR_CREDENTIALS, type LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { failEntries, randomFaults, scripted } from '../support/fault-deciders.ts';
import { startFaultProxy, type Decider, type FaultProxy, type PutRecordsDecision } from '../support/fault-proxy.ts';

let kinesis: LocalKinesis;
let direct: KinesisClient;
let streamNo = 0;

/** A fresh 4-shard stream per test, so read-back sees only that test's records. */
async function freshStream(): Promise<string> {
  const name = `faults-${++streamNo}`;
  await kinesis.createStream(name, 4);
  return name;
}

/** Every record's data (as text) in every shard of `stream`, read directly from the emulator. */
async function readAll(stream: string): Promise<string[]> {
  const { Shards = [] } = await direct.send(new ListShardsCommand({ StreamName: stream }));
  const out: string[] = [];
  for (const shard of Shards) {
    const it = await direct.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const r = await direct.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 10_000 }));
    for (const rec of r.Records ?? []) out.push(Buffer.from(rec.Data ?? new Uint8Array()).toString('utf8'));
  }
  return out.sort();
}

function records(n: number, prefix = 'rec'): { PartitionKey: string; Data: Buffer }[] {
  return Array.from({ length: n }, (_, i) => ({ PartitionKey: `key-${prefix}-${i}`, Data: Buffer.from(`${prefix}-${i}`) }));
}

async function withProxy(decide: Decider | undefined, body: (proxy: FaultProxy, client: KinesisClient) => Promise<void>, clientOpts: { requestTimeoutMs?: number } = {}): Promise<void> {
  const proxy = await startFaultProxy({ upstream: kinesis.endpoint, ...(decide ? { decide } : {}) });
  const client = makeKinesisClient({ endpoint: proxy.endpoint, credentials: EMULATOR_CREDENTIALS, ...clientOpts });
  try {
    await body(proxy, client);
  } finally {
    client.destroy();
    await proxy.stop();
  }
}

before(async () => {
  kinesis = await startKinesalite();
  direct = makeKinesisClient({ endpoint: kinesis.endpoint, credentials: EMULATOR_CREDENTIALS });
});
after(async () => {
  direct.destroy();
  await kinesis.stop();
});

describe('fault proxy: entry failures', () => {
  it('splices failed entries back at their indexes, and those records are not written', async () => {
    const stream = await freshStream();
    const decision: PutRecordsDecision = {
      kind: 'forward',
      failEntries: new Map([
        [0, 'ProvisionedThroughputExceededException'],
        [3, 'InternalFailure'],
        [4, 'ProvisionedThroughputExceededException'],
        [7, 'InternalFailure'],
      ]),
    };
    await withProxy(scripted([decision]), async (proxy, client) => {
      const r = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records(8) }));
      assert.equal(r.FailedRecordCount, 4);
      const entries: PutRecordsResultEntry[] = r.Records ?? [];
      assert.equal(entries.length, 8);
      assert.deepEqual(entries.map((e) => e.ErrorCode ?? 'ok'), [
        'ProvisionedThroughputExceededException', 'ok', 'ok', 'InternalFailure',
        'ProvisionedThroughputExceededException', 'ok', 'ok', 'InternalFailure',
      ]);
      for (const i of [1, 2, 5, 6]) {
        assert.match(entries[i]?.SequenceNumber ?? '', /^\d+$/);
        assert.match(entries[i]?.ShardId ?? '', /^shardId-/);
      }
      for (const i of [0, 3, 4, 7]) assert.ok((entries[i]?.ErrorMessage ?? '').length > 0);
      assert.deepEqual({ ...proxy.stats }, { requests: 1, forwardedEntries: 4, failedEntries: 4, wholeRequestFaults: 0, credentialRejections: 0, upstreamErrors: 0 });
    });
    assert.deepEqual(await readAll(stream), ['rec-1', 'rec-2', 'rec-5', 'rec-6']);
  });

  it('answers without forwarding when every entry fails', async () => {
    const stream = await freshStream();
    await withProxy(scripted([failEntries([0, 1, 2], 'InternalFailure')]), async (proxy, client) => {
      const r = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records(3) }));
      assert.equal(r.FailedRecordCount, 3);
      assert.deepEqual(r.Records?.map((e) => e.ErrorCode), ['InternalFailure', 'InternalFailure', 'InternalFailure']);
      assert.equal(proxy.stats.forwardedEntries, 0);
    });
    assert.deepEqual(await readAll(stream), []);
  });

  it('stays exact under many concurrent keep-alive requests with seeded random entry failures', async () => {
    const stream = await freshStream();
    await withProxy(randomFaults({ seed: 42, entryFailRate: 0.2, entryErrorCodes: ['ProvisionedThroughputExceededException', 'InternalFailure'] }), async (proxy, client) => {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, b) => client.send(new PutRecordsCommand({ StreamName: stream, Records: records(100, `b${b}`) }))),
      );
      const written: string[] = [];
      let failed = 0;
      results.forEach((r, b) => {
        assert.equal(r.Records?.length, 100);
        const failedHere = r.Records?.filter((e) => e.ErrorCode !== undefined).length ?? -1;
        assert.equal(r.FailedRecordCount, failedHere);
        failed += failedHere;
        r.Records?.forEach((e, i) => {
          if (e.ErrorCode === undefined) written.push(`b${b}-${i}`);
        });
      });
      assert.ok(failed > 400 && failed < 1200, `about 20 % of 4000 entries failed (${failed})`);
      assert.equal(proxy.stats.failedEntries, failed);
      assert.equal(proxy.stats.forwardedEntries, 4000 - failed);
      assert.deepEqual(await readAll(stream), written.sort());
    });
  });

  it('forwards request bodies of ~6.7 MB (a 5 MB PutRecords, base64-encoded)', async () => {
    const stream = await freshStream();
    const big = Array.from({ length: 5 }, (_, i) => ({ PartitionKey: `big-${i}`, Data: Buffer.alloc(1_000_000, 65 + i) }));
    await withProxy(scripted([failEntries([2])]), async (proxy, client) => {
      const r = await client.send(new PutRecordsCommand({ StreamName: stream, Records: big }));
      assert.equal(r.FailedRecordCount, 1);
      assert.equal(r.Records?.[2]?.ErrorCode, 'ProvisionedThroughputExceededException');
      assert.equal(proxy.stats.forwardedEntries, 4);
    });
    const lengths = (await readAll(stream)).map((s) => `${s[0]}${s.length}`);
    assert.deepEqual(lengths, ['A1000000', 'B1000000', 'D1000000', 'E1000000']);
  });
});

describe('fault proxy: whole-request faults', () => {
  async function expectFault(kind: PutRecordsDecision['kind'], check: (e: Error & { $metadata?: { httpStatusCode?: number }; code?: string }) => void, written: number): Promise<void> {
    const stream = await freshStream();
    await withProxy(
      scripted([{ kind }]),
      async (proxy, client) => {
        await assert.rejects(client.send(new PutRecordsCommand({ StreamName: stream, Records: records(5) })), (e: Error) => {
          check(e);
          return true;
        });
        assert.equal(proxy.stats.wholeRequestFaults, 1);
        // The connection pool recovers: the next request goes through.
        const ok = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records(2, 'after') }));
        assert.equal(ok.FailedRecordCount, 0);
      },
      { requestTimeoutMs: 1000 },
    );
    const data = await readAll(stream);
    assert.equal(data.filter((d) => d.startsWith('rec-')).length, written, `${kind}: records written by the faulted request`);
    assert.deepEqual(data.filter((d) => d.startsWith('after-')), ['after-0', 'after-1']);
  }

  it('http-500 reaches the SDK as InternalFailure (500)', () =>
    expectFault('http-500', (e) => {
      assert.equal(e.name, 'InternalFailure');
      assert.equal(e.$metadata?.httpStatusCode, 500);
    }, 0));

  it('http-503 reaches the SDK as ServiceUnavailable (503)', () =>
    expectFault('http-503', (e) => {
      assert.equal(e.name, 'ServiceUnavailable');
      assert.equal(e.$metadata?.httpStatusCode, 503);
    }, 0));

  it('throttle-request reaches the SDK as a typed ProvisionedThroughputExceededException', () =>
    expectFault('throttle-request', (e) => {
      assert.ok(e instanceof ProvisionedThroughputExceededException);
      assert.equal(e.$metadata?.httpStatusCode, 400);
    }, 0));

  it('reset reaches the SDK as a connection reset', () =>
    expectFault('reset', (e) => {
      assert.equal(e.code, 'ECONNRESET');
    }, 0));

  it('hang reaches the SDK as a request timeout and writes nothing', () =>
    expectFault('hang', (e) => {
      assert.equal(e.name, 'TimeoutError');
    }, 0));

  it('hang-after-forward times out but the records were written', () =>
    expectFault('hang-after-forward', (e) => {
      assert.equal(e.name, 'TimeoutError');
    }, 5));
});

describe('fault proxy: pass-through and credentials', () => {
  it('passes other operations through unchanged, without asking the decider', async () => {
    const stream = await freshStream();
    const seen: string[] = [];
    await withProxy((ctx) => {
      seen.push(ctx.op);
      return { kind: 'http-500' };
    }, async (proxy, client) => {
      const viaProxy = await client.send(new ListShardsCommand({ StreamName: stream }));
      const viaDirect = await direct.send(new ListShardsCommand({ StreamName: stream }));
      assert.deepEqual(viaProxy.Shards, viaDirect.Shards);
      const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      assert.equal(summary.StreamDescriptionSummary?.StreamName, stream);
      // Upstream errors pass through as they are.
      await assert.rejects(client.send(new DescribeStreamSummaryCommand({ StreamName: 'no-such-stream' })), { name: 'ResourceNotFoundException' });
      assert.deepEqual(seen, []);
      assert.equal(proxy.stats.requests, 3);
      assert.equal(proxy.stats.wholeRequestFaults, 0);
    });
  });

  it('with requireCredentials, accepts correctly signed requests and rejects wrong credentials with typed errors', async () => {
    const creds = { accessKeyId: 'AKIDSHARDWISETEST', secretAccessKey: 'right-secret' };
    const proxy = await startFaultProxy({ upstream: kinesis.endpoint, requireCredentials: creds });
    const good = makeKinesisClient({ endpoint: proxy.endpoint, credentials: creds });
    const wrongSecret = makeKinesisClient({ endpoint: proxy.endpoint, credentials: { ...creds, secretAccessKey: 'wrong' } });
    const unknownKey = makeKinesisClient({ endpoint: proxy.endpoint, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'right-secret' } });
    try {
      const stream = await freshStream();
      const listed = await good.send(new ListStreamsCommand({}));
      assert.ok(listed.StreamNames?.includes(stream));
      const put = await good.send(new PutRecordsCommand({ StreamName: stream, Records: records(3) })); // signed body
      assert.equal(put.FailedRecordCount, 0);
      await assert.rejects(wrongSecret.send(new ListStreamsCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, 'InvalidSignatureException');
        assert.equal(e.$metadata?.httpStatusCode, 400);
        return true;
      });
      await assert.rejects(unknownKey.send(new ListStreamsCommand({})), { name: 'UnrecognizedClientException' });
      assert.equal(proxy.stats.credentialRejections, 2);
    } finally {
      good.destroy();
      wrongSecret.destroy();
      unknownKey.destroy();
      await proxy.stop();
    }
  });
});
