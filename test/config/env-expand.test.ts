import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv, expandString } from '../../agent/config/env-expand.ts';

const env = { HOST: 'broker.local', PORT: '1883', EMPTY: '' };

test('present variables, defaults, empty values, escapes', () => {
  assert.deepEqual(expandString('mqtt://${HOST}:${PORT}', env), { ok: true, value: 'mqtt://broker.local:1883' });
  assert.deepEqual(expandString('${MISSING:-fallback}', env), { ok: true, value: 'fallback' });
  assert.deepEqual(expandString('${EMPTY:-fallback}', env), { ok: true, value: 'fallback' });
  assert.deepEqual(expandString('${EMPTY}', env), { ok: true, value: '' });
  assert.deepEqual(expandString('${MISSING:-}', env), { ok: true, value: '' });
  assert.deepEqual(expandString('${HOST:-other}', env), { ok: true, value: 'broker.local' });
  assert.deepEqual(expandString('a:-b ${MISSING:-x:-y} c', env), { ok: true, value: 'a:-b x:-y c' });
  assert.deepEqual(expandString('price $5, literal $${HOST}', env), { ok: true, value: 'price $5, literal ${HOST}' });
  assert.deepEqual(expandString('no variables', env), { ok: true, value: 'no variables' });
});

test('missing variables and bad syntax are errors that name the variable, not a value', () => {
  const missing = expandString('${A}-${B}-${HOST}', env);
  assert.equal(missing.ok, false);
  assert.match(missing.ok ? '' : missing.message, /^environment variables A, B are not set/);
  const one = expandString('${A}', env);
  assert.match(one.ok ? '' : one.message, /^environment variable A is not set \(write \$\{A:-default\}/);
  assert.match(JSON.stringify(expandString('${HOST', env)), /unterminated/);
  assert.match(JSON.stringify(expandString('${1X}', env)), /invalid environment variable name/);
  assert.match(JSON.stringify(expandString('${}', env)), /invalid environment variable name/);
});

test('a document: every string value expanded, keys untouched, problems with their paths', () => {
  const doc = {
    '${HOST}': 'key stays',
    url: 'mqtt://${HOST}:${PORT}',
    port: 5,
    list: ['${PORT}', { password: '${MQTT_PASSWORD}' }],
    nested: { on: true, off: null },
  };
  const r = expandEnv(doc, env);
  assert.deepEqual(r.value, {
    '${HOST}': 'key stays',
    url: 'mqtt://broker.local:1883',
    port: 5,
    list: ['1883', { password: '${MQTT_PASSWORD}' }],
    nested: { on: true, off: null },
  });
  assert.deepEqual(
    r.issues.map((i) => [i.path, i.message.split(' (')[0]]),
    [['list[1].password', 'environment variable MQTT_PASSWORD is not set']],
  );
  assert.deepEqual(expandEnv(doc, { ...env, MQTT_PASSWORD: 'p' }).issues, []);
});
