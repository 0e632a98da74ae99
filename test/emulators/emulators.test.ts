import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import { startKinesisLocal } from '../../bench/emulators/kinesis-local.ts';
import { DEFAULT_STREAM_NAME, EMULATOR_CREDENTIALS, type LocalKinesis } from '../../bench/emulators/local-kinesis.ts';

const MAX = (1n << 128n) - 1n;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

function ranges(shards: Shard[]): [bigint, bigint][] {
  return shards.map((s) => [BigInt(s.HashKeyRange?.StartingHashKey ?? '-1'), BigInt(s.HashKeyRange?.EndingHashKey ?? '-1')]);
}

/** The open shards cover 0 … 2^128−1 contiguously, without gaps or overlaps. */
function assertCoversHashSpace(shards: Shard[]): void {
  const open = ranges(shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let next = 0n;
  for (const [start, end] of open) {
    assert.equal(start, next);
    assert.ok(end >= start);
    next = end + 1n;
  }
  assert.equal(next, MAX + 1n);
}

async function putSome(client: KinesisClient, stream: string, n: number): Promise<void> {
  const r = await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: n }, (_, i) => ({ PartitionKey: `device-${i}`, Data: Buffer.from(`payload-${i}`) })),
    }),
  );
  assert.equal(r.FailedRecordCount, 0);
  assert.equal(r.Records?.length, n);
  for (const e of r.Records ?? []) {
    assert.match(e.ShardId ?? '', /^shardId-\d{12}$/);
    assert.match(e.SequenceNumber ?? '', /^\d+$/);
  }
}

describe('kinesalite emulator', () => {
  const started: LocalKinesis[] = [];
  after(async () => {
    for (const k of started) await k.stop();
  });

  it('starts with a 4-shard stream, accepts PutRecords through the SDK, reports CPU and memory, and stops', async () => {
    const k = await startKinesalite({ shards: 4 });
    started.push(k);
    assert.equal(k.kind, 'kinesalite');
    assert.equal(k.endpoint, `http://127.0.0.1:${k.port}`);
    assert.notEqual(k.pid, process.pid);
    const client = makeKinesisClient({ endpoint: k.endpoint, credentials: EMULATOR_CREDENTIALS });
    try {
      const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: DEFAULT_STREAM_NAME }));
      // kinesalite splits 2^128 into N equal ranges of floor(2^128 / N), the last one taking the rest.
      const q = (1n << 128n) / 4n;
      assert.deepEqual(ranges(Shards), [
        [0n, q - 1n],
        [q, 2n * q - 1n],
        [2n * q, 3n * q - 1n],
        [3n * q, MAX],
      ]);
      await putSome(client, DEFAULT_STREAM_NAME, 50);
      await k.createStream('second', 7);
      const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: 'second' }));
      assert.equal(s.StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
      assert.equal(s.StreamDescriptionSummary?.OpenShardCount, 7);
      const seven = (await client.send(new ListShardsCommand({ StreamName: 'second' }))).Shards ?? [];
      assertCoversHashSpace(seven);
      assert.equal(seven[1]?.HashKeyRange?.StartingHashKey, ((1n << 128n) / 7n).toString());
    } finally {
      client.destroy();
    }
    assert.ok((await k.cpuSeconds()) > 0, 'the child used some CPU');
    assert.ok((await k.rssBytes()) > 10 * 1024 * 1024, 'the child holds some memory');
    await k.stop();
    assert.equal(isAlive(k.pid), false);
    await k.stop(); // idempotent
  });

  it('completes SplitShard at once: the parent closes and two children cover its range', async () => {
    const k = await startKinesalite({ streams: [{ name: 'split', shards: 2 }] });
    started.push(k);
    const client = makeKinesisClient({ endpoint: k.endpoint, credentials: EMULATOR_CREDENTIALS });
    try {
      const before = (await client.send(new ListShardsCommand({ StreamName: 'split' }))).Shards ?? [];
      const parent = before[0];
      assert.ok(parent?.HashKeyRange?.EndingHashKey !== undefined && parent.ShardId !== undefined);
      const mid = BigInt(parent.HashKeyRange.EndingHashKey) / 2n;
      await client.send(new SplitShardCommand({ StreamName: 'split', ShardToSplit: parent.ShardId, NewStartingHashKey: mid.toString() }));
      let shards: Shard[] = [];
      for (let i = 0; i < 100 && shards.length < 4; i++) {
        shards = (await client.send(new ListShardsCommand({ StreamName: 'split' }))).Shards ?? [];
        if (shards.length < 4) await sleep(20);
      }
      assert.equal(shards.length, 4);
      assert.ok(shards[0]?.SequenceNumberRange?.EndingSequenceNumber !== undefined, 'parent is closed');
      assert.deepEqual(shards.slice(2).map((s) => s.ParentShardId), [parent.ShardId, parent.ShardId]);
      assertCoversHashSpace(shards);
      await putSome(client, 'split', 20);
    } finally {
      client.destroy();
    }
  });

  it('keeps streams and records across restarts when given a path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shardwise-kinesalite-'));
    try {
      const first = await startKinesalite({ path: dir, streams: [{ name: 'durable', shards: 1 }] });
      started.push(first);
      const c1 = makeKinesisClient({ endpoint: first.endpoint, credentials: EMULATOR_CREDENTIALS });
      await putSome(c1, 'durable', 3);
      c1.destroy();
      await first.stop();
      const second = await startKinesalite({ path: dir });
      started.push(second);
      const c2 = makeKinesisClient({ endpoint: second.endpoint, credentials: EMULATOR_CREDENTIALS });
      try {
        const { StreamNames } = await c2.send(new ListStreamsCommand({}));
        assert.deepEqual(StreamNames, ['durable']);
      } finally {
        c2.destroy();
      }
      await second.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits when the process that started it is killed', async () => {
    // A parent process starts kinesalite, prints the child's pid, then is SIGKILLed.
    const script = fileURLToPath(new URL('./fixtures/start-and-wait.ts', import.meta.url));
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /pid=(\d+)/.exec(out);
        if (m?.[1] !== undefined) resolve(Number(m[1]));
      });
      parent.once('exit', (code) => reject(new Error(`fixture exited early (${code}): ${out}`)));
    });
    assert.equal(isAlive(pid), true);
    parent.kill('SIGKILL');
    assert.equal(await waitForExit(pid, 10_000), true, 'the emulator child exited after its parent was killed');
  });
});

describe('kinesis-local emulator', () => {
  it('starts with a 4-shard stream, accepts PutRecords through the SDK, creates streams, and stops', async () => {
    const k = await startKinesisLocal({ streams: [{ name: 'kl', shards: 4 }] });
    const client = makeKinesisClient({ endpoint: k.endpoint, credentials: EMULATOR_CREDENTIALS });
    try {
      assert.equal(k.kind, 'kinesis-local');
      const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: 'kl' }));
      // kinesis-local uses floor((2^128 − 1) / N): for N = 4 its ranges differ by one from kinesalite's.
      const q = MAX / 4n;
      assert.deepEqual(ranges(Shards), [
        [0n, q - 1n],
        [q, 2n * q - 1n],
        [2n * q, 3n * q - 1n],
        [3n * q, MAX],
      ]);
      await putSome(client, 'kl', 20);
      await k.createStream('kl-two', 2);
      const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: 'kl-two' }));
      assert.equal(s.StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
      assert.ok((await k.cpuSeconds()) > 0);
    } finally {
      client.destroy();
      await k.stop();
    }
    assert.equal(isAlive(k.pid), false);
  });
});
