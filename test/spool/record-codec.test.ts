import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyTable } from '../../agent/spool/frame-codec.ts';
import { findNextFrame, scanFrames } from '../../agent/spool/frame-scan.ts';
import { KeyDict, MAX_KEY_ENTRIES, REDEFINE_AFTER_BYTES } from '../../agent/spool/key-dict.ts';
import { codecFor, codecV2, encodeFrame, frameable, frameKeyMode, frameSize } from '../../agent/spool/record-codec.ts';
import { codecV1, encodeFrameV1, frameSizeV1 } from '../../agent/spool/record-codec-v1.ts';
import { decodeSegmentHeader, encodeSegmentHeader, parseSegmentName, segmentName } from '../../agent/spool/segment.ts';
import type { SpoolEntry, SpoolItem } from '../../agent/spool/spool.ts';
import { makeEntries } from './helpers.ts';

const BASE_TIME = 1_700_000_000_000;

/** Encodes entries as one segment's frames (fresh dictionary); offsets has one more element: the end. */
function encodeAll(entries: readonly SpoolEntry[], timeBase = BASE_TIME): { buf: Buffer; offsets: number[] } {
  const size = entries.reduce((a, e) => a + frameSize(e), 0);
  const buf = Buffer.alloc(size);
  const keys = new KeyDict();
  const offsets: number[] = [];
  let off = 0;
  entries.forEach((e, i) => {
    offsets.push(off);
    const end = encodeFrame(buf, off, e, i, timeBase, keys, 32 + off);
    assert.ok(end - off <= frameSize(e), 'frameSize is an upper bound');
    off = end;
  });
  offsets.push(off);
  return { buf: buf.subarray(0, off), offsets };
}

/** Decodes every frame in order, as the replay reader does (undefined: an unresolved key). */
function decodeAll(buf: Buffer, offsets: readonly number[], baseId = 0, timeBase = BASE_TIME): (SpoolItem | undefined)[] {
  const keys = new KeyTable();
  const out: (SpoolItem | undefined)[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const p = offsets[i]!;
    const total = codecV2.check(buf, p, buf.length);
    if (total < 0) {
      out.push(undefined);
      continue;
    }
    assert.equal(total, offsets[i + 1]! - p);
    out.push(codecV2.decode(buf, p, total, baseId, timeBase, keys));
  }
  return out;
}

function assertSame(d: SpoolItem | undefined, e: SpoolEntry, id: number): void {
  assert.ok(d !== undefined);
  assert.equal(d.id, id);
  assert.equal(d.partitionKey, e.partitionKey);
  assert.equal(d.deviceId, e.deviceId);
  assert.equal(d.explicitHashKey, e.explicitHashKey);
  assert.equal(d.ingestTime, e.ingestTime);
  assert.deepEqual(Buffer.from(d.data), Buffer.from(e.data));
}

