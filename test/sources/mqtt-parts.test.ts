/**
 * The MQTT source's pure parts (no broker): topic templates and filters, the ack queue, decoding,
 * backoff, secret handling, configuration errors.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { AckQueue } from '../../agent/sources/mqtt/ack-queue.ts';
import { reconnectDelay } from '../../agent/sources/mqtt/backoff.ts';
import { deviceIdExtractor } from '../../agent/sources/mqtt/device-id.ts';
import { MessageDecoder } from '../../agent/sources/mqtt/message-decoder.ts';
import { redactUrl, scrubSecrets, clientOptions } from '../../agent/sources/mqtt/mqtt-options.ts';
import { MqttSource } from '../../agent/sources/mqtt/mqtt-source.ts';
import { FilterIndex, stripSharePrefix, topicMatches } from '../../agent/sources/mqtt/topic-filter.ts';
import { TopicTemplate } from '../../agent/sources/mqtt/topic-template.ts';
import { RecordingDownstream, waitFor } from './mqtt-harness.ts';

describe('topic template', () => {
  it('extracts the device level, with literal prefix/suffix, + and #', () => {
    assert.equal(TopicTemplate.compile('devices/{device}/telemetry').match('devices/abc/telemetry'), 'abc');
    assert.equal(TopicTemplate.compile('devices/{device}/telemetry').match('devices/abc/status'), undefined);
    assert.equal(TopicTemplate.compile('devices/{device}/telemetry').match('devices/abc/telemetry/x'), undefined);
    assert.equal(TopicTemplate.compile('devices/{device}/telemetry').match('devices/abc'), undefined);
    assert.equal(TopicTemplate.compile('devices/{device}').match('devices/'), undefined, 'empty id');
    assert.equal(TopicTemplate.compile('+/+/{device}').match('a/b/c'), 'c');
    assert.equal(TopicTemplate.compile('{device}/#').match('d1'), 'd1', '# matches no level');
    assert.equal(TopicTemplate.compile('{device}/#').match('d1/x/y'), 'd1');
    assert.equal(TopicTemplate.compile('gw/dev-{device}.json').match('gw/dev-42.json'), '42');
    assert.equal(TopicTemplate.compile('gw/dev-{device}.json').match('gw/dev-.json'), undefined);
    assert.equal(TopicTemplate.compile('gw/dev-{device}.json').match('gw/xyz-42.json'), undefined);
  });

  it('refuses unusable templates with E_CONFIG', () => {
    for (const bad of ['', 'a/b', '{device}/{device}', 'a/#/{device}', 'a/x+/{device}', '$share/g/{device}', 'a/+{device}']) {
      assert.throws(() => TopicTemplate.compile(bad), { code: 'E_CONFIG' }, bad);
    }
  });
});

describe('topic filters', () => {
  it('match as MQTT specifies', () => {
    const yes: [string, string][] = [['a/b', 'a/b'], ['a/+', 'a/b'], ['a/#', 'a'], ['a/#', 'a/b/c'], ['#', 'a/b'], ['+/+', '/x'], ['a/+/c', 'a//c']];
    const no: [string, string][] = [['a/b', 'a/c'], ['a/+', 'a'], ['a/+', 'a/b/c'], ['a/b', 'a/b/c'], ['#', '$SYS/x'], ['+/x', '$SYS/x'], ['a/b/c', 'a/b']];
    for (const [f, t] of yes) assert.equal(topicMatches(f, t), true, `${f} ~ ${t}`);
    for (const [f, t] of no) assert.equal(topicMatches(f, t), false, `${f} !~ ${t}`);
  });

  it('strip the $share prefix and index topics by the first matching filter', () => {
    assert.equal(stripSharePrefix('$share/grp/a/+/b'), 'a/+/b');
    assert.equal(stripSharePrefix('a/b'), 'a/b');
    const idx = new FilterIndex(['$share/g/x/+', 'y/#'], 2);
    assert.equal(idx.indexOf('x/1'), 0);
    assert.equal(idx.indexOf('y/1/2'), 1);
    assert.equal(idx.indexOf('z'), -1);
    assert.equal(idx.indexOf('x/1'), 0, 'after the cache was cleared');
  });
});

describe('ack queue', () => {
  it('acks in arrival order: a refused message waits for the batch before it', () => {
    const q = new AckQueue(16);
    const a = q.push(0x0102, 1);
    const b = q.push(7, 2);
    const c = q.push(9, 1);
    q.markDone(c);
    assert.equal(q.take(), null, 'c is done but a and b are not');
    q.doneUpTo(b + 1);
    assert.deepEqual([...(q.take() ?? [])], [0x40, 2, 1, 2, 0x50, 2, 0, 7, 0x40, 2, 0, 9]);
    assert.equal(q.pending, 0);
    assert.equal(q.pubrecsTaken, 1);
    assert.equal(a, 0);
  });

  it('grows past its initial capacity without losing order', () => {
    const q = new AckQueue(16);
    for (let i = 0; i < 1000; i++) q.push(i, 1);
    q.doneUpTo(1000);
    const bytes = q.take() ?? Buffer.alloc(0);
    assert.equal(bytes.length, 4000);
    assert.equal(bytes.readUInt16BE(4 * 999 + 2), 999);
  });
});

describe('message decoder', () => {
  const dec = new MessageDecoder('json', deviceIdExtractor({ fromTopic: 't/{device}' }), 10);
  it('refuses empty, too large, malformed and id-less messages with a reason', () => {
    assert.equal(dec.decode('t/a', Buffer.alloc(0)), null);
    assert.equal(dec.lastReason, 'empty');
    assert.equal(dec.decode('t/a', Buffer.from('{"a":12345678}')), null);
    assert.equal(dec.lastReason, 'too-large');
    assert.equal(dec.decode('t/a', Buffer.from('{x')), null);
    assert.equal(dec.lastReason, 'malformed-json');
    assert.equal(dec.decode('t/a', Buffer.from('"s"')), null);
    assert.equal(dec.lastReason, 'malformed-json');
    assert.equal(dec.decode('u/a', Buffer.from('{}')), null);
    assert.equal(dec.lastReason, 'no-device-id');
    const ok = dec.decode('t/a', Buffer.from('{"v":1}'));
    assert.deepEqual(ok?.fields, { v: 1 });
    assert.equal(ok?.deviceId, 'a');
  });

  it('raw mode with a topic id does not parse the payload', () => {
    const raw = new MessageDecoder('raw', deviceIdExtractor({ fromTopic: 't/{device}' }), 100);
    const r = raw.decode('t/b', Buffer.from('not json'));
    assert.equal(r?.deviceId, 'b');
    assert.equal(r?.fields, undefined);
  });
});

describe('reconnect backoff', () => {
  it('doubles from minMs to maxMs and stays within [step/2, step], never below minMs', () => {
    const o = { minMs: 100, maxMs: 1000 };
    assert.equal(reconnectDelay(1, o, () => 0), 100);
    assert.equal(reconnectDelay(3, o, () => 0), 200);
    assert.equal(reconnectDelay(3, o, () => 0.999), 400);
    assert.equal(reconnectDelay(50, o, () => 0.999), 1000);
    assert.equal(reconnectDelay(50, o, () => 0), 500);
  });
});

describe('secrets', () => {
  const secretOpts = {
    name: 'sec',
    url: 'mqtt://agent:URLSECRET@127.0.0.1:1',
    clientId: 'sec',
    password: 'PWSECRET',
    key: '-----BEGIN PRIVATE KEY-----\nKEYSECRET\n-----END PRIVATE KEY-----\n',
    topics: [{ filter: 'a', qos: 1 as const }],
    deviceId: { fromTopic: '{device}' },
  };

  it('never appear in URLs, scrubbed messages, logs or health', async () => {
    assert.equal(redactUrl(secretOpts.url).includes('URLSECRET'), false);
    const scrubbed = scrubSecrets(`auth PWSECRET / URLSECRET / ${secretOpts.key}`, secretOpts);
    assert.doesNotMatch(scrubbed, /SECRET/);
    // a port that refuses connections: errors and retries get logged
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const lines: string[] = [];
    const log = { info: (f: object, m: string) => lines.push(m + JSON.stringify(f)), warn: (f: object, m: string) => lines.push(m + JSON.stringify(f)), error: (f: object, m: string) => lines.push(m + JSON.stringify(f)) };
    const src = new MqttSource({ ...secretOpts, url: `mqtt://agent:URLSECRET@127.0.0.1:${port}`, log, reconnect: { minMs: 10, maxMs: 20 } });
    await src.start(new RecordingDownstream());
    await waitFor(() => src.stats().connectAttempts >= 3, 'retries');
    const health = src.health().state;
    await src.stop();
    assert.ok(lines.length > 0, 'something was logged');
    assert.match(health, /ECONNREFUSED/);
    for (const text of [...lines, health]) assert.doesNotMatch(text, /SECRET/);
  });

  it('unreadable TLS files are configuration errors that name the path only', async () => {
    await assert.rejects(clientOptions({ ...secretOpts, key: '/nonexistent/agent.key' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'E_CONFIG');
      assert.match(e.message, /\/nonexistent\/agent\.key/);
      return true;
    });
    const o = await clientOptions(secretOpts);
    assert.equal(o.key?.toString().includes('KEYSECRET'), true, 'PEM contents are passed through');
    assert.equal(o.writeCache, false, 'no 65,536-Buffer packet-id cache (6 MB of heap)');
  });
});

describe('configuration errors', () => {
  const base = { name: 'cfg', url: 'mqtt://127.0.0.1:1', clientId: 'c', topics: [{ filter: 'a/+', qos: 1 as const }], deviceId: { fromTopic: 'a/{device}' } };
  it('are thrown by start() with E_CONFIG', async () => {
    const down = new RecordingDownstream();
    await assert.rejects(new MqttSource({ ...base, url: 'http://x' }).start(down), { code: 'E_CONFIG' });
    await assert.rejects(new MqttSource({ ...base, deviceId: { fromTopic: 'a/b' } }).start(down), { code: 'E_CONFIG' });
    await assert.rejects(new MqttSource({ ...base, deviceId: { fromField: 'a..b' } }).start(down), { code: 'E_CONFIG' });
    await assert.rejects(new MqttSource({ ...base, protocolVersion: 4, topics: [{ filter: '$share/g/a', qos: 1 }] }).start(down), { code: 'E_CONFIG' });
    await assert.rejects(new MqttSource({ ...base, topics: [] }).start(down), { code: 'E_CONFIG' });
  });
});
