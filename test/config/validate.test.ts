import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derived, t } from '../../agent/config/schema.ts';
import type { Infer } from '../../agent/config/schema.ts';
import { validate } from '../../agent/config/validate.ts';
import type { ConfigIssue } from '../../agent/config/issues.ts';

const topic = t.object('A subscription.', {
  filter: t.string('Filter.', { minLength: 1 }),
  qos: t.enumOf('QoS.', [0, 1, 2], { default: 1 }),
});
const schema = t.object(
  'Test root.',
  {
    name: t.string('Name.', { pattern: /^[a-z]+$/, patternHint: 'lower-case letters' }),
    level: t.string('Level.', { enum: ['info', 'debug'], default: 'info' }),
    port: t.integer('Port.', { min: 1, max: 65_535, default: 9464 }),
    ratio: t.number('Ratio.', { exclusiveMin: 0, max: 1, default: 0.5 }),
    on: t.boolean('Switch.', { default: false }),
    wait: t.duration('Wait.', { default: '2s', min: '1ms' }),
    room: t.size('Room.', { default: '1MiB', min: '64KiB' }),
    token: t.string('Token.', { optional: true, secret: true, minLength: 8 }),
    dir: t.string('Dir.', { default: derived('<name>-dir', (root) => `${(root as { name: string }).name}-dir`) }),
    tags: t.record('Tags.', t.string('A tag.'), { optional: true, keyPattern: /^[a-z]+$/, keyHint: 'lower-case letters' }),
    items: t.array(
      'Items.',
      t.union('An item.', 'type', {
        mqtt: t.object('MQTT.', { url: t.string('URL.'), topics: t.array('Topics.', topic, { minItems: 1 }) }),
        file: t.object('File.', { paths: t.array('Paths.', t.string('Glob.')) }),
      }),
      { default: [] },
    ),
    device: t.oneOf('Device id.', { fromTopic: t.string('Template.'), fromField: t.string('Field.') }, { optional: true }),
    limits: t.object(
      'Limits.',
      { lo: t.integer('Low.', { default: 1 }), hi: t.integer('High.', { default: 10 }) },
      { check: (v, report) => (v.lo > v.hi ? report('must not exceed limits.hi', 'lo') : undefined) },
    ),
  },
);
type Cfg = Infer<typeof schema>;

const paths = (errors: readonly ConfigIssue[]): string[] => errors.map((e) => e.path);
function errorsOf(input: unknown): readonly ConfigIssue[] {
  const r = validate(schema, input);
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? [] : r.errors;
}
function valueOf(input: unknown): Cfg {
  const r = validate(schema, input);
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.value;
}

test('defaults are applied (input-form defaults parsed, derived defaults computed last)', () => {
  const v = valueOf({ name: 'abc' });
  assert.deepEqual(v, {
    name: 'abc',
    level: 'info',
    port: 9464,
    ratio: 0.5,
    on: false,
    wait: 2000,
    room: 1_048_576,
    dir: 'abc-dir',
    items: [],
    limits: { lo: 1, hi: 10 },
  });
  assert.deepEqual(Object.keys(v), ['name', 'level', 'port', 'ratio', 'on', 'wait', 'room', 'dir', 'items', 'limits']);
});

test('null counts as absent; an absent root reports each required field', () => {
  assert.equal(valueOf({ name: 'abc', port: null }).port, 9464);
  assert.deepEqual(errorsOf(null).map((e) => `${e.path}: ${e.message}`), ['name: required']);
  assert.deepEqual(errorsOf(undefined).map((e) => `${e.path}: ${e.message}`), ['name: required']);
});

test('every problem is reported at once, each with its path', () => {
  const errors = errorsOf({
    name: 'ABC',
    level: 'verbose',
    port: 70_000,
    ratio: 0,
    on: 'yes',
    wait: '5 minutes',
    room: '1KiB',
    items: [
      { type: 'mqtt', url: 'mqtt://x', topics: [{ filter: 'a', qos: 3 }] },
      { type: 'fil', paths: [] },
    ],
    limits: { lo: 5, hi: 2 },
  });
  assert.deepEqual(paths(errors), ['name', 'level', 'port', 'ratio', 'on', 'wait', 'room', 'items[0].topics[0].qos', 'items[1].type', 'limits.lo']);
  const byPath = new Map(errors.map((e) => [e.path, e.message]));
  assert.equal(byPath.get('name'), 'expected lower-case letters, got "ABC"');
  assert.equal(byPath.get('level'), 'expected one of info, debug, got "verbose"');
  assert.equal(byPath.get('port'), 'expected an integer between 1 and 65535, got 70000');
  assert.equal(byPath.get('ratio'), 'expected a number greater than 0 and at most 1, got 0');
  assert.equal(byPath.get('on'), 'expected true or false, got "yes"');
  assert.match(byPath.get('wait') ?? '', /^expected a duration such as .*, got "5 minutes"$/);
  assert.equal(byPath.get('room'), 'expected at least 64KiB, got 1KiB');
  assert.equal(byPath.get('items[0].topics[0].qos'), 'expected one of 0, 1, 2, got 3');
  assert.equal(byPath.get('items[1].type'), 'expected one of mqtt, file, got "fil"; did you mean "file"?');
  assert.equal(byPath.get('limits.lo'), 'must not exceed limits.hi');
});

