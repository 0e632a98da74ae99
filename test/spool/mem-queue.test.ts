import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemQueue } from '../../agent/spool/mem-queue.ts';
import type { SpoolEntry, SpoolItem } from '../../agent/spool/spool.ts';

const chunk = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line-${i};`).join(''));

/** Entry i: a view into one shared chunk, as a file source's lines are. */
function entry(i: number): SpoolEntry {
  const text = `line-${i};`;
  const at = chunk.indexOf(text);
  return { partitionKey: `pk-${i % 7}`, explicitHashKey: i % 3 === 0 ? String(i) : undefined, data: chunk.subarray(at, at + text.length), deviceId: `dev-${i % 5}`, ingestTime: 1_700_000_000_000 + i };
}

function check(it: SpoolItem, i: number): void {
  const e = entry(i);
  assert.equal(it.id, 100 + i);
  assert.equal(it.partitionKey, e.partitionKey);
  assert.equal(it.explicitHashKey, e.explicitHashKey);
  assert.equal(it.deviceId, e.deviceId);
  assert.equal(it.ingestTime, e.ingestTime);
  assert.equal(Buffer.from(it.data).toString(), `line-${i};`);
}

describe('MemQueue (ring of columns)', () => {
  it('hands entries out in order, frees them in any order, across wrap-around and growth', () => {
    const q = new MemQueue();
    let pushed = 0;
    let read = 0;
    const out: SpoolItem[] = [];
    const held: number[] = [];
    // Keep ~600 held while pushing 5000: the ring (1024 slots) wraps many times, then grows while
    // wrapped when a burst of 1500 arrives; acks come back out of order.
    for (let round = 0; pushed < 5000; round++) {
      const n = round === 5 ? 1500 : 150;
      for (let k = 0; k < n && pushed < 5000; k++, pushed++) q.push(entry(pushed), 100 + pushed, 10);
      out.length = 0;
      q.readInto(out, 200);
      for (const it of out) {
        check(it, read++);
        held.push(it.id);
      }
      while (held.length > 600) {
        const j = (held.length * 7919) % held.length; // not the oldest first
        assert.ok(q.release(held[j]!));
        held.splice(j, 1);
      }
    }
    for (;;) {
      out.length = 0;
      q.readInto(out, 1000);
      if (out.length === 0) break;
      for (const it of out) {
        check(it, read++);
        held.push(it.id);
      }
    }
    assert.equal(read, 5000);
    assert.equal(q.count, held.length);
    assert.equal(q.bytes, 10 * held.length);
    assert.equal(q.oldestIngestTime(), entry(Math.min(...held) - 100).ingestTime);
    assert.equal(q.release(held[0]!), true);
    assert.equal(q.release(held[0]!), false, 'a second release is refused');
    for (const id of held.slice(1)) q.release(id);
    assert.equal(q.count, 0);
    assert.equal(q.bytes, 0);
    assert.ok(Number.isNaN(q.oldestIngestTime()));
    q.push(entry(7), 5, 10);
    assert.equal(q.nextUnreadId(), 5, 'an empty queue takes any next id');
  });

  it('drains live entries in order and drops the oldest unread', () => {
    const q = new MemQueue();
    for (let i = 0; i < 10; i++) q.push(entry(i), 100 + i, 3);
    const out: SpoolItem[] = [];
    q.readInto(out, 4); // 100..103 handed out
    q.release(101);
    const dropped = q.dropOldestUnread();
    assert.ok(dropped);
    check(dropped, 4);
    assert.equal(q.nextUnreadId(), 105);
    const drained: number[] = [];
    q.drain((it, size) => {
      assert.equal(size, 3);
      drained.push(it.id);
    });
    assert.deepEqual(drained, [100, 102, 103, 105, 106, 107, 108, 109]);
    assert.equal(q.count, 0);
    q.push(entry(0), 110, 1);
    assert.throws(() => q.push(entry(1), 112, 1), /expected id 111/, 'ids stay contiguous');
  });
});
