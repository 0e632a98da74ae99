import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, parseAgentConfig } from '../../agent/config/agent-config.ts';
import { ConfigError } from '../../agent/config/config-error.ts';
import { isShardwiseError } from '../../agent/core/errors.ts';

const FIVE_MISTAKES = `gatewayId: gw-1
sources:
  - type: mqtt
    name: sensors
    url: mqtt://localhost:1883
    tpoics:                       # 1: typo
      - filter: devices/+/telemetry
    deviceId: { fromTopic: "devices/{device}/telemetry" }
  - type: file
    name: logs
    paths: [/var/log/app/*.jsonl]
    deviceId: { fromField: device }
    pollInterval: 5 seconds       # 2: not a duration
sink:
  stream: telemetry
  concurrency: 0                  # 3: out of range
spool:
  mode: disk                      # 4: not an option
  maxBytes: 512KiB                # 5: below the minimum
`;

test('a file with five mistakes yields exactly five issues, with paths and lines', () => {
  const r = parseAgentConfig(FIVE_MISTAKES, { env: {} });
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors;
  assert.deepEqual(
    errors.map((e) => [e.path, e.line]),
    [
      ['sources[0].tpoics', 6],
      ['sources[1].pollInterval', 13],
      ['sink.concurrency', 16],
      ['spool.mode', 18],
      ['spool.maxBytes', 19],
    ],
  );
  assert.match(errors[0]?.message ?? '', /^unknown key \(did you mean "topics"\?\); valid keys: type, name, url, protocolVersion, clientId, /);
  assert.equal(errors[2]?.message, 'expected an integer between 1 and 64, got 0');
  assert.equal(errors[3]?.message, 'expected one of always, spill, memory, got "disk"');
  assert.equal(errors[4]?.message, 'expected between 1MiB and 1TiB, got 512KiB');
});

test('the loader throws one ConfigError (E_CONFIG) whose message lists every issue', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shardwise-config-'));
  try {
    const file = join(dir, 'agent.yaml');
    await writeFile(file, FIVE_MISTAKES);
    const err = await loadAgentConfig(file, { env: {} }).then(
      () => assert.fail('should have thrown'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError);
    assert.ok(isShardwiseError(err));
    assert.equal(err.code, 'E_CONFIG');
    assert.equal(err.retryable, false);
    assert.equal(err.issues.length, 5);
    const lines = err.message.split('\n');
    assert.equal(lines[0], `invalid configuration in ${file}: 5 problems`);
    assert.equal(lines.length, 6);
    for (const p of ['sources[0].tpoics', 'sources[1].pollInterval', 'sink.concurrency', 'spool.mode', 'spool.maxBytes']) {
      assert.ok(lines.some((l) => l.startsWith(`  - ${p}: `)), `${p} missing from:\n${err.message}`);
    }
    assert.match(err.message, /spool\.mode: expected one of always, spill, memory, got "disk" \(line 18\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a good file loads with defaults; an unreadable one is an E_CONFIG error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shardwise-config-'));
  try {
    const file = join(dir, 'agent.yaml');
    await writeFile(file, FIVE_MISTAKES.replace('tpoics', 'topics').replace('5 seconds', '5s').replace('concurrency: 0', 'concurrency: 8').replace('disk', 'always').replace('512KiB', '512MiB'));
    const cfg = await loadAgentConfig(file, { env: {} });
    assert.equal(cfg.sink.concurrency, 8);
    assert.equal(cfg.spool.maxBytes, 512 * 1024 * 1024);
    assert.equal(cfg.sources[1]?.type === 'file' ? cfg.sources[1].pollInterval : -1, 5000);
    const missing = await loadAgentConfig(join(dir, 'nope.yaml')).catch((e: unknown) => e);
    assert.ok(missing instanceof ConfigError);
    assert.match(missing.message, /cannot read the configuration file: ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('env expansion in a file: present, default, missing (error with path and line)', () => {
  const text = `gatewayId: \${GW:-gw-default}
sources:
  - type: mqtt
    name: sensors
    url: mqtt://\${BROKER}:1883
    password: \${MQTT_PASSWORD}
    topics:
      - filter: "t/#"
        qos: \${QOS:-1}
    deviceId: { fromField: id }
    payload: json
sink: { stream: s }
metrics:
  port: \${METRICS_PORT}
`;
  const good = parseAgentConfig(text, { env: { BROKER: 'b.local', MQTT_PASSWORD: 'pw', METRICS_PORT: '9500' } });
  assert.ok(good.ok);
  assert.equal(good.value.gatewayId, 'gw-default');
  assert.equal(good.value.metrics.port, 9500);
  const src = good.value.sources[0];
  assert.ok(src?.type === 'mqtt');
  assert.equal(src.url, 'mqtt://b.local:1883');
  assert.equal(src.password, 'pw');
  assert.equal(src.topics[0]?.qos, 1);

  const bad = parseAgentConfig(text, { env: { BROKER: 'b.local' } });
  assert.equal(bad.ok, false);
  const errors = bad.ok ? [] : bad.errors;
  assert.deepEqual(
    errors.map((e) => [e.path, e.line, e.message.split(' (')[0]]),
    [
      ['sources[0].password', 6, 'environment variable MQTT_PASSWORD is not set'],
      ['metrics.port', 14, 'environment variable METRICS_PORT is not set'],
    ],
  );
});

test('YAML syntax errors: one issue with line and column, never quoting the text', () => {
  const r = parseAgentConfig('sink:\n  stream: s\n  password: "hunter2\n', { env: {} });
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors;
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /^YAML syntax error at line \d+, column \d+: /);
  assert.ok(!JSON.stringify(errors).includes('hunter2'));
  const dup = parseAgentConfig('sink: { stream: a }\nsink: { stream: b }\n', { env: {} });
  assert.match(dup.ok ? '' : (dup.errors[0]?.message ?? ''), /unique/);
});

test('an empty file reports what is required', () => {
  const r = parseAgentConfig('', { env: {} });
  assert.deepEqual(r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`), ['sources: required', 'sink: required']);
});
