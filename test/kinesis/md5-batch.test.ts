import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Md5Batch, lanesFor, md5LanesStatus } from '../../agent/kinesis/md5-batch.ts';
import { seededRandom as rng } from '../support/fault-deciders.ts';

function md5(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

/** Queues ranges of the given lengths (each in its own buffer, at an odd offset), flushes, and checks every digest. */
function checkLengths(batch: Md5Batch, lengths: readonly number[], seed: number): void {
  const rand = rng(seed);
  const bufs = lengths.map((len) => {
    const buf = Buffer.alloc(3 + len + 16 + 5, 0xee);
    for (let i = 0; i < len; i++) buf[3 + i] = Math.floor(rand() * 256);
    batch.add(buf, 3, 3 + len);
    return buf;
  });
  assert.equal(batch.size, lengths.length);
  batch.flush();
  assert.equal(batch.size, 0);
  bufs.forEach((buf, i) => {
    const len = lengths[i] as number;
    assert.deepEqual(buf.subarray(3 + len, 3 + len + 16), md5(buf.subarray(3, 3 + len)), `range ${i} of ${len} bytes (batch of ${lengths.length})`);
    assert.ok(buf.subarray(3 + len + 16).every((b) => b === 0xee), 'nothing written past the digest');
    assert.ok(buf.subarray(0, 3).every((b) => b === 0xee), 'nothing written before the range');
  });
}

test('the SIMD lanes are available on this runtime (else every digest silently takes the slow path)', () => {
  assert.deepEqual(md5LanesStatus(), { lanes: true });
});

test('digests match node:crypto at every padding edge, for every batch size from 1 to 17', () => {
  const edges = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 51_184];
  const batch = new Md5Batch();
  for (let n = 1; n <= 17; n++) {
    checkLengths(batch, Array.from({ length: n }, (_, i) => edges[(i * 5 + n) % edges.length] as number), n);
  }
});

test('ranges of very different lengths in one batch (lanes that end early stay as they were)', () => {
  const batch = new Md5Batch();
  checkLengths(batch, [70_000, 0, 3, 64, 51_200, 130, 9_999, 1, 200_000, 55, 56], 7);
  const rand = rng(11);
  for (let round = 0; round < 20; round++) {
    checkLengths(batch, Array.from({ length: 1 + Math.floor(rand() * 20) }, () => Math.floor(rand() ** 3 * 100_000)), 100 + round);
  }
});

test('several ranges in one shared buffer, each followed by its digest', () => {
  const buf = Buffer.alloc(10_000);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
  const ranges: [number, number][] = [];
  let at = 0;
  for (const len of [100, 1500, 64, 0, 3000, 777, 56, 1200]) {
    ranges.push([at, at + len]);
    at += len + 16;
  }
  const want = ranges.map(([s, e]) => md5(buf.subarray(s, e)));
  const batch = new Md5Batch();
  for (const [s, e] of ranges) batch.add(buf, s, e);
  batch.flush();
  ranges.forEach(([, e], i) => assert.deepEqual(buf.subarray(e, e + 16), want[i]));
});

test('a range whose digest would not fit its buffer is refused when queued', () => {
  const batch = new Md5Batch();
  assert.throws(() => batch.add(Buffer.alloc(20), 0, 5), RangeError);
  assert.throws(() => batch.add(Buffer.alloc(20), 3, 2), RangeError);
  assert.equal(batch.size, 0);
});

test('lane choice: 8 lanes from 6 ranges, 4 from 3, node:crypto below', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 100].map(lanesFor), [1, 1, 4, 4, 4, 8, 8, 8, 8]);
});
