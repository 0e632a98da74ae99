import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { fullJitterDelay } from '../../agent/kinesis/backoff.ts';
import { classifyEntryError, classifyRequestError } from '../../agent/kinesis/classify.ts';
import { Lane } from '../../agent/kinesis/lane.ts';
import { PendingTable, type Pending } from '../../agent/kinesis/pending.ts';
import { ShardLimiter, TokenBucket } from '../../agent/kinesis/token-bucket.ts';
import type { UserRecord } from '../../agent/core/record.ts';

/** Adds a record to `table` as the producer does, from its parts. */
function addRec<T>(table: PendingTable<T>, rec: UserRecord, token: T, words: Uint32Array, bytes: number, deadline: number, queuedAt: number): Pending {
  const d = rec.data;
  return table.addParts(rec.partitionKey, rec.explicitHashKey, d.buffer, d.byteOffset, d.length, token, words, bytes, deadline, queuedAt);
}

describe('token bucket', () => {
  it('refills at its rate up to its capacity', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(1000, 1000, clock);
    assert.ok(b.canTake(1000));
    b.take(1000);
    assert.equal(b.canTake(1), false);
    assert.equal(b.waitMs(100), 100);
    clock.advance(100);
    assert.ok(b.canTake(100));
    assert.equal(b.canTake(101), false);
    clock.advance(10_000);
    assert.ok(b.canTake(1000));
    b.take(1000);
    assert.equal(b.canTake(1), false, 'capacity caps the refill');
  });

  it('lets an oversized cost through only when full (debt), never blocking forever', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(100, 100, clock);
    assert.ok(b.canTake(500));
    b.take(500);
    assert.equal(b.canTake(1), false);
    assert.equal(b.waitMs(1), 4010);
  });

  it('a shard limiter holds a steady sender to the records/s limit', () => {
    const clock = new ManualClock();
    const lim = new ShardLimiter({ recordsPerSec: 1000, bytesPerSec: 1 << 20 }, clock);
    let sent = 0;
    for (let t = 0; t < 10_000; t++) {
      while (lim.canSend(100)) {
        lim.charge(100);
        sent++;
      }
      clock.advance(1);
    }
    // 10 s at 1,000/s plus the initial one-second burst.
    assert.ok(sent >= 10_900 && sent <= 11_001, `sent ${sent}`);
  });

  it('a shard limiter holds a steady sender to the bytes/s limit', () => {
    const clock = new ManualClock();
    const lim = new ShardLimiter({ recordsPerSec: 1000, bytesPerSec: 1 << 20 }, clock);
    let bytes = 0;
    for (let t = 0; t < 10_000; t++) {
      while (lim.canSend(50_000)) {
        lim.charge(50_000);
        bytes += 50_000;
      }
      clock.advance(1);
    }
    assert.ok(bytes <= 11 * (1 << 20) + 50_000 && bytes >= 10 * (1 << 20), `bytes ${bytes}`);
  });
});

describe('backoff with full jitter', () => {
  it('grows exponentially, is capped, and spans [0, cap)', () => {
    const opts = { baseMs: 100, maxMs: 10_000 };
    assert.equal(fullJitterDelay(1, opts, () => 0.999999), 99);
    assert.equal(fullJitterDelay(4, opts, () => 0.999999), 799);
    assert.equal(fullJitterDelay(40, opts, () => 0.999999), 9999);
    assert.equal(fullJitterDelay(5, opts, () => 0), 0);
  });
});

describe('error classification', () => {
  it('entry errors: throttling and internal failures are retryable', () => {
    const t = classifyEntryError('ProvisionedThroughputExceededException', 'Rate exceeded for shard');
    assert.equal(t.code, 'E_THROTTLED');
    assert.equal(t.retryable, true);
    assert.equal(classifyEntryError('InternalFailure', 'x').code, 'E_INTERNAL_FAILURE');
    assert.equal(classifyEntryError('KMSThrottlingException', 'x').retryable, true);
  });

  it('request errors: fatal ones are not retryable', () => {
    const named = (name: string, status = 400) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });
    assert.deepEqual(pick(classifyRequestError(named('ResourceNotFoundException'))), ['E_STREAM_NOT_FOUND', false]);
    assert.deepEqual(pick(classifyRequestError(named('AccessDeniedException'))), ['E_ACCESS_DENIED', false]);
    assert.deepEqual(pick(classifyRequestError(named('UnrecognizedClientException'))), ['E_ACCESS_DENIED', false]);
    assert.deepEqual(pick(classifyRequestError(named('InvalidArgumentException'))), ['E_INVALID_ARGUMENT', false]);
    assert.deepEqual(pick(classifyRequestError(named('ExpiredTokenException'))), ['E_EXPIRED_TOKEN', true]);
    assert.deepEqual(pick(classifyRequestError(named('ProvisionedThroughputExceededException'))), ['E_THROTTLED', true]);
    assert.deepEqual(pick(classifyRequestError(named('SomethingNew', 503))), ['E_SERVICE_UNAVAILABLE', true]);
    assert.deepEqual(pick(classifyRequestError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))), ['E_NETWORK', true]);
    assert.deepEqual(pick(classifyRequestError(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }))), ['E_TIMEOUT', true]);
  });
});

