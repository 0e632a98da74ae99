import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { resolveEngineConfig } from '../../bench/engine/config.ts';
import { Engine } from '../../bench/engine/engine.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';
import { StallingTarget } from './fakes.ts';

test('engine configuration: defaults, and every problem reported at once with its path', () => {
  const c = resolveEngineConfig({});
  assert.equal(c.fleet.devices, 1000);
  assert.equal(c.rate.arrivals, 'poisson');
  assert.equal(c.keying.kind, 'device');
  assert.throws(
    () => resolveEngineConfig({ fleet: { devices: 0 }, rate: { recordsPerSec: -1, arrivals: 'burst' as never }, maxInFlight: 0.5, payload: { kind: 'bytes', minBytes: 10, maxBytes: 5 } }),
    (e: unknown) =>
      e instanceof ShardwiseError &&
      e.code === 'E_CONFIG' &&
      ['fleet.devices', 'rate.recordsPerSec', 'rate.arrivals', 'maxInFlight', 'payload.minBytes'].every((p) => e.message.includes(`${p}:`)),
  );
});

test('maxRecords bounds a run exactly', async () => {
  const r = await new Engine({ fleet: { devices: 50 }, rate: { recordsPerSec: 10_000 }, durationMs: 60_000, maxRecords: 1234, mode: 'virtual' }, { target: new ModelTarget({ shards: 2 }) }).run();
  assert.equal(r.counts.generated, 1234);
  assert.equal(r.counts.sent, 1234);
  assert.ok(r.durationMs < 1000, `stopped early: ${r.durationMs} ms`);
});

test('a target that cannot model time is refused in virtual mode', () => {
  assert.throws(() => new Engine({ mode: 'virtual' }, { target: new StallingTarget(0, 0) }), (e: unknown) => e instanceof ShardwiseError && e.code === 'E_CONFIG');
});
