/** verify's payload reader and per-device bookkeeping, without a stream. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceAttributes } from '../../bench/engine/attributes.ts';
import { DevicePattern } from '../../bench/engine/device-pattern.ts';
import { createPayloadEncoder } from '../../bench/engine/payload.ts';
import { Prng } from '../../bench/engine/prng.ts';
import { encodeRunDevices, runDevicesFromReport } from '../../bench/verify/run-devices.ts';
import { readPayloadFields } from '../../bench/verify/payload-fields.ts';
import { VerifyTracker } from '../../bench/verify/tracker.ts';

test('reads device, seq and intended time back from the engine\'s json and bytes payloads', () => {
  const ids = new DevicePattern('meter-{n:06}', 100);
  const attrs = new DeviceAttributes([], 1, 0);
  const buf = new Uint8Array(4096);
  const f = { device: '', seq: 0, tsUs: 0 };
  for (const config of [
    { kind: 'json' as const, fields: [{ name: 'temp', value: { kind: 'normal' as const, mean: 20, sd: 2 } }] },
    { kind: 'bytes' as const, minBytes: 64, maxBytes: 200 },
  ]) {
    const enc = createPayloadEncoder(config, ids, attrs, new Prng(3));
    const n = enc.encode(42, 123_456, 1_700_000_000_123_456, buf, 0);
    assert.equal(readPayloadFields(buf.subarray(0, n), f), true, config.kind);
    assert.deepEqual({ ...f }, { device: 'meter-000042', seq: 123_456, tsUs: 1_700_000_000_123_456 }, config.kind);
  }
  // Other JSON with device/seq (no ts): accepted; anything else: not a bench payload.
  assert.equal(readPayloadFields(Buffer.from('{"seq":3,"device":"x"}'), f), true);
  assert.deepEqual([f.device, f.seq, Number.isNaN(f.tsUs)], ['x', 3, true]);
  assert.equal(readPayloadFields(Buffer.from('hello'), f), false);
  assert.equal(readPayloadFields(Buffer.from('{"device":"x"}'), f), false);
});

test('tracker: gaps, duplicates, order within a shard lineage only, latency', () => {
  // shard-1 is the child of shard-0; shard-9 is unrelated.
  const parents: Record<string, string> = { 'shard-1': 'shard-0' };
  const related = (a: string, b: string): boolean => a === b || parents[b] === a;
  const t = new VerifyTracker({ related });
  const rec = (shard: string, device: string, seq: number, tsMs = 1000, arrivalMs = 1010): void => t.add(shard, Buffer.from(`{"device":"${device}","seq":${seq},"ts":${tsMs * 1000}}`), arrivalMs);
  for (const s of [0, 1, 3, 3]) rec('shard-0', 'a', s); // gap at 2, one duplicate
  rec('shard-1', 'a', 2); // child after parent, lower seq: out of order
  rec('shard-0', 'b', 5);
  rec('shard-9', 'b', 4); // unrelated shard: no order between them
  rec('shard-0', 'c', 0, 2000, 1990); // arrived before it was intended: clock skew
  const totals = t.totals();
  assert.deepEqual(
    { records: totals.records, devices: totals.devices, lost: totals.lost, duplicates: totals.duplicates, outOfOrder: totals.outOfOrder, negative: totals.negativeLatency },
    { records: 8, devices: 3, lost: 4, duplicates: 1, outOfOrder: 1, negative: 1 }, // a: none lost (2 arrived late); b: 0–3 missing
  );
  assert.equal(t.latency.count, 8);
  assert.equal(t.latency.valueAtPercentile(50), 10_000); // 10 ms in µs
  const cmp = t.compare((visit) => {
    visit('a', 5); // 0…4: 4 never arrived
    visit('b', 6);
    visit('d', 2);
  });
  assert.deepEqual(cmp, { expected: 13, missing: 1 + 4 + 2, devicesNeverSeen: 1, unexpectedDevices: 1 });
});

test('tracker: records intended before the run started are skipped', () => {
  const t = new VerifyTracker({ related: () => true, sinceUs: 5_000_000 });
  t.add('s', Buffer.from('{"device":"a","seq":0,"ts":4000000}'), 5000);
  t.add('s', Buffer.from('{"device":"a","seq":0,"ts":6000000}'), 7000);
  const totals = t.totals();
  assert.deepEqual([totals.records, totals.skippedOlder, totals.duplicates], [1, 1, 0]);
});

test('per-device counts survive the JSON report round trip', () => {
  const encoded = encodeRunDevices('truck-{n:05}', { first: 10, records: Uint32Array.of(3, 0, 7) });
  const back = runDevicesFromReport(JSON.parse(JSON.stringify({ startedAt: '2024-05-01T12:00:00.000Z', devices: encoded })));
  const seen: [string, number][] = [];
  back.forEach((id, n) => seen.push([id, n]));
  assert.deepEqual(seen, [
    ['truck-00010', 3],
    ['truck-00011', 0],
    ['truck-00012', 7],
  ]);
  assert.equal(back.startedAtMs, Date.parse('2024-05-01T12:00:00.000Z'));
  assert.throws(() => runDevicesFromReport({ startedAt: 'never' }, 'r.json'), /r\.json:\n {2}devices: missing[\s\S]*startedAt: expected an ISO time/);
});
