/**
 * mqtt:// target against a broker on 127.0.0.1 (bench/emulators/mqtt-broker.ts): the Target
 * contract, every QoS 1 publish of a run received by a subscriber, per-device connections spread
 * over loopback source addresses, and URL errors.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { startMqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import type { MqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import { Engine } from '../../bench/engine/engine.ts';
import { summarize } from '../../bench/report/summary.ts';
import { toTextReport } from '../../bench/report/text-report.ts';
import { MqttTarget } from '../../bench/targets/mqtt-target.ts';
import { localAddressOf, parseMqttUrl } from '../../bench/targets/mqtt-url.ts';
import { readPayloadFields } from '../../bench/verify/payload-fields.ts';
import { targetContract } from './target-contract.ts';

let broker: MqttBroker;

before(async () => {
  broker = await startMqttBroker();
});

after(async () => {
  await broker?.stop();
});

targetContract('mqtt (QoS 1)', () => new MqttTarget(parseMqttUrl(`${broker.url}/contract/{device}?qos=1&connections=2`)), { virtual: false });
targetContract('mqtt (QoS 0)', () => new MqttTarget(parseMqttUrl(`${broker.url}/contract0/{device}?qos=0&connections=1`)), { virtual: false });

/** Subscribes to `filter` and collects (device, seq) of every bench payload received. */
async function collector(filter: string): Promise<{ client: MqttClient; seen: Map<string, Set<number>>; topics: Set<string>; count: () => number }> {
  const client = await connectAsync(broker.url, { reconnectPeriod: 0, protocolVersion: 4 });
  const seen = new Map<string, Set<number>>();
  const topics = new Set<string>();
  let n = 0;
  const f = { device: '', seq: 0, tsUs: 0 };
  client.on('message', (topic, payload) => {
    n++;
    topics.add(topic);
    if (!readPayloadFields(payload, f)) return;
    let s = seen.get(f.device);
    if (!s) seen.set(f.device, (s = new Set()));
    s.add(f.seq);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, seen, topics, count: () => n };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

describe('mqtt target', () => {
  it('publishes 3,000 QoS 1 messages through the engine (pipelined on 4 connections); a subscriber receives all of them', async () => {
    const sub = await collector('bench/+/telemetry');
    try {
      const target = new MqttTarget(parseMqttUrl(`${broker.url}/bench/{device}/telemetry?qos=1&connections=4`));
      const r = await new Engine(
        { seed: 4, fleet: { devices: 300, idPattern: 'dev-{n:04}' }, rate: { recordsPerSec: 3000, arrivals: 'constant' }, durationMs: 10_000, maxRecords: 3000, mode: 'real' },
        { target },
      ).run();
      assert.equal(r.counts.acked, 3000, `failed ${r.counts.failed}`);
      assert.equal(r.target.kind, 'mqtt');
      assert.equal(r.targetStats?.counters['connectionsOpened'], 4);
      assert.equal(summarize(r).shards.length, 0, 'an MQTT target has no shards');
      assert.match(toTextReport(r), /shards {4}none: a mqtt target has no shards/);
      await waitFor(() => sub.count() >= 3000, 10_000);
      assert.equal(sub.count(), 3000);
      assert.equal(sub.seen.size, 300);
      for (const [device, seqs] of sub.seen) assert.equal(seqs.size, 10, `${device} got ${seqs.size} distinct seqs`);
      assert.ok(sub.topics.has('bench/dev-0042/telemetry'));
    } finally {
      await sub.client.endAsync();
    }
  });

  it('one connection per device, spread over loopback source addresses (perAddress=2 → 127.0.0.1, .2, .3)', async () => {
    const sub = await collector('per/#');
    try {
      const target = new MqttTarget(parseMqttUrl(`${broker.url}/per/{device}?qos=1&perDevice=true&maxConnections=6&perAddress=2`));
      const r = await new Engine(
        { seed: 2, fleet: { devices: 6, idPattern: 'cam-{n}' }, rate: { recordsPerSec: 60, arrivals: 'constant' }, durationMs: 10_000, maxRecords: 60, mode: 'real' },
        { target },
      ).run();
      assert.equal(r.counts.acked, 60);
      assert.deepEqual(target.connectionAddresses(), ['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3']);
      await waitFor(() => sub.count() >= 60, 10_000);
      assert.equal(sub.count(), 60);
      assert.deepEqual([...sub.seen.keys()].sort(), ['cam-0', 'cam-1', 'cam-2', 'cam-3', 'cam-4', 'cam-5']);
    } finally {
      await sub.client.endAsync();
    }
  });

  it('URL: topic template, defaults, address plan and precise errors', () => {
    const o = parseMqttUrl('mqtt://u:secret@127.0.0.1:1884/site/{key}/x?qos=0');
    assert.deepEqual(o.topic, ['site/', 'key', '/x']);
    assert.equal(o.qos, 0);
    assert.equal(o.username, 'u');
    assert.equal(o.port, 1884);
    assert.deepEqual(parseMqttUrl('mqtts://broker.example').topic, ['devices/', 'device', '/telemetry']);
    assert.equal(parseMqttUrl('mqtts://broker.example').port, 8883);
    const many = parseMqttUrl('mqtt://127.0.0.1:1883?perDevice=true&maxConnections=100000');
    assert.equal(localAddressOf(many, 19_999), undefined);
    assert.equal(localAddressOf(many, 20_000), '127.0.0.2');
    assert.equal(localAddressOf(many, 70_000), '127.0.0.4');
    assert.throws(
      () => parseMqttUrl('mqtt://u:secret@127.0.0.1:1883/a/{site}/+?qos=2&connection=4'),
      (e: unknown) =>
        e instanceof ShardwiseError &&
        e.code === 'E_CONFIG' &&
        /unknown parameter connection \(valid: qos, connections/.test(e.message) &&
        /qos: expected one of 0, 1/.test(e.message) &&
        /\{site\} is neither/.test(e.message) &&
        /cannot contain \+ or #/.test(e.message) &&
        !e.message.includes('secret'),
    );
    assert.throws(() => parseMqttUrl('mqtt://broker.example:1883?perDevice=true&maxConnections=100000'), /localAddresses/);
    assert.throws(() => parseMqttUrl('mqtt://127.0.0.1:1883/a/#?qos=0'), /URL fragment/);
  });
});
