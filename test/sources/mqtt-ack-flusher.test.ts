/**
 * AckFlusher (agent/sources/mqtt/ack-flusher.ts): due acks are written together, at once when a
 * quarter of the in-flight window is due or when asked to (stopping), otherwise by the delay timer;
 * a switch of connection writes the old connection's acks first. No broker: a fake write.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckFlusher } from '../../agent/sources/mqtt/ack-flusher.ts';
import { AckQueue } from '../../agent/sources/mqtt/ack-queue.ts';
import type { Link } from '../../agent/sources/mqtt/intake.ts';
import { waitFor } from './mqtt-harness.ts';

function link(): Link {
  return { acks: new AckQueue(16), alive: true, pubrels: 0, write: (b) => b.length };
}

function recorder(): { writes: Link[]; write: (l: Link) => void } {
  const writes: Link[] = [];
  return { writes, write: (l) => void writes.push(l) };
}

describe('AckFlusher', () => {
  it('holds acks until a quarter of maxInflight is due, then writes them in one go', () => {
    const r = recorder();
    const f = new AckFlusher(100, 60_000, r.write);
    const a = link();
    f.soon(a, 10);
    f.soon(a, 14);
    assert.equal(r.writes.length, 0, '24 of a 100 window: still gathering');
    f.soon(a, 1);
    assert.deepEqual(r.writes, [a], 'the 25th due ack writes them all at once');
    f.flush();
    assert.equal(r.writes.length, 1, 'nothing left to write');
  });

  it('writes on the delay timer when the window is not a quarter full', async () => {
    const r = recorder();
    const f = new AckFlusher(1000, 2, r.write);
    const a = link();
    f.soon(a, 3);
    assert.equal(r.writes.length, 0);
    await waitFor(() => r.writes.length === 1, 'timer flush', 5_000);
    assert.deepEqual(r.writes, [a]);
  });

  it('writes at once when asked (stopping), with delay 0, and with a window of 1–4', () => {
    const r = recorder();
    const a = link();
    new AckFlusher(1000, 60_000, r.write).soon(a, 1, true);
    new AckFlusher(1000, 0, r.write).soon(a, 1);
    new AckFlusher(3, 60_000, r.write).soon(a, 1);
    assert.equal(r.writes.length, 3);
  });

  it('writes the previous connection first when acks of another one become due', () => {
    const r = recorder();
    const f = new AckFlusher(1000, 60_000, r.write);
    const a = link();
    const b = link();
    f.soon(a, 2);
    f.soon(b, 1);
    assert.deepEqual(r.writes, [a], 'a written before b is gathered');
    f.flush();
    assert.deepEqual(r.writes, [a, b]);
  });
});