describe('lane', () => {
  it('is FIFO, tracks bytes, and puts failed records back at the front in order', () => {
    const table = new PendingTable<number>();
    const words = new Uint32Array(4);
    const p = (n: number): Pending => addRec(table, { partitionKey: 'k', data: new Uint8Array(n) }, n, words, n + 1, Number.POSITIVE_INFINITY, 0);
    const lane = new Lane<number>('s', undefined, table);
    for (let i = 1; i <= 5; i++) lane.push(p(i));
    assert.equal(lane.bytes, 20);
    const a = lane.shift() as Pending;
    const b = lane.shift() as Pending;
    assert.deepEqual([table.token(a), table.token(b)], [1, 2]);
    lane.push(p(6));
    lane.unshiftAll([a, b]);
    const order: number[] = [];
    for (let x = lane.shift(); x !== undefined; x = lane.shift()) order.push(table.token(x));
    assert.deepEqual(order, [1, 2, 3, 4, 5, 6]);
    assert.equal(lane.bytes, 0);
  });

  it('keeps order when its ring wraps around and grows, also with records put back at the front', () => {
    const table = new PendingTable<number>();
    const words = new Uint32Array(4);
    const lane = new Lane<number>('s', undefined, table);
    let next = 0;
    let expect = 0;
    const order: number[] = [];
    // Push more than shift, so the ring wraps (head moves on) and then has to grow while wrapped.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 50; i++) lane.push(addRec(table, { partitionKey: 'k', data: new Uint8Array(1) }, next++, words, 2, Number.POSITIVE_INFINITY, 0));
      const taken: Pending[] = [];
      for (let i = 0; i < 30; i++) taken.push(lane.shift() as Pending);
      lane.unshiftAll(taken.slice(20)); // the last 10 failed: back to the front, in order
      for (const p of taken.slice(0, 20)) order.push(table.token(p));
    }
    for (let x = lane.shift(); x !== undefined; x = lane.shift()) order.push(table.token(x));
    for (const t of order) assert.equal(t, expect++, 'FIFO across wrap-around and growth');
    assert.equal(expect, next);
    assert.equal(lane.bytes, 0);
    assert.equal(lane.length, 0);
  });
});

describe('pending table', () => {
  it("keeps each record's state in its slot, reuses freed slots, and grows past its first size", () => {
    const table = new PendingTable<string>();
    const w = new Uint32Array(4);
    const slots: Pending[] = [];
    for (let i = 0; i < 3000; i++) {
      w.set([i, i + 1, 0xffffffff - i, 7]);
      slots.push(addRec(table, { partitionKey: `k${i}`, data: new Uint8Array(1) }, `t${i}`, w, i + 2, 1000 + i, i));
    }
    assert.equal(table.count, 3000);
    for (const i of [0, 1023, 1024, 2999]) {
      const p = slots[i] as Pending;
      assert.equal(table.rec(p).partitionKey, `k${i}`);
      assert.equal(table.token(p), `t${i}`);
      assert.equal(table.bytes(p), i + 2);
      assert.equal(table.deadline(p), 1000 + i);
      assert.equal(table.queuedAt(p), i);
      assert.deepEqual([...table.hashWords(p, new Uint32Array(4))], [i, i + 1, 0xffffffff - i, 7]);
    }
    const p5 = slots[5] as Pending;
    table.countAttempt(p5);
    table.countAttempt(p5);
    assert.equal(table.attempts(p5), 2);
    table.release(p5);
    const again = addRec(table, { partitionKey: 'new', data: new Uint8Array(1) }, 'new', w, 3, 0, 0);
    assert.equal(again, p5, 'a freed slot is taken again');
    assert.equal(table.attempts(again), 0, 'with its state reset');
    assert.equal(table.lastError(again), undefined);
    for (const p of slots) if (p !== p5) table.release(p);
    table.release(again);
    assert.equal(table.count, 0);
    assert.equal(addRec(table, { partitionKey: 'z', data: new Uint8Array(1) }, 'z', w, 1, 0, 0), 0, 'an empty table starts again at slot 0');
  });

  it('keeps a record as its parts: rec() rebuilds it with a view of the same bytes, not the object added', () => {
    const table = new PendingTable<number>();
    const chunk = Buffer.from('xx{"a":1}yy{"b":2}zz');
    const rec = { partitionKey: 'dev-1', explicitHashKey: '42', data: chunk.subarray(2, 9) };
    const p = addRec(table, rec, 7, new Uint32Array(4), 12, 0, 0);
    const again = table.rec(p);
    assert.notEqual(again, rec);
    assert.equal(again.partitionKey, 'dev-1');
    assert.equal(again.explicitHashKey, '42');
    assert.equal(table.explicitHashKey(p), '42');
    assert.equal(Buffer.from(again.data).toString(), '{"a":1}');
    assert.equal(again.data.buffer, chunk.buffer, 'a view, not a copy');
  });
});

function pick(e: { code: string; retryable: boolean }): [string, boolean] {
  return [e.code, e.retryable];
}
