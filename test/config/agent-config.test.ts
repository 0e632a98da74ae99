import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { validateAgentConfig } from '../../agent/config/agent-config.ts';
import type { AgentConfig } from '../../agent/config/agent-config.ts';
import { topicFilterProblem } from '../../agent/config/agent-config-checks.ts';

const mqtt = { type: 'mqtt', name: 'sensors', url: 'mqtt://localhost:1883', topics: [{ filter: 'd/+/t' }], deviceId: { fromTopic: 'd/{device}/t' } };
const base = { sources: [mqtt], sink: { stream: 'telemetry' } };

function ok(input: unknown): AgentConfig {
  const r = validateAgentConfig(input);
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.value;
}
function issues(input: unknown): string[] {
  const r = validateAgentConfig(input);
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}
const withSink = (sink: object) => ({ ...base, sink });
const withSource = (source: object) => ({ ...base, sources: [source] });

test('defaults for a Raspberry Pi class gateway', () => {
  const c = ok(base);
  assert.equal(c.gatewayId, hostname());
  assert.equal(c.stateDir, '/var/lib/shardwise');
  assert.deepEqual(c.log, { level: 'info', pretty: false });
  assert.deepEqual(c.envelope, { payload: 'raw' });
  assert.equal(c.keying.strategy, 'device');
  assert.deepEqual(c.sink, {
    type: 'kinesis',
    stream: 'telemetry',
    aggregation: { enabled: true, maxBytes: 51_200, simdDigests: false },
    lingerMs: 100,
    concurrency: 4,
    rateLimit: { enabled: true, factor: 1, recordsPerSec: 1000, bytesPerSec: 1_048_576 },
    recordTtl: 30_000,
    retry: { baseMs: 100, maxMs: 10_000 },
    requestTimeout: 10_000,
  });
  assert.deepEqual(c.spool, {
    mode: 'spill',
    dir: '/var/lib/shardwise/spool',
    maxBytes: 256 * 1024 ** 2,
    memoryBytes: 16 * 1024 ** 2,
    onFull: 'block',
    fsync: { policy: 'interval', intervalMs: 100 },
    segmentBytes: 8 * 1024 ** 2,
    cursorInterval: 200,
    replayShare: 0.5,
  });
  assert.deepEqual(c.deadLetter, { path: '/var/lib/shardwise/dead-letter.jsonl', maxBytes: 16 * 1024 ** 2, maxFiles: 4 });
  assert.deepEqual(c.metrics, { enabled: true, host: '127.0.0.1', port: 9464, summaryInterval: 60_000 });
  assert.deepEqual(c.lifecycle, { shutdownTimeout: 10_000 });
  const m = c.sources[0];
  assert.ok(m?.type === 'mqtt');
  assert.equal(m.clean, false);
  assert.equal(m.protocolVersion, 4);
  assert.equal(m.topics[0]?.qos, 1);
  assert.equal(m.clientId, `shardwise-${hostname()}-sensors`);
});

test('derived defaults follow stateDir and gatewayId; an explicit value wins', () => {
  const c = ok({
    ...base,
    gatewayId: 'gw-9',
    stateDir: '/data/sw',
    sources: [mqtt, { type: 'host', name: 'health' }, { ...mqtt, name: 'other', clientId: 'fixed-id' }],
    keying: { strategy: 'balanced' },
  });
  assert.equal(c.spool.dir, '/data/sw/spool');
  assert.equal(c.deadLetter.path, '/data/sw/dead-letter.jsonl');
  assert.equal(c.keying.balanced.stateFile, '/data/sw/keying-balance.json');
  const [a, h, b] = c.sources;
  assert.ok(a?.type === 'mqtt' && h?.type === 'host' && b?.type === 'mqtt');
  assert.equal(a.clientId, 'shardwise-gw-9-sensors');
  assert.equal(b.clientId, 'fixed-id');
  assert.equal(h.spoolVolume, '/data/sw');
  assert.equal(h.interval, 10_000);
  assert.deepEqual(issues({ ...base, stateDir: 'relative/dir' }), ['stateDir: expected an absolute path, got "relative/dir"']);
});

