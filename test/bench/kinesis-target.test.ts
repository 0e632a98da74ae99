/**
 * kinesis:// target against kinesalite (started here, 127.0.0.1): the Target contract, per-shard
 * counts of a run equal to what is read back shard by shard, verify on clean and tampered
 * streams, and a country-keyed run flagged hot from its per-second counts (kinesalite enforces no
 * limits, so "hot" comes from the report's per-second per-shard demand against the limits).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { hashPartitionKeyInto } from '../../agent/kinesis/hash-key.ts';
import { listAllShards } from '../../agent/kinesis/list-shards.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { readStream } from '../../agent/kinesis/stream-reader.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { Engine } from '../../bench/engine/engine.ts';
import { toJsonReport } from '../../bench/report/json-report.ts';
import { summarize } from '../../bench/report/summary.ts';
import { loadScenarioFile } from '../../bench/scenario/load.ts';
import { planScenario } from '../../bench/scenario/to-engine.ts';
import { targetFromSpec } from '../../bench/targets/create-target.ts';
import { KinesisTarget } from '../../bench/targets/kinesis-target.ts';
import { parseKinesisUrl } from '../../bench/targets/kinesis-url.ts';
import { runDevicesFromReport } from '../../bench/verify/run-devices.ts';
import { verifyStream } from '../../bench/verify/verify-stream.ts';
import { localClient } from '../support/kinesis-fixture.ts';
import { targetContract } from './target-contract.ts';

let kinesis: LocalKinesis;
let client: KinesisClient;
const url = (stream: string, params: string): string => `kinesis://${stream}?endpoint=${encodeURIComponent(kinesis.endpoint)}&${params}`;

before(async () => {
  kinesis = await startKinesalite({
    streams: [
      { name: 'contract', shards: 2 },
      { name: 'run4', shards: 4 },
      { name: 'country', shards: 8 },
      { name: 'tampered', shards: 2 },
    ],
  });
  client = localClient(kinesis.endpoint);
});

after(async () => {
  client?.destroy();
  await kinesis?.stop();
});

targetContract('kinesis (kinesalite)', () => new KinesisTarget(parseKinesisUrl(url('contract', 'linger=5&aggregation=off'))), { virtual: false });

describe('kinesis target runs against kinesalite', () => {
  it('20,000 records on 4 shards: per-shard counts of the run equal the counts read back; verify finds nothing lost, duplicated or reordered', async () => {
    const target = new KinesisTarget(parseKinesisUrl(url('run4', 'linger=10&rateLimit=off')));
    const r = await new Engine(
      { seed: 9, fleet: { devices: 2000, idPattern: 'truck-{n:05}' }, rate: { recordsPerSec: 10_000, arrivals: 'constant' }, durationMs: 10_000, maxRecords: 20_000, mode: 'real', maxInFlight: 16 },
      { target },
    ).run();
    assert.equal(r.counts.generated, 20_000);
    assert.equal(r.counts.acked, 20_000, `failed ${r.counts.failed}, throttled ${r.counts.throttled}, late ${r.counts.droppedLate}`);
    const reported = Object.fromEntries(summarize(r).shards.map((s) => [s.id, s.records]));
    const read: Record<string, number> = {};
    await readStream({ client, stream: { streamName: 'run4' }, minCallIntervalMs: 0, onRecord: (x) => (read[x.shardId] = (read[x.shardId] ?? 0) + 1) });
    assert.deepEqual(reported, read);
    assert.equal(Object.keys(read).length, 4);
    // Aggregation on: fewer Kinesis records than user records, and the producer's per-shard totals agree.
    const kinesisRecords = summarize(r).shards.reduce((a, s) => a + s.kinesisRecords, 0);
    assert.ok(kinesisRecords > 0 && kinesisRecords < 20_000, `kinesis records ${kinesisRecords}`);
    assert.equal(kinesisRecords, r.targetStats?.counters['kinesisRecordsAccepted']);
    assert.ok((r.targetStats?.counters['putRecordsRequests'] ?? 0) > 0);

    const json = JSON.parse(JSON.stringify(toJsonReport(r, { devices: { idPattern: 'truck-{n:05}' } }))) as unknown;
    const v = await verifyStream({ url: url('run4', ''), run: runDevicesFromReport(json) });
    assert.deepEqual(
      { records: v.records, devices: v.devices, lost: v.lost, duplicates: v.duplicates, outOfOrder: v.outOfOrder, unparsed: v.unparsed },
      { records: 20_000, devices: 2000, lost: 0, duplicates: 0, outOfOrder: 0, unparsed: 0 },
    );
    assert.deepEqual(v.run, { expected: 20_000, missing: 0, devicesNeverSeen: 0, unexpectedDevices: 0 });
    assert.deepEqual(Object.fromEntries(v.perShard.map((s) => [s.id, s.records])), read);
    assert.equal(v.latency.ms.count, 20_000);
  });

  it('verify reports duplicates, gaps and reordering written by hand', async () => {
    const put = async (device: string, seq: number): Promise<void> => {
      const data = Buffer.from(`{"device":"${device}","seq":${seq},"ts":${Date.now() * 1000},"temp":21.5}`);
      await client.send(new PutRecordCommand({ StreamName: 'tampered', PartitionKey: device, Data: data }));
    };
    // dev-a: 0 1 2 2 4 → one duplicate, one gap (3). dev-b: 0 2 1 → one out of order, nothing lost.
    for (const s of [0, 1, 2, 2, 4]) await put('dev-a', s);
    for (const s of [0, 2, 1]) await put('dev-b', s);
    await client.send(new PutRecordCommand({ StreamName: 'tampered', PartitionKey: 'x', Data: Buffer.from('not a bench payload') }));
    const v = await verifyStream({ url: url('tampered', '') });
    assert.deepEqual(
      { records: v.records, devices: v.devices, lost: v.lost, duplicates: v.duplicates, outOfOrder: v.outOfOrder, unparsed: v.unparsed },
      { records: 8, devices: 2, lost: 1, duplicates: 1, outOfOrder: 1, unparsed: 1 },
    );
  });

  it('country-key on 8 shards: the US shard is flagged hot from per-second counts against the limits', async () => {
    const scenario = await loadScenarioFile('scenarios/country-key.yaml');
    const plan = planScenario(scenario, { devices: 2000, rate: 3000, durationMs: 3000 }, url('country', 'aggregation=off&rateLimit=off&linger=10'));
    assert.equal(plan.input.mode, 'real');
    const spec = { url: plan.targetUrl, stream: { shards: 8, limits: plan.stream.limits, aggregation: false } };
    const r = await new Engine({ ...plan.input, maxInFlight: 16 }, { target: targetFromSpec(spec) }).run();
    assert.ok(r.counts.acked >= 8000, `acked ${r.counts.acked}`);
    const shards = await listAllShards(client, { streamName: 'country' });
    const w = new Uint32Array(4);
    hashPartitionKeyInto('US', w, 0);
    const usShard = ShardMap.fromShards(shards).shardIdAt(ShardMap.fromShards(shards).indexOfWords(w, 0));
    const s = summarize(r);
    assert.deepEqual(s.shards.filter((x) => x.hot).map((x) => x.id), [usShard]);
    assert.equal(s.shards.filter((x) => x.warm && !x.hot).length, 0);
    assert.equal(r.counts.throttled, 0, 'kinesalite itself throttles nothing');
  });
});
