/** Scenario files: the shipped ones validate and run; mistakes are reported precisely; overrides map as documented. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { hashPartitionKeyInto } from '../../agent/kinesis/hash-key.ts';
import { Engine } from '../../bench/engine/engine.ts';
import { summarize } from '../../bench/report/summary.ts';
import { keyingShorthand, loadScenarioFile, parseScenarioText } from '../../bench/scenario/load.ts';
import { planScenario } from '../../bench/scenario/to-engine.ts';
import { targetFromSpec } from '../../bench/targets/create-target.ts';
import type { ModelTarget } from '../../bench/targets/model-target.ts';

const SHIPPED = ['cameras', 'clickstream-viral', 'country-key', 'gateway-outage', 'smart-meters-1m', 'trucks-ordered'];

test('the six scenarios are shipped', () => {
  const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
  for (const name of SHIPPED) assert.ok(files.includes(name), `scenarios/${name}.yaml`);
});

for (const name of SHIPPED) {
  test(`scenarios/${name}.yaml validates and runs 1 s on model://`, async () => {
    const s = await loadScenarioFile(`scenarios/${name}.yaml`);
    assert.equal(s.target, 'model://');
    const plan = planScenario(s, { durationMs: 1000, devices: Math.min(s.fleet.devices, 20_000) });
    assert.equal(plan.input.mode, 'virtual');
    const stream = plan.stream;
    const target = targetFromSpec({ url: plan.targetUrl, stream: { shards: stream.shards, limits: stream.limits, aggregation: stream.aggregation } });
    const r = await new Engine(plan.input, { target }).run();
    assert.ok(r.counts.generated > 0, 'generated records');
    assert.equal(r.counts.sent, r.counts.generated);
    assert.equal(r.counts.acked + r.counts.throttled + r.counts.failed, r.counts.sent);
    assert.equal(summarize(r).shards.length, stream.shards);
    assert.ok(r.durationMs >= 990 && r.durationMs <= 1100, `ran ${r.durationMs} ms`);
  });
}

test('a scenario with several mistakes: every problem reported at once, each with its path and line', () => {
  const text = [
    'seed: -1', // 1
    'duration: 10 minutes', // 2
    'fleet:', // 3
    '  devics: 100', // 4
    'rate:', // 5
    '  total: fast', // 6
    '  arrivals: burst', // 7
    '  popularity: { kind: zipf }', // 8
    'payload:', // 9
    '  kind: json', // 10
    '  fields:', // 11
    '    temp: { kind: gaussian, mean: 1 }', // 12
    '    status: { kind: choice, values: [a, b], weights: [1] }', // 13
    'offline:', // 14
    '  - { at: 1m, duration: 1m, devices: 10 }', // 15
    'stream:', // 16
    '  keying: salted:x', // 17
    '  limits: { recordsPerSec: 0 }', // 18
  ].join('\n');
  const r = parseScenarioText(text);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const byPath = new Map(r.errors.map((e) => [e.path, e]));
  const expected: [string, RegExp, number][] = [
    ['seed', /expected an integer between 0 and 4294967295, got -1/, 1],
    ['duration', /expected a duration/, 2],
    ['fleet.devics', /unknown key \(did you mean "devices"\?\)/, 4],
    ['rate.total', /expected a number greater than 0, got "fast"/, 6],
    ['rate.arrivals', /expected one of poisson, constant, got "burst"/, 7],
    ['rate.popularity.s', /required/, 8],
    ['payload.fields.temp.kind', /expected one of uniform, normal, sine, choice, const, flag, attribute, got "gaussian"/, 12],
    ['payload.fields.status.weights', /expected 2 weights \(one per value\), got 1/, 13],
    ['offline[0].devices', /expected a percentage such as 10% or 0.5%, got "10"/, 15],
    ['stream.keying.buckets', /expected an integer between 1 and 1024, got "x"/, 17],
    ['stream.limits.recordsPerSec', /expected an integer at least 1, got 0/, 18],
  ];
  for (const [path, message, line] of expected) {
    const e = byPath.get(path);
    assert.ok(e, `no problem reported at ${path}; got: ${r.errors.map((x) => `${x.path}: ${x.message}`).join(' | ')}`);
    assert.match(e.message, message, path);
    assert.equal(e.line, line, `line of ${path}`);
  }
  assert.equal(r.errors.length, expected.length, r.errors.map((x) => `${x.path}: ${x.message}`).join('\n'));
});

test('keying shorthands and their errors', () => {
  assert.deepEqual(keyingShorthand('salted:4'), { kind: 'salted', buckets: 4 });
  assert.deepEqual(keyingShorthand('field:country'), { kind: 'field', field: 'country' });
  assert.deepEqual(keyingShorthand('template:{site}-{device}'), { kind: 'template', template: '{site}-{device}' });
  assert.deepEqual(keyingShorthand('balanced'), { kind: 'balanced' });
  const base = 'fleet: { devices: 10 }\nrate: { total: 10 }\n';
  const ok = parseScenarioText(`${base}stream:\n  keying: { kind: salted, buckets: 8 }\n`);
  assert.ok(ok.ok && ok.value.stream.keying.kind === 'salted' && ok.value.stream.keying.buckets === 8);
  const bad = parseScenarioText(`${base}stream:\n  keying: shard\n`);
  assert.ok(!bad.ok && bad.errors.some((e) => e.path === 'stream.keying.kind' && /expected one of device, field, template, random, salted, balanced/.test(e.message) && e.line === 4));
  const extra = parseScenarioText(`${base}stream:\n  keying: device:5\n`);
  assert.ok(!extra.ok && extra.errors.some((e) => e.path === 'stream.keying.argument' && /unknown key/.test(e.message)));
  const two = parseScenarioText('fleet: { devices: 10 }\nrate: { total: 10, every: 1s }\n');
  assert.ok(!two.ok && two.errors.some((e) => e.path === 'rate.total' && /give only one of .* got every and total/.test(e.message)));
});

test('overrides: --devices scales a per-device rate, --rate sets the peak, --duration stretches the scenario\'s times', async () => {
  const meters = await loadScenarioFile('scenarios/smart-meters-1m.yaml');
  const small = planScenario(meters, { devices: 60_000 });
  assert.equal(small.input.rate?.recordsPerSec, 1000); // 60,000 meters × 1/min
  assert.equal(small.input.fleet?.devices, 60_000);
  const viral = await loadScenarioFile('scenarios/clickstream-viral.yaml');
  const fast = planScenario(viral, { durationMs: 10_000, rate: 1000 });
  assert.deepEqual(fast.input.rate?.profile, [
    { atMs: 0, recordsPerSec: 1 },
    { atMs: 1000, recordsPerSec: 10 },
    { atMs: 9000, recordsPerSec: 1000 },
  ]);
  assert.equal(fast.input.rate?.recordsPerSec, 1000);
  const outage = planScenario(await loadScenarioFile('scenarios/gateway-outage.yaml'), { durationMs: 2000 });
  const w = outage.input.offline?.[0];
  assert.ok(w !== undefined && Math.abs(w.atMs - 500) < 1e-9 && Math.abs(w.durationMs - 1000) < 1e-9 && w.fraction === 0.1, JSON.stringify(w));
  assert.throws(() => planScenario(meters, { devices: 0, rate: -1 }), (e: unknown) => e instanceof Error && /--devices/.test(e.message) && /--rate/.test(e.message));
  assert.equal(planScenario(meters, {}, 'kinesis://s').input.mode, 'real');
});

test('country-key.yaml on the 8-shard model flags exactly the shard of "US" hot', async () => {
  const plan = planScenario(await loadScenarioFile('scenarios/country-key.yaml'), { durationMs: 10_000 });
  const target = targetFromSpec({ url: plan.targetUrl, stream: { shards: plan.stream.shards, limits: plan.stream.limits, aggregation: false } }) as ModelTarget;
  const r = await new Engine(plan.input, { target }).run();
  const w = new Uint32Array(4);
  hashPartitionKeyInto('US', w, 0);
  const us = target.map.indexOfWords(w, 0);
  const s = summarize(r);
  assert.deepEqual(s.shards.flatMap((row, i) => (row.hot ? [i] : [])), [us]);
  assert.ok((s.shards[us]?.throttled ?? 0) > 0, 'the model throttles the hot shard');
  assert.equal(s.shards.filter((x) => x.warm && !x.hot).length, 0);
});