test('sink: exactly one of stream and streamArn, with path-precise messages', () => {
  assert.deepEqual(issues(withSink({})), ['sink.stream: required: give sink.stream (a stream name) or sink.streamArn']);
  const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry';
  assert.deepEqual(issues(withSink({ stream: 'a', streamArn: arn })), ['sink.streamArn: give either sink.stream or sink.streamArn, not both']);
  assert.deepEqual(issues(withSink({ streamArn: arn, region: 'us-east-1' })), ['sink.region: does not match the region of sink.streamArn (eu-west-1)']);
  assert.equal(ok(withSink({ streamArn: arn })).sink.streamArn, arn);
  assert.deepEqual(issues(withSink({ streamArn: 'arn:aws:s3:::bucket' })), [
    'sink.streamArn: expected arn:aws:kinesis:<region>:<account>:stream/<name>, got "arn:aws:s3:::bucket"',
  ]);
  assert.deepEqual(issues(withSink({ type: 'firehose', stream: 'a' })), ['sink.type: expected one of kinesis, got "firehose"']);
  assert.deepEqual(issues(withSink({ stream: 'a', retry: { baseMs: '20s' } })), ['sink.retry.baseMs: must not exceed retry.maxMs']);
  assert.deepEqual(issues(withSink({ stream: 'a', rateLimit: { factor: 0 } })), ['sink.rateLimit.factor: expected a number greater than 0 and at most 10, got 0']);
  assert.equal(ok(withSink({ stream: 'a', rateLimit: { factor: 1.5 } })).sink.rateLimit.factor, 1.5);
});

test('keying: the chosen strategy gets what it needs', () => {
  assert.deepEqual(issues({ ...base, keying: { strategy: 'field' } }), ['keying.field: required with strategy: field']);
  assert.deepEqual(issues({ ...base, keying: { strategy: 'template' } }), ['keying.template: required with strategy: template']);
  const template = (tpl: string): string[] => issues({ ...base, keying: { strategy: 'template', template: tpl } });
  assert.deepEqual(template('{device}-{bad name}'), ['keying.template: slot {bad name} is not a field name; use {device} or {a.payload.field}']);
  assert.deepEqual(template('constant'), ['keying.template: expected at least one slot such as {device} or {site}: a constant key sends everything to one shard']);
  assert.deepEqual(template('{device'), ['keying.template: unclosed { at index 0']);
  assert.deepEqual(template('a}{device}'), ['keying.template: unmatched } at index 1 (write }} for a literal brace)']);
  assert.equal(ok({ ...base, keying: { strategy: 'template', template: '{{{meta.site}}}-{device}' } }).keying.template, '{{{meta.site}}}-{device}');
  assert.deepEqual(issues({ ...base, keying: { strategy: 'salted', salt: { buckets: 1 } } }), ['keying.salt.buckets: expected an integer between 2 and 256, got 1']);
  assert.deepEqual(issues({ ...base, keying: { balanced: { rebalanceThreshold: 1 } } }), [
    'keying.balanced.rebalanceThreshold: expected a number greater than 1 and at most 10, got 1',
  ]);
});

test('mqtt source: TLS files, payload and device id, topic filters', () => {
  assert.deepEqual(issues(withSource({ ...mqtt, url: 'mqtts://b:8883', cert: '/c.pem' })), ['sources[0].key: cert and key go together']);
  assert.deepEqual(issues(withSource({ ...mqtt, ca: '/ca.pem' })), ['sources[0].ca: ca is only used with mqtts:// or wss:// URLs']);
  assert.deepEqual(issues(withSource({ ...mqtt, deviceId: { fromField: 'id' } })), ['sources[0].deviceId.fromField: deviceId.fromField needs payload: json']);
  assert.deepEqual(issues(withSource({ ...mqtt, url: 'http://b' })), [
    'sources[0].url: expected an mqtt://, mqtts://, ws:// or wss:// URL with a host, got "http://b"',
  ]);
  assert.deepEqual(issues(withSource({ ...mqtt, deviceId: { fromTopic: 'd/+/t' } })), [
    'sources[0].deviceId.fromTopic: expected a topic template with {device} in exactly one level, e.g. devices/{device}/telemetry',
  ]);
  assert.equal(issues(withSource({ ...mqtt, deviceId: { fromTopic: '{device}/{device}' } })).length, 1);
  assert.deepEqual(issues(withSource({ ...mqtt, deviceId: { fromTopic: 'a/#/{device}' } })), ['sources[0].deviceId.fromTopic: # must be a whole level and the last one']);
  assert.ok(ok(withSource({ ...mqtt, deviceId: { fromTopic: 'site/dev-{device}/+/#' } })));
  const bad = issues(withSource({ ...mqtt, topics: [{ filter: 'a/#/b' }, { filter: 'a/b+' }, { filter: '$share//x' }, { filter: '' }] }));
  assert.deepEqual(
    bad.map((m) => m.split(':')[0]),
    ['sources[0].topics[0].filter', 'sources[0].topics[1].filter', 'sources[0].topics[2].filter', 'sources[0].topics[3].filter'],
  );
  const good = ok(withSource({ ...mqtt, url: 'wss://b/mqtt', protocolVersion: 5, topics: [{ filter: '$share/gw/d/+/t', qos: 2 }, { filter: '#', qos: 0 }] }));
  assert.ok(good.sources[0]?.type === 'mqtt' && good.sources[0].protocolVersion === 5);
  for (const f of ['#', '+', 'a/+/b/#', '/leading', '$SYS/broker/#', '$share/g/#']) assert.equal(topicFilterProblem(f), undefined, f);
});

