import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../agent/spool/ack-tracker.ts';

describe('AckTracker', () => {
  it('starts at the persisted mark and moves past contiguous acks only', () => {
    const t = new AckTracker(100, 4);
    assert.equal(t.lowWaterMark(), 100);
    for (let id = 100; id < 110; id++) t.handOut(id, id * 10);
    assert.equal(t.inFlight(), 10);
    assert.equal(t.oldestIngestTime(), 1000);
    assert.ok(t.ack(105));
    assert.ok(t.ack(101));
    assert.equal(t.lowWaterMark(), 100);
    assert.ok(t.isDone(105));
    assert.ok(!t.isDone(104));
    assert.ok(t.ack(100));
    assert.equal(t.lowWaterMark(), 102);
    assert.equal(t.ack(100), false, 'repeated');
    assert.equal(t.ack(5000), false, 'unknown');
    for (const id of [109, 108, 107, 106, 104, 103, 102]) t.ack(id);
    assert.equal(t.lowWaterMark(), 110);
    assert.equal(t.inFlight(), 0);
  });

  it('handles gaps in ids (records lost to corruption) and grows past its first capacity', () => {
    const t = new AckTracker(0, 16);
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) ids.push(i * 3 + (i % 7 === 0 ? 1 : 0));
    for (const id of ids) t.handOut(id, 0);
    for (let i = ids.length - 1; i >= 1; i--) assert.ok(t.ack(ids[i]!), `ack ${ids[i]}`);
    assert.equal(t.lowWaterMark(), ids[0]);
    assert.ok(t.ack(ids[0]!));
    assert.equal(t.lowWaterMark(), ids[ids.length - 1]! + 1);
  });

  it('discardBelow forgets dropped ids, counts the unacknowledged ones, ignores their late acks', () => {
    const t = new AckTracker(0);
    for (let id = 0; id < 10; id++) t.handOut(id, 0);
    t.ack(2);
    assert.equal(t.discardBelow(5), 4);
    assert.equal(t.lowWaterMark(), 5);
    assert.equal(t.ack(3), false);
    assert.equal(t.discardBelow(20), 5);
    assert.equal(t.lowWaterMark(), 20);
    assert.throws(() => t.handOut(19, 0));
  });

  it('skipTo lets the mark pass ids never handed out', () => {
    const t = new AckTracker(0);
    t.handOut(0, 0);
    t.skipTo(10);
    assert.equal(t.lowWaterMark(), 0);
    t.ack(0);
    assert.equal(t.lowWaterMark(), 10);
  });
});