describe('record framing (format version 2)', () => {
  it('round-trips every field, with and without hash key, deviceId = or ≠ partitionKey, UTF-8 keys, repeated keys', () => {
    const entries = [...makeEntries(40), ...makeEntries(40)];
    const { buf, offsets } = encodeAll(entries);
    const decoded = decodeAll(buf, offsets, 500);
    entries.forEach((e, i) => assertSame(decoded[i], e, 500 + i));
    const modes = offsets.slice(0, -1).map((p) => frameKeyMode(buf, p));
    assert.equal(modes[0], 'define');
    assert.ok(modes.filter((m) => m === 'ref').length >= 20, `keys repeat, so many frames refer: ${modes.join(',')}`);
    buf.fill(0); // the decoded data is a copy
    assert.notEqual(Buffer.from(decoded[1]!.data)[0], 0);
  });

  it('a 200-byte record with a 10-character key repeated takes at most 1.1 × its data on disk', () => {
    const entries: SpoolEntry[] = [];
    for (let i = 0; i < 2000; i++) {
      const key = `device-${100 + (i % 100)}`;
      entries.push({ partitionKey: key, deviceId: key, data: Buffer.alloc(200, i), ingestTime: BASE_TIME + i * 3 });
    }
    const { buf } = encodeAll(entries);
    const perRecord = buf.length / entries.length;
    assert.ok(perRecord <= 220, `${perRecord} bytes per record`);
    assert.ok(perRecord < frameSizeV1(entries[0]!), 'smaller than version 1');
  });

  it('ingest times that are not whole ms, before the base or far from it round-trip exactly (f64 fallback)', () => {
    const times = [BASE_TIME + 0.25, BASE_TIME - 5000, BASE_TIME + 2 ** 50, -1e300, BASE_TIME];
    const entries = times.map((t, i) => ({ partitionKey: 'k', deviceId: 'k', data: Buffer.from([i]), ingestTime: t }));
    const { buf, offsets } = encodeAll(entries);
    decodeAll(buf, offsets).forEach((d, i) => assert.equal(d?.ingestTime, times[i]));
  });

  it('checkFrame: -1 for a frame cut short, -2 for any flipped byte (define and ref frames)', () => {
    const e = makeEntries(1)[0]!;
    const { buf, offsets } = encodeAll([e, e]);
    for (let f = 0; f < 2; f++) {
      const start = offsets[f]!;
      const end = offsets[f + 1]!;
      assert.equal(codecV2.check(buf, start, end - 1), -1);
      assert.equal(codecV2.check(buf, start, end), end - start);
      for (let i = start; i < end; i++) {
        const copy = Buffer.from(buf);
        copy[i]! ^= 0x10;
        const r = codecV2.check(copy, start, end);
        assert.ok(r === -2 || r === -1, `frame ${f}: flip at ${i - start} gave ${r}`);
      }
    }
  });

  it('a reference whose definition was lost decodes to undefined, never to other keys', () => {
    const [a, b] = makeEntries(2);
    const { buf, offsets } = encodeAll([a!, b!, a!, b!]);
    const keys = new KeyTable();
    // frames 0 and 1 define; skip frame 0 (as if damaged), read 1, 2, 3
    for (const i of [1, 2, 3]) {
      const p = offsets[i]!;
      const d = codecV2.decode(buf, p, offsets[i + 1]! - p, 0, BASE_TIME, keys);
      if (i === 2) assert.equal(d, undefined);
      else assertSame(d, b!, i);
    }
  });

  it('learn() picks up definitions from frames that are skipped, not decoded', () => {
    const [a] = makeEntries(1);
    const { buf, offsets } = encodeAll([a!, a!]);
    const keys = new KeyTable();
    codecV2.learn(buf, offsets[0]!, keys);
    assertSame(codecV2.decode(buf, offsets[1]!, offsets[2]! - offsets[1]!, 0, BASE_TIME, keys), a!, 1);
  });

  it('the dictionary repeats a definition after REDEFINE_AFTER_BYTES, forgets after a failed write, and caps its size', () => {
    const e = makeEntries(1)[0]!;
    const d = new KeyDict();
    d.choose(e, 100);
    assert.deepEqual([d.mode, d.index], [1, 0]);
    d.choose(e, 200);
    assert.deepEqual([d.mode, d.index], [2, 0]);
    d.choose(e, 100 + REDEFINE_AFTER_BYTES);
    assert.deepEqual([d.mode, d.index], [1, 0], 'defined again under the same index');
    d.forget();
    d.choose(e, 300 + REDEFINE_AFTER_BYTES);
    assert.deepEqual([d.mode, d.index], [1, 1], 'a fresh index after forget()');
    for (let i = 0; i < MAX_KEY_ENTRIES; i++) d.choose({ ...e, partitionKey: `k${i}`, deviceId: `k${i}` }, 0);
    assert.equal(d.mode, 0, 'inline once the dictionary is full');
    d.reset();
    d.choose(e, 32);
    assert.deepEqual([d.mode, d.index], [1, 0]);
  });

  it('refuses entries whose keys cannot be framed', () => {
    const e = { partitionKey: 'x'.repeat(20_000), data: new Uint8Array(1), deviceId: 'd', ingestTime: 0 };
    assert.equal(frameable(e, frameSize(e)), false);
  });
});

