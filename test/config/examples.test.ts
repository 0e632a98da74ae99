import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { formatAgentConfig, parseAgentConfig } from '../../agent/config/agent-config.ts';

const DIR = fileURLToPath(new URL('../../deploy/examples/', import.meta.url));
const ENV = { MQTT_PASSWORD: 'example-mqtt-password', AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'example-aws-secret' };

test('the four documented use cases are all there', async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort();
  for (const f of ['cameras.yaml', 'log-files.yaml', 'minimal.yaml', 'mqtt-telemetry.yaml']) assert.ok(files.includes(f), `${f} missing`);
});

test('every example validates, and its printed form hides its secrets', async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const text = await readFile(join(DIR, f), 'utf8');
    assert.match(text, /^# /, `${f} starts with a comment explaining its use case`);
    const r = parseAgentConfig(text, { env: ENV, source: f });
    if (!r.ok) assert.fail(`${f}:\n${r.errors.map((e) => `${e.path}: ${e.message} (line ${e.line})`).join('\n')}`);
    const printed = formatAgentConfig(r.value);
    for (const secret of [ENV.MQTT_PASSWORD, ENV.AWS_SECRET_ACCESS_KEY]) assert.ok(!printed.includes(secret), `${f} leaks a secret`);
  }
});

test('examples that need secrets fail without them, naming the variable and key', async () => {
  const r = parseAgentConfig(await readFile(join(DIR, 'mqtt-telemetry.yaml'), 'utf8'), { env: {} });
  assert.equal(r.ok, false);
  const first = r.ok ? undefined : r.errors[0];
  assert.equal(first?.path, 'sources[0].password');
  assert.match(first?.message ?? '', /MQTT_PASSWORD is not set/);
});
