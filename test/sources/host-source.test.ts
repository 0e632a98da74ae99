import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { HostSource, type HostSample } from '../../agent/sources/host/host-source.ts';
import type { Downstream, SourceRecord } from '../../agent/sources/source.ts';
import { waitFor } from './mqtt-harness.ts';

const T = { timeout: 20_000 };

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

describe('host source', () => {
  it('one sample has the expected fields with plausible values', T, async () => {
    const src = new HostSource({ name: 'host', gatewayId: 'gw-7', intervalMs: 1000, diskPath: tmpdir(), perInterface: true });
    await src.sample(); // baseline for the CPU and network deltas
    await new Promise((r) => setTimeout(r, 50));
    const s: HostSample = await src.sample();
    assert.equal(s.type, 'host');
    assert.equal(s.gatewayId, 'gw-7');
    assert.ok(Math.abs(s.ts - Date.now()) < 60_000, 'ts is wall-clock ms');
    assert.ok(s.cpu.loadPct === null || (s.cpu.loadPct >= 0 && s.cpu.loadPct <= 100), `loadPct ${s.cpu.loadPct}`);
    assert.ok(s.cpu.tempC === null || (s.cpu.tempC > -40 && s.cpu.tempC < 150), `tempC ${s.cpu.tempC}`);
    assert.ok(s.mem !== null && s.mem.totalBytes > 0 && s.mem.usedBytes > 0 && s.mem.usedBytes <= s.mem.totalBytes);
    assert.ok(s.disk !== null && s.disk.totalBytes > 0 && isCount(s.disk.usedBytes) && isCount(s.disk.availBytes));
    assert.ok(s.disk.usedPct >= 0 && s.disk.usedPct <= 100);
    assert.equal(s.disk.path, tmpdir());
    assert.ok(s.net !== null, 'the second sample has rates');
    assert.ok(isCount(s.net.rxBytesPerSec) && isCount(s.net.txBytesPerSec));
    for (const r of Object.values(s.net.interfaces ?? {})) assert.ok(isCount(r.rxBytesPerSec) && isCount(r.txBytesPerSec));
    assert.ok(s.uptimeSec > 0);
    assert.ok(isCount(s.sampleMs));
    assert.deepEqual(src.stats().partialSamples, 0);
  });

  it('emits one JSON record per interval with deviceId = gateway id, and stops', T, async () => {
    const got: SourceRecord[] = [];
    const down: Downstream = {
      accept: async (_s, recs) => void got.push(...recs),
      reject: () => assert.fail('host source never rejects'),
    };
    const src = new HostSource({ name: 'host', gatewayId: 'gw-1', intervalMs: 30, diskPath: tmpdir() });
    await src.start(down);
    await waitFor(() => got.length >= 2, 'two records');
    assert.equal(src.health().up, true);
    await src.stop();
    const n = got.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, n, 'no record after stop');
    const r = got[0] as SourceRecord;
    assert.equal(r.deviceId, 'gw-1');
    assert.deepEqual(JSON.parse(Buffer.from(r.payload).toString('utf8')), r.fields);
    assert.equal(r.eventTime, (r.fields as HostSample | undefined)?.ts);
    assert.notEqual((r.fields as unknown as HostSample).cpu.loadPct, undefined);
  });

  it('never overlaps runs when accept is slower than the interval; missed ticks are skipped', T, async () => {
    let pending = 0;
    let maxPending = 0;
    let calls = 0;
    const down: Downstream = {
      accept: async () => {
        calls++;
        pending++;
        maxPending = Math.max(maxPending, pending);
        await new Promise((r) => setTimeout(r, 100)); // 10 intervals
        pending--;
      },
      reject: () => undefined,
    };
    const src = new HostSource({ name: 'host', gatewayId: 'gw', intervalMs: 10, diskPath: tmpdir() });
    await src.start(down);
    await waitFor(() => calls >= 3, 'three runs');
    await src.stop();
    assert.equal(maxPending, 1, 'runs overlapped');
    assert.ok(src.stats().skippedTicks > 0, 'ticks during a slow run are skipped, not queued');
  });

  it('an unreadable figure is null in the record, counted and reported in health', T, async () => {
    const warnings: string[] = [];
    const src = new HostSource({
      name: 'host',
      gatewayId: 'gw',
      intervalMs: 60_000,
      diskPath: '/nonexistent/spool',
      log: { warn: (f) => warnings.push(JSON.stringify(f)) },
    });
    await src.start({ accept: async () => undefined, reject: () => undefined });
    const a = await src.sample();
    const b = await src.sample();
    assert.equal(a.disk, null);
    assert.notEqual(a.mem, null);
    assert.equal(b.disk, null);
    assert.equal(src.stats().partialSamples, 2);
    assert.equal(warnings.length, 1, 'logged once, not once per sample');
    assert.match(src.health().state, /disk/);
    assert.equal(src.health().up, true, 'a missing figure does not take the source down');
    await src.stop();
  });
});
