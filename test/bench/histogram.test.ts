import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prng } from '../../bench/engine/prng.ts';
import { createHistogram, decodeHistogram, encodeHistogram, mergeEncoded, percentilesOf } from '../../bench/results/histogram.ts';
import { LatencyRecorder } from '../../bench/results/latency-recorder.ts';
import { mergeResults } from '../../bench/results/merge.ts';
import type { RunResult } from '../../bench/results/run-result.ts';
import { ShardSeries } from '../../bench/results/shard-series.ts';

const GRID = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100];

function values(seed: number, n: number): number[] {
  const rng = new Prng(seed);
  // Mixture: mostly small, a heavy tail up to ~2^40 µs.
  return Array.from({ length: n }, () => Math.floor(rng.next() < 0.9 ? rng.exp(2000) : 2 ** (rng.next() * 40)));
}

const roundTrip = (h: ReturnType<typeof createHistogram>): ReturnType<typeof createHistogram> => decodeHistogram(encodeHistogram(h));

test('the fast recorder gives exactly the histogram of recording every value directly', () => {
  const vs = values(1, 50_000);
  const direct = createHistogram();
  const rec = new LatencyRecorder();
  for (const v of vs) {
    direct.recordValue(v);
    rec.record(v);
  }
  const viaRecorder = rec.toHistogram();
  assert.equal(viaRecorder.totalCount, direct.totalCount);
  for (const p of GRID) assert.equal(viaRecorder.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
  // HdrHistogram keeps max/min at bucket precision once encoded; there the two are identical too.
  assert.equal(encodeHistogram(viaRecorder), encodeHistogram(direct));
  assert.equal(roundTrip(viaRecorder).maxValue, roundTrip(direct).maxValue);
  assert.equal(roundTrip(viaRecorder).minNonZeroValue, roundTrip(direct).minNonZeroValue);
});

test('histograms merge exactly: encode → decode → add equals one histogram of all values', () => {
  const parts = [values(2, 20_000), values(3, 30_000), values(4, 5)];
  const whole = new LatencyRecorder();
  const encoded = parts.map((vs) => {
    const r = new LatencyRecorder();
    for (const v of vs) {
      r.record(v);
      whole.record(v);
    }
    return encodeHistogram(r.toHistogram());
  });
  const merged = decodeHistogram(mergeEncoded(encoded));
  const expected = roundTrip(whole.toHistogram());
  assert.equal(merged.totalCount, 50_005);
  for (const p of GRID) assert.equal(merged.getValueAtPercentile(p), expected.getValueAtPercentile(p), `p${p}`);
  assert.equal(merged.maxValue, expected.maxValue);
  // The whole distribution, bucket by bucket.
  assert.equal(merged.outputPercentileDistribution(), expected.outputPercentileDistribution());
});

test('percentilesOf converts µs to ms; an empty histogram reports zeros', () => {
  const r = new LatencyRecorder();
  for (let i = 1; i <= 1000; i++) r.record(i * 1000);
  const p = percentilesOf(r.toHistogram(), 1000);
  assert.ok(Math.abs(p.p50 - 500) <= 1 && Math.abs(p.p99 - 990) <= 1, JSON.stringify(p));
  assert.deepEqual(percentilesOf(createHistogram(), 1000).p999, 0);
});

test('worker results merge exactly: counts add, maxima take the max, series add, per-device ranges join', () => {
  const part = (first: number, seed: number, acked: number, backlogMax: number): RunResult => {
    const r = new LatencyRecorder();
    for (const v of values(seed, 1000)) r.record(v);
    const series = new ShardSeries(2);
    series.add(0, 0, 0, acked);
    series.add(1, 1, 2, 100 * acked);
    return {
      version: 1,
      target: { url: 'model://?shards=2', kind: 'model', shards: ['a', 'b'], aggregation: false },
      mode: 'virtual',
      startedAtWallMs: 1000 + first,
      durationMs: 2000,
      elapsedMs: 10,
      targetRecordsPerSec: 50,
      keying: { kind: 'device', ordering: 'per-device', stats: {} },
      counts: { generated: acked, sent: acked, acked, throttled: 0, failed: 0, droppedLate: 0, droppedBacklog: 0, unfinished: 0, requests: 1, requestErrors: 0, backlogMax, inFlightMax: 1 },
      latency: { corrected: encodeHistogram(r.toHistogram()), uncorrected: encodeHistogram(r.toHistogram()) },
      series: series.encode(),
      perDevice: { first, records: Uint32Array.of(first + 1, first + 2) },
      errors: { E_NETWORK: 1 },
      meanRecordBytes: 100,
      parts: 1,
    };
  };
  const m = mergeResults([part(2, 5, 10, 7), part(0, 6, 20, 3)]);
  assert.equal(m.counts.acked, 30);
  assert.equal(m.counts.backlogMax, 7);
  assert.equal(m.targetRecordsPerSec, 100);
  assert.equal(m.parts, 2);
  assert.deepEqual(m.errors, { E_NETWORK: 2 });
  assert.deepEqual(Array.from(m.perDevice?.records ?? []), [1, 2, 3, 4]);
  const s = ShardSeries.decode(m.series);
  assert.equal(s.get(0, 0, 0), 30);
  assert.equal(s.get(1, 1, 2), 3000);
  assert.equal(decodeHistogram(m.latency.corrected).totalCount, 2000);
});
