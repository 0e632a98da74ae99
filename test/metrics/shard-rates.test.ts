import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { ShardRates } from '../../agent/metrics/shard-rates.ts';

function rateOf(r: ShardRates, id: string): { rps: number; bps: number; records: number } {
  const s = r.snapshot().shards.find((x) => x.shardId === id);
  assert.ok(s, `shard ${id} missing`);
  return { rps: s.recordsPerSec, bps: s.bytesPerSec, records: s.records };
}

describe('per-shard rates', () => {
  it('averages the last 10 complete seconds, ignoring the current one', () => {
    const clock = new ManualClock(0);
    const r = new ShardRates({ clock });
    // 20 seconds: shard A gets 100 records (of 10 bytes) per second, shard B 50.
    for (let sec = 0; sec < 20; sec++) {
      for (let i = 0; i < 100; i++) r.record('A', 1, 10);
      r.record('B', 50, 500);
      clock.advance(1000);
    }
    // Now at t = 20.000 s, seconds 10…19 are the window.
    r.record('A', 1_000_000, 1); // current second: not in the rate yet
    assert.deepEqual(rateOf(r, 'A'), { rps: 100, bps: 1000, records: 2000 + 1_000_000 });
    assert.deepEqual(rateOf(r, 'B'), { rps: 50, bps: 500, records: 1000 });
    const snap = r.snapshot();
    assert.equal(snap.hottest, 'A');
    assert.equal(snap.skew, 100 / 75);
    assert.equal(snap.totalRecordsPerSec, 150);
  });

  it('divides by the elapsed seconds while the window is not yet full', () => {
    const clock = new ManualClock(5_000);
    const r = new ShardRates({ clock });
    r.record('A', 30, 300);
    clock.advance(1000);
    r.record('A', 10, 100);
    clock.advance(1000);
    // seconds 5 and 6 are complete: (30 + 10) / 2
    assert.equal(rateOf(r, 'A').rps, 20);
  });

  it('forgets seconds that slid out of the window, also after a long idle gap', () => {
    const clock = new ManualClock(0);
    const r = new ShardRates({ clock, windowSec: 10 });
    for (let sec = 0; sec < 12; sec++) {
      r.record('A', 100, 100);
      clock.advance(1000);
    }
    assert.equal(rateOf(r, 'A').rps, 100);
    clock.advance(5000); // 5 idle seconds: half the window is empty
    assert.equal(rateOf(r, 'A').rps, 50);
    clock.advance(60_000);
    assert.equal(rateOf(r, 'A').rps, 0);
    assert.equal(rateOf(r, 'A').records, 1200, 'totals are kept');
    assert.equal(r.snapshot().skew, 0, 'idle: skew 0');
    assert.equal(r.snapshot().hottest, undefined);
  });

  it('computes skew over open shards only, counting idle open shards in the mean', () => {
    const clock = new ManualClock(0);
    const r = new ShardRates({ clock });
    r.setOpenShards(['s1', 's2', 's3', 's4']);
    for (let sec = 0; sec < 10; sec++) {
      r.record('s1', 300, 0);
      r.record('s2', 100, 0);
      r.record('old-parent', 5000, 0); // a closed shard: shown, not in the skew
      clock.advance(1000);
    }
    const snap = r.snapshot();
    // open rates: 300, 100, 0, 0 → mean 100, max 300
    assert.equal(snap.skew, 3);
    assert.equal(snap.hottest, 's1');
    const parent = snap.shards.find((s) => s.shardId === 'old-parent');
    assert.equal(parent?.open, false);
    assert.equal(parent?.recordsPerSec, 5000);
    assert.equal(snap.shards.find((s) => s.shardId === 's4')?.recordsPerSec, 0, 'open idle shards are listed');
  });

  it('grows past its initial capacity without losing counts', () => {
    const clock = new ManualClock(0);
    const r = new ShardRates({ clock });
    for (let i = 0; i < 50; i++) r.record(`shard-${i}`, i, i * 2);
    clock.advance(1000);
    const snap = r.snapshot();
    assert.equal(snap.shards.length, 50);
    for (const [i, s] of snap.shards.entries()) {
      assert.equal(s.records, i);
      assert.equal(s.bytes, i * 2);
      assert.equal(s.recordsPerSec, i);
    }
  });

  it('rejects a nonsensical window', () => {
    assert.throws(() => new ShardRates({ windowSec: 0 }), RangeError);
    assert.throws(() => new ShardRates({ windowSec: 1.5 }), RangeError);
  });
});
