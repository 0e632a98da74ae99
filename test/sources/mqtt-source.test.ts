/**
 * MQTT source against a real broker (mosquitto on a free port; aedes when mosquitto is missing,
 * which skips the MQTT 5 cases).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMqttBroker, type MqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import type { MqttSourceOptions } from '../../agent/sources/mqtt/mqtt-options.ts';
import { RecordingDownstream, publish, startSource, uniqueId, waitFor, type Message } from './mqtt-harness.ts';

let broker: MqttBroker;
before(async () => {
  broker = await startMqttBroker({ websockets: true });
});
after(async () => {
  await broker?.stop();
});

const T = { timeout: 30_000 };

function opts(name: string, over: Partial<MqttSourceOptions> = {}): MqttSourceOptions {
  return {
    name,
    url: broker.url,
    clientId: uniqueId(name),
    protocolVersion: 4,
    topics: [{ filter: `${name}/+/data`, qos: 1 }],
    deviceId: { fromTopic: `${name}/{device}/data` },
    ...over,
  };
}

describe('acknowledgement after accept', () => {
  for (const [v, qos] of [[4, 1], [5, 1], [4, 2], [5, 2]] as const) {
    it(`MQTT ${v === 5 ? '5' : '3.1.1'} QoS ${qos}: unaccepted messages are redelivered, accepted ones are not`, T, async (t) => {
      if (v === 5 && broker.kind !== 'mosquitto') return t.skip('aedes has no MQTT 5');
      // aedes 1.2 redelivers QoS 2 messages whose flow completed (PUBCOMP sent) and mixes up PUBRELs
      if (qos === 2 && broker.kind !== 'mosquitto') return t.skip('aedes QoS 2 outgoing flow is unreliable');
      const name = `ack${v}q${qos}`;
      const o = opts(name, { protocolVersion: v, topics: [{ filter: `${name}/+/data`, qos }] });
      const msgs: Message[] = [1, 2, 3, 4, 5].map((i) => [`${name}/d${i}/data`, `m${i}`, qos]);

      const stuck = new RecordingDownstream('never');
      const a = await startSource(o, stuck);
      await publish(broker.url, msgs, v);
      await waitFor(() => stuck.records.length === 5, 'the first source to receive 5 messages');
      assert.equal(a.stats().acksSent, 0, 'nothing may be acked while accept is pending');
      await a.stop(); // times out on the pending accept and closes without acking

      const ok = new RecordingDownstream();
      const b = await startSource(o, ok);
      await waitFor(() => ok.records.length >= 5, 'the broker to redeliver the 5 unacked messages');
      assert.deepEqual(ok.payloads().slice(0, 5), ['m1', 'm2', 'm3', 'm4', 'm5']);
      assert.deepEqual(ok.records.slice(0, 5).map((r) => r.deviceId), ['d1', 'd2', 'd3', 'd4', 'd5']);
      await waitFor(() => b.stats().acksSent === 5, '5 acks');
      await b.stop();

      const last = new RecordingDownstream();
      const c = await startSource(o, last);
      await publish(broker.url, [[`${name}/marker/data`, 'marker', qos]], v);
      await waitFor(() => last.records.length >= 1, 'the marker');
      assert.deepEqual(last.payloads(), ['marker'], 'acked messages must not come back');
      await c.stop();
    });
  }
});

describe('device id', () => {
  it('from a topic template with + and # levels', T, async () => {
    const down = new RecordingDownstream();
    const src = await startSource(
      opts('tpl', { topics: [{ filter: 'tpl/#', qos: 1 }], deviceId: { fromTopic: 'tpl/+/dev-{device}/#' } }),
      down,
    );
    try {
      await publish(broker.url, [
        ['tpl/site1/dev-a7/telemetry', 'x', 1],
        ['tpl/site2/dev-b9', 'y', 1],
        ['tpl/site1/other/telemetry', 'z', 1],
      ]);
      await waitFor(() => down.records.length + down.rejects.length === 3, '3 messages');
      assert.deepEqual(down.records.map((r) => r.deviceId), ['a7', 'b9']);
      assert.deepEqual(down.rejects.map((r) => r.reason), ['no-device-id']);
      assert.equal(src.stats().receivedByFilter['tpl/#'], 3);
    } finally {
      await src.stop();
    }
  });

  it('from a JSON field (string or number), with the parsed fields passed on', T, async () => {
    const down = new RecordingDownstream();
    const src = await startSource(opts('fld', { deviceId: { fromField: 'meta.id' }, payload: 'json' }), down);
    try {
      await publish(broker.url, [
        ['fld/x/data', '{"meta":{"id":"gw-1"},"t":1}', 1],
        ['fld/x/data', '{"meta":{"id":42},"t":2}', 1],
      ]);
      await waitFor(() => down.records.length === 2, '2 records');
      assert.deepEqual(down.records.map((r) => r.deviceId), ['gw-1', '42']);
      assert.deepEqual(down.records[0]?.fields, { meta: { id: 'gw-1' }, t: 1 });
      assert.equal(Buffer.from(down.records[1]?.payload ?? []).toString(), '{"meta":{"id":42},"t":2}');
    } finally {
      await src.stop();
    }
  });
});

describe('bad input', () => {
  it('is rejected with a reason and acknowledged, so it is not redelivered', T, async () => {
    const o = opts('bad', { deviceId: { fromField: 'meta.id' }, payload: 'json' });
    const down = new RecordingDownstream();
    const src = await startSource(o, down);
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    await publish(broker.url, [
      ['bad/x/data', '{"meta":{"id":"a"}}', 1],
      ['bad/x/data', '', 1],
      ['bad/x/data', '{not json', 1],
      ['bad/x/data', '[1,2]', 1],
      ['bad/x/data', '{"x":1}', 1],
      ['bad/x/data', big, 1],
      ['bad/x/data', '{"meta":{"id":"b"}}', 1],
    ]);
    await waitFor(() => down.records.length + down.rejects.length === 7, '7 messages');
    assert.deepEqual(down.records.map((r) => r.deviceId), ['a', 'b']);
    assert.deepEqual(
      down.rejects.map((r) => r.reason),
      ['empty', 'malformed-json', 'malformed-json', 'no-device-id', 'too-large'],
    );
    assert.equal(down.rejects[4]?.bytes, big.length, 'the dead letter carries the raw payload');
    assert.match(down.rejects[1]?.detail ?? '', /bad\/x\/data/);
    assert.deepEqual(src.stats().rejected, { empty: 1, 'malformed-json': 2, 'no-device-id': 1, 'too-large': 1 });
    await waitFor(() => src.stats().acksSent === 7, 'all 7 acked');
    await src.stop();

    const again = new RecordingDownstream();
    const src2 = await startSource(o, again);
    await publish(broker.url, [['bad/x/data', '{"meta":{"id":"marker"}}', 1]]);
    await waitFor(() => again.records.length >= 1, 'the marker');
    assert.deepEqual(again.records.map((r) => r.deviceId), ['marker']);
    assert.equal(again.rejects.length, 0, 'refused messages were acked, not redelivered');
    await src2.stop();
  });
});

describe('sessions and connections', () => {
  it('MQTT 5 shared subscription splits messages between two sources, none lost', T, async (t) => {
    if (broker.kind !== 'mosquitto') return t.skip('aedes has no MQTT 5');
    const shared = { protocolVersion: 5 as const, topics: [{ filter: '$share/grp/shr/+/data', qos: 1 as const }], deviceId: { fromTopic: 'shr/{device}/data' } };
    const da = new RecordingDownstream();
    const db = new RecordingDownstream();
    const a = await startSource(opts('shr', shared), da);
    const b = await startSource(opts('shr', shared), db);
    try {
      const msgs: Message[] = Array.from({ length: 200 }, (_, i) => [`shr/d${i % 7}/data`, `s${i}`, 1]);
      await publish(broker.url, msgs, 5);
      await waitFor(() => da.records.length + db.records.length >= 200, '200 messages across both');
      assert.ok(da.records.length > 0 && db.records.length > 0, `both got some: ${da.records.length} / ${db.records.length}`);
      const all = new Set([...da.payloads(), ...db.payloads()]);
      assert.equal(all.size, 200, 'every message arrived');
      assert.equal(a.stats().receivedByFilter['$share/grp/shr/+/data'], da.records.length);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('persistent session: messages published while the agent is away arrive, in order, when it reconnects', T, async () => {
    const o = opts('away');
    const first = new RecordingDownstream();
    const a = await startSource(o, first);
    await a.stop();
    const msgs: Message[] = Array.from({ length: 100 }, (_, i) => ['away/d1/data', `q${i}`, 1]);
    await publish(broker.url, msgs);
    const down = new RecordingDownstream();
    const b = await startSource(o, down);
    try {
      await waitFor(() => down.records.length === 100, 'the 100 queued messages');
      assert.deepEqual(down.payloads(), msgs.map((m) => m[1]));
    } finally {
      await b.stop();
    }
  });

  it('a refused accept drops the connection and the broker redelivers the batch', T, async () => {
    const down = new RecordingDownstream('reject-first');
    const src = await startSource(opts('rej'), down);
    try {
      await publish(broker.url, [['rej/d/data', 'r1', 1]]);
      await waitFor(() => src.stats().accepted >= 1 && src.health().up, 'the redelivered message to be accepted');
      assert.deepEqual(down.payloads(), ['r1', 'r1'], 'seen twice: refused, then redelivered');
      const s = src.stats();
      assert.equal(s.acceptFailures, 1);
      assert.equal(s.reconnects, 1);
    } finally {
      await src.stop();
    }
  });

  it('reconnects after the broker is killed and restarted on the same port', T, async () => {
    const own = await startMqttBroker();
    const down = new RecordingDownstream();
    const src = await startSource(opts('rst', { url: own.url }), down);
    let restarted: MqttBroker | undefined;
    try {
      await publish(own.url, [['rst/d/data', 'before', 1]]);
      await waitFor(() => down.records.length === 1, 'the first message');
      await own.stop();
      await waitFor(() => !src.health().up, 'the source to notice');
      assert.equal(src.stats().connectionLosses, 1);
      restarted = await startMqttBroker({ port: own.port });
      await waitFor(() => src.health().up, 'the source to reconnect and resubscribe');
      await publish(own.url, [['rst/d/data', 'after', 1]]);
      await waitFor(() => down.records.length === 2, 'the second message');
      assert.deepEqual(down.payloads(), ['before', 'after']);
      assert.equal(src.stats().reconnects, 1);
    } finally {
      await src.stop();
      await restarted?.stop();
    }
  });

  it('connects over websockets', T, async (t) => {
    if (broker.wsUrl === undefined) return t.skip('broker without websockets');
    const down = new RecordingDownstream();
    const src = await startSource(opts('wsk', { url: broker.wsUrl, protocolVersion: 5 }), down);
    try {
      await publish(broker.url, [['wsk/d/data', 'over-ws', 1]]);
      await waitFor(() => down.records.length === 1, 'a message over websockets');
      assert.deepEqual(down.payloads(), ['over-ws']);
    } finally {
      await src.stop();
    }
  });
});
