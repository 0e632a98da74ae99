import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../bench/engine/engine.ts';
import { toJsonReport } from '../../bench/report/json-report.ts';
import { replayStrategies } from '../../bench/report/replay.ts';
import { toTextReport } from '../../bench/report/text-report.ts';
import type { RunResult } from '../../bench/results/run-result.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';

async function sample(aggregate = false): Promise<{ r: RunResult; target: ModelTarget }> {
  const target = new ModelTarget({ shards: 4, aggregate });
  const r = await new Engine(
    // Aggregation packs what one request carries: linger 100 ms like the KPL's RecordMaxBufferedTime.
    { seed: 5, fleet: { devices: 400 }, rate: { recordsPerSec: 5000, popularity: { kind: 'zipf', s: 1.2 } }, durationMs: 5000, mode: 'virtual', lingerMs: aggregate ? 100 : 0 },
    { target },
  ).run();
  return { r, target };
}

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

test('JSON report: the stable field names exist with the right types', async () => {
  const { r, target } = await sample();
  const replay = replayStrategies({ perDevice: r.perDevice!, fleet: { idPattern: 'device-{n:08}', seed: 5 }, shardMap: target.map, strategies: [{ kind: 'device' }, { kind: 'balanced' }] });
  const j = JSON.parse(JSON.stringify(toJsonReport(r, { replay }))) as Record<string, unknown>;
  for (const p of ['records.sent', 'records.acked', 'records.failed', 'records.throttled', 'records.generated', 'records.droppedLate']) assert.equal(typeof at(j, p), 'number', p);
  for (const p of ['p50', 'p90', 'p99', 'p999', 'p9999', 'max']) assert.equal(typeof at(j, `latency.ms.${p}`), 'number', `latency.ms.${p}`);
  assert.equal(typeof at(j, 'latency.histogram'), 'string');
  assert.equal(typeof at(j, 'latency.uncorrected.ms.p99'), 'number');
  assert.equal(typeof at(j, 'skew.maxOverMean'), 'number');
  assert.equal(typeof at(j, 'skew.cov'), 'number');
  assert.equal(typeof at(j, 'rate.target'), 'number');
  assert.equal(typeof at(j, 'rate.achieved'), 'number');
  assert.equal(typeof at(j, 'recommendation.shardsNeeded'), 'number');
  assert.equal(typeof at(j, 'recommendation.keying.best'), 'string');
  const shards = j.shards as Record<string, unknown>[];
  assert.equal(shards.length, 4);
  for (const s of shards) {
    for (const k of ['records', 'kinesisRecords', 'bytes', 'peakRecordsPerSec', 'peakBytesPerSec', 'utilisation', 'throttled']) assert.equal(typeof s[k], 'number', k);
    for (const k of ['hot', 'warm']) assert.equal(typeof s[k], 'boolean', k);
    assert.equal(typeof s.id, 'string');
  }
  // Consistency: per-shard records add up to what was sent; throttled too.
  assert.equal(shards.reduce((a, s) => a + (s.records as number), 0), at(j, 'records.sent'));
  assert.equal(shards.reduce((a, s) => a + (s.throttled as number), 0), at(j, 'records.throttled'));
  // 5,000 records/s on 4 shards of 1,000/s: some shard is hot, and 5000/(1000 × 0.8) → 7 shards.
  assert.ok(shards.some((s) => s.hot === true));
  assert.equal(at(j, 'recommendation.shardsNeeded'), 7);
});

test('aggregated runs report user records and Kinesis records per shard', async () => {
  const { r } = await sample(true);
  const j = toJsonReport(r) as { shards: { records: number; kinesisRecords: number }[] };
  const user = j.shards.reduce((a, s) => a + s.records, 0);
  const kinesis = j.shards.reduce((a, s) => a + s.kinesisRecords, 0);
  assert.equal(user, r.counts.sent);
  assert.ok(kinesis > 0 && kinesis < user / 10, `kinesis ${kinesis} vs user ${user}`);
});

test('text report names the hot shards, latency from the intended time and the advice', async () => {
  const { r } = await sample();
  const text = toTextReport(r);
  assert.match(text, /HOT/);
  assert.match(text, /from intended time: p50/);
  assert.match(text, /advice {4}7 shard\(s\)/);
});