test('unknown keys are rejected with the valid keys and a near-miss suggestion', () => {
  const errors = errorsOf({ name: 'a', prot: 1, items: [{ type: 'mqtt', url: 'u', tpoics: [] }], zzzzzz: 1 });
  const byPath = new Map(errors.map((e) => [e.path, e.message]));
  assert.equal(byPath.get('prot'), 'unknown key (did you mean "port"?); valid keys: name, level, port, ratio, on, wait, room, token, dir, tags, items, device, limits');
  assert.equal(byPath.get('items[0].tpoics'), 'unknown key (did you mean "topics"?); valid keys: type, url, topics');
  assert.equal(byPath.has('items[0].topics'), false, 'a misspelt required key is reported once');
  assert.deepEqual(paths(errorsOf({ name: 'a', items: [{ type: 'mqtt', url: 'u', zzzzzz: [] }] })), ['items[0].zzzzzz', 'items[0].topics']);
  assert.match(byPath.get('zzzzzz') ?? '', /^unknown key; valid keys: name, /);
});

test('union: missing discriminator, variant fields, output keeps the key first', () => {
  assert.deepEqual(
    errorsOf({ name: 'a', items: [{ url: 'u' }] }).map((e) => `${e.path}: ${e.message}`),
    ['items[0].type: required; one of mqtt, file'],
  );
  const v = valueOf({ name: 'a', items: [{ paths: ['/x'], type: 'file' }] });
  assert.deepEqual(v.items, [{ type: 'file', paths: ['/x'] }]);
  assert.deepEqual(Object.keys(v.items[0] ?? {}), ['type', 'paths']);
  const errors = errorsOf({ name: 'a', items: [{ type: 'mqtt', url: 'u', topics: [] }] });
  assert.deepEqual(errors.map((e) => `${e.path}: ${e.message}`), ['items[0].topics: expected at least 1 item, got 0']);
});

test('oneOf: exactly one key', () => {
  assert.deepEqual(valueOf({ name: 'a', device: { fromField: 'id' } }).device, { fromField: 'id' });
  const none = errorsOf({ name: 'a', device: {} });
  assert.deepEqual(none.map((e) => `${e.path}: ${e.message}`), ['device: expected exactly one of fromTopic, fromField, got none']);
  const two = errorsOf({ name: 'a', device: { fromField: 'id', fromTopic: 'x/{device}' } });
  assert.deepEqual(two.map((e) => `${e.path}: ${e.message}`), ['device: expected exactly one of fromTopic, fromField, got fromTopic and fromField']);
  const typo = errorsOf({ name: 'a', device: { fromFeild: 'id' } });
  assert.deepEqual(paths(typo), ['device.fromFeild', 'device']);
  assert.match(typo[0]?.message ?? '', /did you mean "fromField"/);
});

test('record: key pattern and values', () => {
  assert.deepEqual(valueOf({ name: 'a', tags: { site: 'x' } }).tags, { site: 'x' });
  const errors = errorsOf({ name: 'a', tags: { 'Bad Key': 'x', ok: 5 } });
  assert.deepEqual(errors.map((e) => `${e.path}: ${e.message}`), [
    'tags["Bad Key"]: invalid key; expected lower-case letters',
    'tags.ok: expected a string (quote the value), got 5',
  ]);
});

test('strings from ${ENV} expansion are accepted for numbers and booleans', () => {
  const v = valueOf({ name: 'a', port: '8080', on: 'true', ratio: '0.25', items: [{ type: 'mqtt', url: 'u', topics: [{ filter: 'f', qos: '2' }] }] });
  assert.equal(v.port, 8080);
  assert.equal(v.on, true);
  assert.equal(v.ratio, 0.25);
  const item = v.items[0];
  assert.ok(item !== undefined && item.type === 'mqtt');
  assert.equal(item.topics[0]?.qos, 2);
  assert.deepEqual(paths(errorsOf({ name: 'a', port: '80x' })), ['port']);
});

test('a secret value is never echoed in messages', () => {
  for (const token of ['short', 12_345_678, ['hunter2-in-a-list']]) {
    const errors = errorsOf({ name: 'a', token });
    assert.equal(errors.length, 1);
    const text = JSON.stringify(errors);
    assert.ok(!text.includes('short') && !text.includes('12345678') && !text.includes('hunter2'), text);
    assert.equal(errors[0]?.path, 'token');
  }
});

test('an echoed URL never shows its password; long values are cut', () => {
  const errors = errorsOf({ name: 'mqtt://user:s3cret@host' });
  assert.ok(!JSON.stringify(errors).includes('s3cret'));
  assert.match(errors[0]?.message ?? '', /user:\*\*\*\*@host/);
  const long = errorsOf({ name: 'X'.repeat(500) });
  assert.ok((long[0]?.message.length ?? 0) < 200);
});

test('string lengths', () => {
  const s = t.object('x', { a: t.string('A.', { minLength: 1 }), b: t.string('B.', { maxLength: 3 }), c: t.string('C.', { minLength: 2, maxLength: 2 }) });
  const r = validate(s, { a: '', b: 'abcd', c: 'x' });
  assert.deepEqual(r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`), [
    'a: expected a non-empty string, got an empty string',
    'b: expected at most 3 characters, got 4 characters',
    'c: expected exactly 2 characters, got 1 character',
  ]);
});

test('type errors name what was found', () => {
  const errors = errorsOf({ name: ['a'], items: {}, limits: 'x', port: 1.5 });
  const byPath = new Map(errors.map((e) => [e.path, e.message]));
  assert.equal(byPath.get('name'), 'expected a string, got a list');
  assert.equal(byPath.get('items'), 'expected a list, got a mapping');
  assert.equal(byPath.get('limits'), 'expected a mapping (key: value), got "x"');
  assert.equal(byPath.get('port'), 'expected an integer between 1 and 65535, got 1.5');
});
