import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findNextFrame, scanFrames } from '../../agent/spool/frame-scan.ts';
import { checkFrame, decodeFrame, encodeFrame, frameable, frameSize } from '../../agent/spool/record-codec.ts';
import { decodeSegmentHeader, encodeSegmentHeader, parseSegmentName, segmentName } from '../../agent/spool/segment.ts';
import { makeEntries } from './helpers.ts';

function encodeAll(n: number, baseId = 1000): { buf: Buffer; offsets: number[] } {
  const entries = makeEntries(n);
  const size = entries.reduce((a, e) => a + frameSize(e), 0);
  const buf = Buffer.alloc(size);
  const offsets: number[] = [];
  let off = 0;
  entries.forEach((e, i) => {
    offsets.push(off);
    const end = encodeFrame(buf, off, e, i);
    assert.equal(end - off, frameSize(e), 'frameSize is exact');
    off = end;
  });
  offsets.push(off);
  void baseId;
  return { buf, offsets };
}

describe('record framing', () => {
  it('round-trips every field, with and without hash key, deviceId = or ≠ partitionKey, UTF-8 keys', () => {
    const entries = makeEntries(12);
    for (const [i, e] of entries.entries()) {
      const buf = Buffer.alloc(frameSize(e));
      encodeFrame(buf, 0, e, i);
      const len = checkFrame(buf, 0, buf.length);
      assert.equal(len, buf.length - 8);
      const d = decodeFrame(buf, 0, len, 500);
      assert.equal(d.id, 500 + i);
      assert.equal(d.partitionKey, e.partitionKey);
      assert.equal(d.deviceId, e.deviceId);
      assert.equal(d.explicitHashKey, e.explicitHashKey);
      assert.equal(d.ingestTime, e.ingestTime);
      assert.deepEqual(Buffer.from(d.data), Buffer.from(e.data));
      buf.fill(0); // the decoded data is a copy
      assert.notEqual(Buffer.from(d.data)[0], 0);
    }
  });

  it('checkFrame: -1 for a frame cut short, -2 for any flipped byte', () => {
    const { buf, offsets } = encodeAll(1);
    const end = offsets[1]!;
    assert.equal(checkFrame(buf, 0, end - 1), -1);
    for (let i = 0; i < end; i++) {
      const copy = Buffer.from(buf);
      copy[i]! ^= 0x10;
      const r = checkFrame(copy, 0, end);
      assert.ok(r === -2 || r === -1, `flip at ${i} gave ${r}`);
    }
  });

  it('refuses entries whose keys cannot be framed', () => {
    const e = { partitionKey: 'x'.repeat(20_000), data: new Uint8Array(1), deviceId: 'd', ingestTime: 0 };
    assert.equal(frameable(e, frameSize(e)), false);
  });
});

describe('frame scanning', () => {
  it('scans intact frames and counts those at or above a threshold', () => {
    const { buf } = encodeAll(20);
    const r = scanFrames(buf, 0, buf.length, 5);
    assert.equal(r.records, 20);
    assert.equal(r.recordsFromThreshold, 15);
    assert.equal(r.tailStart, buf.length);
    assert.deepEqual(r.runs, [0, buf.length]);
  });

  it('resynchronises after a damaged frame and counts the gap', () => {
    const { buf, offsets } = encodeAll(20);
    buf[offsets[7]! + 20]! ^= 0xff; // inside record 7
    const r = scanFrames(buf, 0, buf.length, 0);
    assert.equal(r.records, 19);
    assert.equal(r.corruptRegions, 1);
    assert.equal(r.skippedRecords, 1);
    assert.equal(r.corruptBytes, offsets[8]! - offsets[7]!);
    assert.deepEqual(r.runs, [0, offsets[7], offsets[8], buf.length]);
  });

  it('a damaged length field still resynchronises by hunting', () => {
    const { buf, offsets } = encodeAll(20);
    buf.writeUInt32LE(7, offsets[3]!);
    const r = scanFrames(buf, 0, buf.length, 0);
    assert.equal(r.records, 19);
    assert.equal(findNextFrame(buf, offsets[3]! + 1, buf.length, 2), offsets[4]);
  });

  it('a damaged tail is a tail, not corruption', () => {
    const { buf, offsets } = encodeAll(5);
    const cut = offsets[4]! + 10;
    const r = scanFrames(buf, 0, cut, 0);
    assert.equal(r.records, 4);
    assert.equal(r.corruptRegions, 0);
    assert.equal(r.tailStart, offsets[4]);
  });
});

describe('segment header and names', () => {
  it('round-trips and detects damage', () => {
    const b = Buffer.alloc(32);
    encodeSegmentHeader(b, 0, 123_456_789_012, 1_700_000_000_123);
    assert.deepEqual(decodeSegmentHeader(b, 32), { baseId: 123_456_789_012, firstIngestTime: 1_700_000_000_123 });
    b[9]! ^= 1;
    assert.equal(typeof decodeSegmentHeader(b, 32), 'string');
    assert.equal(decodeSegmentHeader(b, 10), 'header truncated (10 bytes)');
  });

  it('names sort in id order and parse back', () => {
    assert.equal(segmentName(42), '0000000000000042.seg');
    assert.equal(parseSegmentName(segmentName(9_007_199_254_740_991)), 9_007_199_254_740_991);
    assert.equal(parseSegmentName('cursor'), undefined);
    assert.equal(parseSegmentName('0000000000000042.seg.corrupt'), undefined);
    assert.ok(segmentName(9) < segmentName(10));
  });
});