test('file, video and host sources', () => {
  const file = { type: 'file', name: 'logs', paths: ['/var/log/*.jsonl'], deviceId: { fromField: 'id' } };
  const f = ok(withSource(file)).sources[0];
  assert.ok(f?.type === 'file');
  assert.deepEqual([f.format, f.startAt, f.pollInterval, f.checkpointInterval, f.maxLineBytes], ['jsonl', 'beginning', 1000, 5000, 262_144]);
  assert.deepEqual(issues(withSource({ ...file, format: 'raw' })), ['sources[0].deviceId.fromField: deviceId.fromField needs format jsonl or csv']);
  assert.deepEqual(issues(withSource({ ...file, format: 'csv', csv: { header: false } })), ['sources[0].csv.columns: required when csv.header is false']);
  assert.deepEqual(issues(withSource({ ...file, deviceId: { fromPath: '/data/*.csv' } })), [
    'sources[0].deviceId.fromPath: expected a template with at least one {name} part, e.g. /data/{device}/*.csv',
  ]);
  assert.ok(ok(withSource({ ...file, deviceId: { fromPath: '/data/{site}/{device}.csv' } })));
  assert.deepEqual(issues(withSource({ ...file, paths: [] })), ['sources[0].paths: expected at least 1 item, got 0']);
  assert.deepEqual(issues(withSource({ ...file, maxLineBytes: '2MiB' })), ['sources[0].maxLineBytes: expected between 16B and 1MiB, got 2MiB']);

  const v = ok(withSource({ type: 'video', name: 'cams', dir: '/srv/nvr' })).sources[0];
  assert.ok(v?.type === 'video');
  assert.deepEqual(v.patterns, ['*.mp4', '*.ts', '*.mkv']);
  assert.deepEqual(v.cameraId, { fromPath: '{camera}/**' });
  assert.deepEqual([v.stableFor, v.hash, v.recursive], [2000, 'sha256', true]);
  assert.deepEqual(issues(withSource({ type: 'video', name: 'cams', dir: 'nvr' })), ['sources[0].dir: expected an absolute path, got "nvr"']);
  assert.deepEqual(issues(withSource({ type: 'host', name: 'h', interval: '500ms' })), ['sources[0].interval: expected at least 1s, got 500ms']);
});

test('sources: at least one, unique names, a known type', () => {
  assert.deepEqual(issues({ ...base, sources: [] }), ['sources: expected at least 1 item, got 0']);
  assert.deepEqual(issues({ ...base, sources: [mqtt, { type: 'host', name: 'sensors' }] }), [
    'sources[1].name: duplicate source name "sensors" (also sources[0].name)',
  ]);
  assert.deepEqual(issues({ ...base, sources: [{ ...mqtt, type: 'mqttt' }] }), ['sources[0].type: expected one of mqtt, file, video, host, got "mqttt"; did you mean "mqtt"?']);
  assert.deepEqual(issues({ ...base, sources: [{ ...mqtt, name: 'Bad Name' }] }), [
    'sources[0].name: expected lower-case letters, digits, - and _, starting with a letter or digit, got "Bad Name"',
  ]);
});

test('spool: sizes must fit together', () => {
  assert.deepEqual(issues({ ...base, spool: { maxBytes: '8MiB', memoryBytes: '16MiB' } }), ['spool.memoryBytes: must not exceed spool.maxBytes / 2 (4MiB)']);
  assert.deepEqual(issues({ ...base, spool: { maxBytes: '4MiB', segmentBytes: '2MiB' } }), ['spool.segmentBytes: must not exceed spool.maxBytes / 4 (1MiB)']);
  const small = ok({ ...base, spool: { maxBytes: '4MiB' } }).spool;
  assert.deepEqual([small.memoryBytes, small.segmentBytes], [1024 * 1024, 512 * 1024], 'defaults scale down with maxBytes');
  const tiny = ok({ ...base, spool: { maxBytes: '1MiB' } }).spool;
  assert.deepEqual([tiny.memoryBytes, tiny.segmentBytes], [256 * 1024, 128 * 1024]);
  assert.deepEqual(issues({ ...base, spool: { replayShare: 1.5 } }), ['spool.replayShare: expected a number greater than 0 and at most 1, got 1.5']);
  assert.equal(ok({ ...base, spool: { mode: 'memory', maxBytes: '1MiB', memoryBytes: '512KiB', segmentBytes: '64KiB' } }).spool.mode, 'memory');
});
