import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySpool } from '../../agent/spool/memory-spool.ts';
import { makeEntries, seqOf } from './helpers.ts';
import { spoolContract } from './spool-contract.ts';

spoolContract({
  name: 'memory',
  durable: false,
  setup: () => Promise.resolve('memory'),
  teardown: () => Promise.resolve(),
  make: (_where, o) => new MemorySpool({ maxBytes: o?.maxBytes ?? 16 * 1024 * 1024, onFull: o?.onFull ?? 'block', maxInFlight: o?.maxInFlight }),
});

describe('MemorySpool specifics', () => {
  it('drop-oldest drops the oldest unread entries, never those already handed out', async () => {
    const s = new MemorySpool({ maxBytes: 64 * 1024, onFull: 'drop-oldest' });
    await s.open();
    await s.append(makeEntries(30, 0, 1000));
    const inFlight = await s.read(30);
    assert.equal(inFlight.length, 30);
    const r = await s.append(makeEntries(100, 30, 1000));
    assert.deepEqual(r, { appended: 100, dropped: 0 }, 'new entries are taken, older unread ones make room');
    const st = s.stats();
    assert.ok(st.bytes <= 64 * 1024);
    assert.equal(st.inFlight, 30);
    const rest = (await s.read(1000)).map(seqOf);
    assert.equal(rest[rest.length - 1], 129);
    assert.equal(rest.length + st.drops['full-drop-oldest'], 100);
    assert.deepEqual(rest, Array.from({ length: rest.length }, (_, i) => 130 - rest.length + i));
    for (const it of inFlight) s.ack(it.id);
    assert.equal(s.stats().lowWaterMark, 130 - rest.length, 'the mark passes the dropped ids');
    await s.close();
  });

  it('stats report bytes, records and the age of the oldest record', async () => {
    let now = 1_700_000_000_000;
    const clock = { now: () => 0, wallNow: () => now };
    const s = new MemorySpool({ maxBytes: 1 << 20, onFull: 'block', clock });
    await s.open();
    await s.append(makeEntries(3));
    now = 1_700_000_000_000 + 5000;
    const st = s.stats();
    assert.equal(st.records, 3);
    assert.ok(st.bytes > 3 * 24);
    assert.equal(st.oldestRecordAgeMs, 5000);
    assert.equal(st.diskBytesWritten, 0);
    await s.close();
  });
});
