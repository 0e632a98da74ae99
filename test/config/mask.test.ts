import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  agentConfigSchema,
  agentSecretPaths,
  formatAgentConfig,
  loadAgentConfig,
  maskAgentConfig,
  parseAgentConfig,
} from '../../agent/config/agent-config.ts';
import type { AgentConfig } from '../../agent/config/agent-config.ts';
import { secretPaths } from '../../agent/config/mask.ts';
import { t } from '../../agent/config/schema.ts';
import { ConfigError } from '../../agent/config/config-error.ts';

const SECRETS = { MQTT_PASSWORD: 'mqtt-pw-4411', AWS_SECRET: 'aws-secret-9922', AWS_TOKEN: 'aws-token-7733' };
const TEXT = `gatewayId: gw-7
sources:
  - type: mqtt
    name: plant
    url: mqtts://alice:url-pw-5566@broker.example:8883
    username: alice
    password: \${MQTT_PASSWORD}
    topics:
      - filter: plant/+/data
    deviceId:
      fromTopic: "plant/{device}/data"
sink:
  stream: telemetry
  credentials:
    accessKeyId: AKIAIOSFODNN7EXAMPLE
    secretAccessKey: \${AWS_SECRET}
    sessionToken: \${AWS_TOKEN}
`;

function load(): AgentConfig {
  const r = parseAgentConfig(TEXT, { env: SECRETS });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.value;
}

test('the printed effective config masks every secret (by schema) and URL passwords', () => {
  const cfg = load();
  const src = cfg.sources[0];
  assert.ok(src?.type === 'mqtt');
  assert.equal(src.password, SECRETS.MQTT_PASSWORD, 'the loaded value itself is not masked');
  const text = formatAgentConfig(cfg);
  for (const secret of [...Object.values(SECRETS), 'url-pw-5566']) assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
  const printed = parse(text) as { sources: Array<Record<string, unknown>>; sink: { credentials: Record<string, unknown> } };
  assert.equal(printed.sources[0]?.['password'], '****');
  assert.equal(printed.sources[0]?.['url'], 'mqtts://alice:****@broker.example:8883');
  assert.equal(printed.sources[0]?.['username'], 'alice', 'non-secret fields are shown');
  assert.deepEqual(printed.sink.credentials, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: '****', sessionToken: '****' });
  const masked = JSON.stringify(maskAgentConfig(cfg));
  for (const secret of Object.values(SECRETS)) assert.ok(!masked.includes(secret));
});

test('the printed config shows defaults in human form and loads back to the same value', () => {
  const cfg = load();
  const text = formatAgentConfig(cfg);
  assert.match(text, /lingerMs: 100ms/);
  assert.match(text, /maxBytes: 256MiB/);
  assert.match(text, /dir: \/var\/lib\/shardwise\/spool/);
  const again = parseAgentConfig(text, { env: {} });
  if (!again.ok) assert.fail(JSON.stringify(again.errors));
  const withMaskedSecrets = JSON.parse(JSON.stringify(maskAgentConfig(cfg))) as unknown;
  assert.deepEqual(JSON.parse(JSON.stringify(again.value)), withMaskedSecrets);
});

test('secrets never appear in error messages, even when the secret value is invalid', async () => {
  const text = TEXT.replace('    sessionToken: ${AWS_TOKEN}\n', '    sessionToken: ${AWS_TOKEN}\n    extra: 1\n').replace(
    'secretAccessKey: ${AWS_SECRET}',
    'secretAccessKey:\n      - ${AWS_SECRET}',
  );
  const r = parseAgentConfig(text, { env: SECRETS });
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors;
  assert.deepEqual(errors.map((e) => e.path), ['sink.credentials.secretAccessKey', 'sink.credentials.extra']);
  assert.equal(errors[0]?.message, 'expected a string, got a list (secret, not shown)');
  const err = new ConfigError(errors, 'agent.yaml');
  for (const secret of Object.values(SECRETS)) assert.ok(!err.message.includes(secret));

  const tooShort = parseAgentConfig(TEXT.replace('secretAccessKey: ${AWS_SECRET}', 'secretAccessKey: 12345'), { env: SECRETS });
  assert.equal(tooShort.ok, false);
  const msg = JSON.stringify(tooShort.ok ? [] : tooShort.errors);
  assert.ok(!msg.includes('12345'), msg);
  await assert.rejects(loadAgentConfig('/nonexistent/agent.yaml'), (e: unknown) => e instanceof ConfigError && e.code === 'E_CONFIG');
});

test('secret paths come from the schema, in pino redact syntax', () => {
  assert.deepEqual([...agentSecretPaths], ['sources[*].password', 'sink.credentials.secretAccessKey', 'sink.credentials.sessionToken']);
  assert.deepEqual(secretPaths(agentConfigSchema), [...agentSecretPaths]);
  const custom = t.object('x', {
    apiKey: t.string('not named like a secret, but declared one', { secret: true }),
    password: t.string('named like one, but not declared: shown'),
    nested: t.record('m', t.object('o', { token: t.string('t', { secret: true }) })),
  });
  assert.deepEqual(secretPaths(custom), ['apiKey', 'nested.*.token']);
});
