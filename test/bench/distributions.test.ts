import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../bench/engine/engine.ts';
import { fillWeights, harmonic, hotDevices, isHot, rankPermutation } from '../../bench/engine/popularity.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';

const unlimited = (): ModelTarget => new ModelTarget({ shards: 4, recordsPerSec: 1e12, bytesPerSec: 1e15 });

async function perDevice(popularity: object, devices: number, records: number, seed = 11): Promise<Uint32Array> {
  const r = await new Engine(
    { seed, fleet: { devices }, rate: { recordsPerSec: records / 10, popularity: popularity as never }, durationMs: 10_000, mode: 'virtual', stepMs: 10 },
    { target: unlimited() },
  ).run();
  assert.ok(r.perDevice);
  return r.perDevice.records;
}

test('the rank permutation is a bijection', () => {
  for (const n of [3, 10, 1000, 1024, 9973]) {
    const p = rankPermutation(n, 42);
    const seen = new Uint8Array(n);
    for (let d = 0; d < n; d++) seen[p(d)] = (seen[p(d)] ?? 0) + 1;
    assert.ok(seen.every((x) => x === 1), `n=${n}`);
  }
});

test('zipf(1.1): top-1, top-10 and top-100 devices get their configured shares (±2 %)', async () => {
  const n = 1000;
  const s = 1.1;
  const counts = await perDevice({ kind: 'zipf', s }, n, 1_000_000);
  const w = new Float32Array(n);
  fillWeights({ kind: 'zipf', s }, 11, n, 0, w);
  const byWeight = Array.from({ length: n }, (_, d) => d).sort((a, b) => (w[b] as number) - (w[a] as number));
  const total = counts.reduce((a, b) => a + b, 0);
  const h = harmonic(n, s);
  for (const top of [1, 10, 100]) {
    let expected = 0;
    for (let r = 1; r <= top; r++) expected += r ** -s / h;
    const got = byWeight.slice(0, top).reduce((a, d) => a + (counts[d] as number), 0) / total;
    assert.ok(Math.abs(got - expected) / expected < 0.02, `top ${top}: got ${got.toFixed(4)}, expected ${expected.toFixed(4)}`);
  }
});

test('hot-set(10 %, 80 %): exactly 10 % of the devices are hot and send 80 % (±1 %) of the records', async () => {
  const n = 5000;
  const counts = await perDevice({ kind: 'hot-set', devices: 0.1, traffic: 0.8 }, n, 500_000);
  let hot = 0;
  let hotRecords = 0;
  let total = 0;
  for (let d = 0; d < n; d++) {
    total += counts[d] as number;
    if (isHot(11, n, 0.1, d)) {
      hot++;
      hotRecords += counts[d] as number;
    }
  }
  assert.equal(hot, hotDevices(n, 0.1));
  assert.equal(hot, 500);
  assert.ok(Math.abs(hotRecords / total - 0.8) < 0.01, `hot share ${hotRecords / total}`);
});

test('lognormal weights have mean 1 and the configured spread', () => {
  const w = new Float32Array(200_000);
  fillWeights({ kind: 'lognormal', sigma: 1 }, 5, w.length, 0, w);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const logs = Array.from(w, (x) => Math.log(x));
  const lm = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - lm) ** 2, 0) / logs.length);
  assert.ok(Math.abs(mean - 1) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.02, `sigma ${sd}`);
});

test('a seed fixes the run: same seed → same per-device counts; another seed → different', async () => {
  const a = await perDevice({ kind: 'zipf', s: 1 }, 300, 30_000, 5);
  const b = await perDevice({ kind: 'zipf', s: 1 }, 300, 30_000, 5);
  const c = await perDevice({ kind: 'zipf', s: 1 }, 300, 30_000, 6);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('constant arrivals: each device sends exactly rate × duration records', async () => {
  const r = await new Engine(
    { seed: 2, fleet: { devices: 100 }, rate: { recordsPerSec: 1000, arrivals: 'constant' }, durationMs: 5000, mode: 'virtual' },
    { target: unlimited() },
  ).run();
  assert.ok(r.perDevice);
  assert.ok(r.perDevice.records.every((x) => x === 50));
  assert.equal(r.counts.generated, 5000);
});

test('ramp-up 100 → 10,000 records/s over 10 s: the per-second rate follows the ramp', async () => {
  const r = await new Engine(
    {
      seed: 4,
      fleet: { devices: 2000 },
      rate: { recordsPerSec: 10_000, profile: [{ atMs: 0, recordsPerSec: 100 }, { atMs: 10_000, recordsPerSec: 10_000 }] },
      durationMs: 12_000,
      mode: 'virtual',
    },
    { target: new ModelTarget({ shards: 1, recordsPerSec: 1e9, bytesPerSec: 1e12 }) },
  ).run();
  const perSec = (sec: number): number => r.series.data[sec * r.series.shards * 5] as number;
  // Linear ramp: second k carries ∫ rate = 100 + 990 × (k + 0.5) records.
  for (const k of [0, 4, 9]) {
    const expected = 100 + 990 * (k + 0.5);
    assert.ok(Math.abs(perSec(k) - expected) < 4 * Math.sqrt(expected) + 10, `second ${k}: ${perSec(k)} vs ${expected}`);
  }
  assert.ok(Math.abs(perSec(11) - 10_000) < 400, `after the ramp: ${perSec(11)}`);
});

test('offline window: 50 % of devices go silent for 2 s, then burst their backlog; nothing is lost', async () => {
  const r = await new Engine(
    {
      seed: 9,
      fleet: { devices: 1000 },
      rate: { recordsPerSec: 1000, arrivals: 'constant' },
      offline: [{ atMs: 2000, durationMs: 2000, fraction: 0.5 }],
      durationMs: 6000,
      mode: 'virtual',
    },
    { target: new ModelTarget({ shards: 1, recordsPerSec: 1e9, bytesPerSec: 1e12 }) },
  ).run();
  const perSec = (sec: number): number => r.series.data[sec * r.series.shards * 5] as number;
  assert.ok(Math.abs(perSec(2) - 500) < 60, `during the window: ${perSec(2)}`);
  // Second 4: every device's own record (1000) plus the 500 silent devices' 2 missed records each.
  assert.ok(Math.abs(perSec(4) - 2000) < 60, `the burst after it: ${perSec(4)}`);
  assert.equal(r.counts.generated, 6000);
  assert.equal(r.counts.acked, 6000);
});
