import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitInput, runInWorkers } from '../../bench/engine/workers.ts';
import { summarize } from '../../bench/report/summary.ts';
import { decodeHistogram } from '../../bench/results/histogram.ts';

test('splitInput: contiguous device ranges covering the fleet, sizes within one', () => {
  const parts = splitInput({ fleet: { devices: 10 }, maxRecords: 1000 }, 3);
  assert.deepEqual(
    parts.map((p) => [p.fleet?.first, p.fleet?.devices, p.fleet?.total]),
    [
      [0, 4, 10],
      [4, 3, 10],
      [7, 3, 10],
    ],
  );
  assert.deepEqual(parts.map((p) => p.maxRecords), [400, 300, 300]);
  assert.throws(() => splitInput({ fleet: { devices: 2 } }, 3), /workers/);
});

test('a run split over 2 worker threads merges into one result covering every device', async () => {
  const modelModule = new URL('../../bench/targets/model-target.ts', import.meta.url).href;
  const r = await runInWorkers(
    { seed: 3, fleet: { devices: 1000 }, rate: { recordsPerSec: 20_000, arrivals: 'constant' }, durationMs: 3000, mode: 'virtual' },
    { workers: 2, targetModule: modelModule, targetSpec: 'model://?shards=8' },
  );
  assert.equal(r.parts, 2);
  assert.equal(r.counts.generated, 60_000);
  assert.equal(r.counts.sent, 60_000);
  assert.equal(decodeHistogram(r.latency.corrected).totalCount, r.counts.acked);
  assert.equal(r.perDevice?.first, 0);
  assert.equal(r.perDevice?.records.length, 1000);
  assert.ok(r.perDevice?.records.every((x) => x === 60));
  const s = summarize(r);
  assert.equal(s.shards.length, 8);
  assert.equal(s.limits.recordsPerSec, 1000); // the whole shard's limit, not a worker's share
  assert.equal(s.shards.reduce((a, x) => a + x.records, 0), 60_000);
  assert.ok(Math.abs(r.targetRecordsPerSec - 20_000) < 1e-6);
});