describe('format version 1 (read only)', () => {
  it('frames written by the previous version still check and decode', () => {
    const entries = makeEntries(12);
    const buf = Buffer.alloc(entries.reduce((a, e) => a + frameSizeV1(e), 0));
    let off = 0;
    const offsets: number[] = [];
    entries.forEach((e, i) => {
      offsets.push(off);
      off = encodeFrameV1(buf, off, e, i);
    });
    assert.equal(off, buf.length);
    assert.equal(codecFor(1), codecV1);
    const keys = new KeyTable();
    entries.forEach((e, i) => {
      const total = codecV1.check(buf, offsets[i]!, buf.length);
      assert.equal(total, frameSizeV1(e));
      assert.equal(codecV1.seqDelta(buf, offsets[i]!), i);
      assertSame(codecV1.decode(buf, offsets[i]!, total, 7, 0, keys), e, 7 + i);
    });
    const copy = Buffer.from(buf);
    copy[offsets[3]! + 20]! ^= 1;
    assert.equal(codecV1.check(copy, offsets[3]!, copy.length), -2);
    assert.equal(codecFor(3), undefined);
  });
});

describe('frame scanning', () => {
  /** Distinct keys, so every frame stands alone (damage to one loses only that one). */
  const distinct = (n: number): SpoolEntry[] =>
    Array.from({ length: n }, (_, i) => ({ partitionKey: `p${i}`, deviceId: `p${i}`, data: Buffer.alloc(30, i), ingestTime: BASE_TIME + i }));

  it('scans intact frames and counts those at or above a threshold', () => {
    const { buf } = encodeAll(makeEntries(20));
    const r = scanFrames(codecV2, buf, 0, buf.length, 5, BASE_TIME);
    assert.equal(r.records, 20);
    assert.equal(r.recordsFromThreshold, 15);
    assert.equal(r.tailStart, buf.length);
    assert.equal(r.firstIngestTime, makeEntries(1)[0]!.ingestTime);
    assert.deepEqual(r.runs, [0, buf.length]);
  });

  it('resynchronises after a damaged frame and counts the gap', () => {
    const { buf, offsets } = encodeAll(distinct(20));
    buf[offsets[7]! + 20]! ^= 0xff; // inside record 7
    const r = scanFrames(codecV2, buf, 0, buf.length, 0, BASE_TIME);
    assert.equal(r.records, 19);
    assert.equal(r.corruptRegions, 1);
    assert.equal(r.skippedRecords, 1);
    assert.equal(r.corruptBytes, offsets[8]! - offsets[7]!);
    assert.deepEqual(r.runs, [0, offsets[7], offsets[8], buf.length]);
  });

  it('a damaged length field still resynchronises by hunting', () => {
    const { buf, offsets } = encodeAll(distinct(20));
    buf[offsets[3]!] = 7;
    const r = scanFrames(codecV2, buf, 0, buf.length, 0, BASE_TIME);
    assert.equal(r.records, 19);
    assert.equal(findNextFrame(codecV2, buf, offsets[3]! + 1, buf.length, 2), offsets[4]);
  });

  it('a damaged tail is a tail, not corruption', () => {
    const { buf, offsets } = encodeAll(makeEntries(5));
    const cut = offsets[4]! + 10;
    const r = scanFrames(codecV2, buf, 0, cut, 0, BASE_TIME);
    assert.equal(r.records, 4);
    assert.equal(r.corruptRegions, 0);
    assert.equal(r.tailStart, offsets[4]);
  });

  it('zeros (delayed allocation after a power loss) are a tail', () => {
    const { buf } = encodeAll(makeEntries(5));
    const withZeros = Buffer.concat([buf, Buffer.alloc(4096)]);
    const r = scanFrames(codecV2, withZeros, 0, withZeros.length, 0, BASE_TIME);
    assert.equal(r.records, 5);
    assert.equal(r.tailStart, buf.length);
  });
});

describe('segment header and names', () => {
  it('round-trips and detects damage', () => {
    const b = Buffer.alloc(32);
    encodeSegmentHeader(b, 0, 123_456_789_012, 1_700_000_000_123);
    assert.deepEqual(decodeSegmentHeader(b, 32), { version: 2, baseId: 123_456_789_012, firstIngestTime: 1_700_000_000_123 });
    encodeSegmentHeader(b, 0, 5, 6, 1);
    assert.deepEqual(decodeSegmentHeader(b, 32), { version: 1, baseId: 5, firstIngestTime: 6 });
    encodeSegmentHeader(b, 0, 5, 6, 3);
    assert.equal(decodeSegmentHeader(b, 32), 'unsupported format version 3');
    encodeSegmentHeader(b, 0, 123_456_789_012, 1_700_000_000_123);
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
