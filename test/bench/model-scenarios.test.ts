/** Keying scenarios through the model: what the report must reveal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPartitionKeyInto } from '../../agent/kinesis/hash-key.ts';
import { Engine } from '../../bench/engine/engine.ts';
import type { EngineInput } from '../../bench/engine/config.ts';
import { summarize } from '../../bench/report/summary.ts';
import { replayStrategies } from '../../bench/report/replay.ts';
import type { RunResult } from '../../bench/results/run-result.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';

async function run(input: EngineInput, shards: number): Promise<{ r: RunResult; target: ModelTarget }> {
  const target = new ModelTarget({ shards });
  return { r: await new Engine(input, { target }).run(), target };
}

test("a 'country' key with 90 % of traffic on one value flags exactly that value's shard hot (8 shards)", async () => {
  const countries = ['US', 'DE', 'FR', 'GB', 'IT', 'ES', 'NL', 'SE', 'PL', 'AT'];
  const { r, target } = await run(
    {
      seed: 21,
      fleet: { devices: 2000, attributes: [{ name: 'country', values: countries, weights: [0.9, ...countries.slice(1).map(() => 0.1 / 9)] }] },
      rate: { recordsPerSec: 4000 },
      durationMs: 20_000,
      keying: { kind: 'field', field: 'country' },
      mode: 'virtual',
    },
    8,
  );
  const w = new Uint32Array(4);
  hashPartitionKeyInto('US', w, 0);
  const usShard = target.map.indexOfWords(w, 0);
  const s = summarize(r);
  const hot = s.shards.flatMap((row, i) => (row.hot ? [i] : []));
  assert.deepEqual(hot, [usShard]);
  assert.ok((s.shards[usShard]?.utilisation ?? 0) > 3, `US shard at ${s.shards[usShard]?.utilisation}`);
  assert.ok((s.shards[usShard]?.throttled ?? 0) > 0);
  assert.ok(s.skew.maxOverMean > 4, `max/mean ${s.skew.maxOverMean}`);
  for (const [i, row] of s.shards.entries()) if (i !== usShard) assert.equal(row.warm, false, `${row.id} warm at ${row.utilisation}`);
});

const zipf = (s: number, kind: 'device' | 'balanced'): EngineInput => ({
  seed: 7,
  fleet: { devices: 5000 },
  rate: { recordsPerSec: 5000, popularity: { kind: 'zipf', s } },
  durationMs: 120_000,
  keying: kind === 'balanced' ? { kind, halfLifeMs: 5000, moveAfterMs: 5000, threshold: 1.1 } : { kind },
  mode: 'virtual',
  stepMs: 5,
});

test('zipf(1.1), 5,000 devices, 8 shards: balanced keying is far flatter than device keying (at the per-device bound)', async (t) => {
  const device = summarize((await run(zipf(1.1, 'device'), 8)).r).skew.maxOverMean;
  const { r } = await run(zipf(1.1, 'balanced'), 8);
  const balanced = summarize(r).skew.maxOverMean;
  // No keying that keeps a device on one shard can beat the busiest device's own share × shards.
  const counts = r.perDevice?.records as Uint32Array;
  const total = counts.reduce((a, b) => a + b, 0);
  const bound = Math.max(1, (Math.max(...counts) / total) * 8);
  t.diagnostic(`max/mean: device ${device.toFixed(3)}, balanced ${balanced.toFixed(3)}, per-device bound ${bound.toFixed(3)}`);
  assert.ok(device > 1.5, `device ${device}`);
  assert.ok(balanced <= Math.max(1.15, bound * 1.02), `balanced ${balanced} vs bound ${bound}`);
  assert.ok(balanced < device - 0.3);
});

test('zipf(0.9), 5,000 devices, 8 shards: balanced keying reaches max/mean ≤ 1.15; device keying does not', async (t) => {
  const device = summarize((await run(zipf(0.9, 'device'), 8)).r).skew.maxOverMean;
  const balanced = summarize((await run(zipf(0.9, 'balanced'), 8)).r).skew.maxOverMean;
  t.diagnostic(`max/mean: device ${device.toFixed(3)}, balanced ${balanced.toFixed(3)}`);
  assert.ok(balanced <= 1.15, `balanced ${balanced}`);
  assert.ok(device >= 1.3, `device ${device}`);
});

test('the keying replay ranks strategies by how flat they make the run', async () => {
  const { r, target } = await run(zipf(1.1, 'device'), 8);
  const scores = replayStrategies({
    perDevice: r.perDevice as NonNullable<RunResult['perDevice']>,
    fleet: { idPattern: 'device-{n:08}', seed: 7 },
    shardMap: target.map,
    strategies: [{ kind: 'device' }, { kind: 'balanced' }, { kind: 'random' }, { kind: 'salted', buckets: 8 }],
  });
  const by = Object.fromEntries(scores.map((s) => [s.label, s.maxOverMean]));
  // The replay of device keying reproduces the run's own skew (same keys, same shards).
  assert.ok(Math.abs((by.device as number) - summarize(r).skew.maxOverMean) < 0.01);
  assert.ok((by.random as number) < 1.001);
  assert.ok((by.balanced as number) < (by.device as number));
  assert.ok((by['salted(8)'] as number) < (by.device as number));
});
