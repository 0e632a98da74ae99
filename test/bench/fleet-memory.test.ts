import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { BalancedKeying } from '../../agent/keying/balanced-keying.ts';
import { KeyTable } from '../../agent/keying/device-keys.ts';
import { CalendarWheel } from '../../bench/engine/calendar-wheel.ts';
import { DevicePattern } from '../../bench/engine/device-pattern.ts';
import { Engine } from '../../bench/engine/engine.ts';
import { Fleet } from '../../bench/engine/fleet.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';

const N = 100_000;

function typedBytes(obj: object): number {
  return Object.values(obj).reduce((s: number, v) => s + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0);
}

test('fleet layout: bytes per device = the typed arrays it holds ÷ devices (plus the wheel link)', () => {
  for (const offline of [false, true]) {
    for (const perDeviceCounts of [false, true]) {
      const fleet = new Fleet({ count: N, total: N, first: 0, fleetRecordsPerSec: 1000, popularity: { kind: 'uniform' }, seed: 1, offline, perDeviceCounts });
      const wheel = new CalendarWheel(fleet.due, 1, 1024);
      const measured = (typedBytes(fleet) + wheel.next.byteLength) / N;
      assert.equal(fleet.bytesPerDevice(), measured, `offline ${offline}, counts ${perDeviceCounts}`);
    }
  }
});

test('key table and balanced keying: reported bytes per device match their arrays', () => {
  const ids = new DevicePattern('meter-{n:08}', N);
  const keys = new KeyTable(ids);
  assert.equal(keys.bytesPerDevice(), typedBytes(keys) / N);
  assert.equal(keys.bytesPerDevice(), 16); // fixed-length ids: no per-device length array
  const b = new BalancedKeying({ shardMap: ShardMap.uniform(8), clock: new ManualClock(), keys });
  const dev = (b as unknown as { dev: object }).dev;
  const pinned = (b as unknown as { pinned: Uint32Array }).pinned;
  assert.equal(b.bytesPerDevice(), (typedBytes(dev) + pinned.byteLength) / N);
});

test('a whole engine stays ≤ 100 bytes per device (device and balanced keying)', async () => {
  for (const kind of ['device', 'balanced'] as const) {
    const e = new Engine({ fleet: { devices: N }, rate: { recordsPerSec: 10_000 }, durationMs: 100, keying: { kind }, mode: 'virtual' }, { target: new ModelTarget({ shards: 8 }) });
    await e.run();
    const bpd = e.bytesPerDevice();
    assert.ok(bpd <= 100, `${kind}: ${bpd} bytes per device`);
    assert.ok(bpd >= 40, `${kind}: ${bpd} (the fleet alone holds 40)`);
  }
});
