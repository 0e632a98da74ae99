/** Segment files: rotation size, headers, names, whole-segment deletion, burst logging of drops. */
import assert from 'node:assert/strict';
import { open as openFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { systemClock } from '../../agent/core/clock.ts';
import { DropCounter } from '../../agent/spool/drop-counter.ts';
import { decodeSegmentHeader, parseSegmentName } from '../../agent/spool/segment.ts';
import { drain, makeEntries, removeDir, segmentFiles, seqOf, tempDir, testFileSpool, waitFor } from './helpers.ts';

describe('segments', () => {
  let root = '';
  let dir = '';
  beforeEach(async () => {
    root = await tempDir();
    dir = join(root, 'spool');
  });
  afterEach(async () => removeDir(root));

  it('rotates at segmentBytes; each file starts with a valid header whose base id is in its name', async () => {
    const s = testFileSpool(dir, { segmentBytes: 4096 });
    await s.open();
    await s.append(makeEntries(500, 0, 40));
    await s.close();
    const segs = await segmentFiles(dir);
    assert.ok(segs.length >= 8, `${segs.length} segments`);
    let expectBase = 0;
    for (const name of segs) {
      const size = (await stat(join(dir, name))).size;
      assert.ok(size <= 4096, `${name} is ${size} bytes`);
      const head = (await readFile(join(dir, name))).subarray(0, 32);
      const h = decodeSegmentHeader(Buffer.from(head), 32);
      assert.ok(typeof h !== 'string', String(h));
      assert.equal(h.baseId, parseSegmentName(name));
      assert.ok(h.baseId >= expectBase);
      expectBase = h.baseId + 1;
    }
  });

  it('onFull=drop-oldest removes whole oldest segment files and keeps the newest records', async () => {
    const s = testFileSpool(dir, { segmentBytes: 16 * 1024, maxBytes: 64 * 1024, onFull: 'drop-oldest' });
    await s.open();
    for (let b = 0; b < 20; b++) await s.append(makeEntries(50, b * 50, 100));
    await waitFor(async () => (await segmentFiles(dir)).length === s.stats().segments, 'unlinks done');
    const segs = await segmentFiles(dir);
    assert.ok(segs.length <= 5, `${segs.length} segment files`);
    assert.ok(parseSegmentName(segs[0]!)! > 0, 'the first segments are gone');
    let onDisk = 0;
    for (const n of segs) onDisk += (await stat(join(dir, n))).size;
    assert.ok(onDisk <= 64 * 1024, `${onDisk} bytes on disk`);
    const seqs = (await drain(s, true)).map(seqOf);
    assert.equal(seqs[seqs.length - 1], 999);
    assert.equal(seqs.length + s.stats().drops['full-drop-oldest'], 1000);
    await s.close();
  });

  it('cursor file is replaced atomically and holds the low-water mark', async () => {
    const s = testFileSpool(dir);
    await s.open();
    await s.append(makeEntries(30));
    for (const it of await drain(s, false)) if (it.id < 17) s.ack(it.id);
    await s.close();
    const fh = await openFile(join(dir, 'cursor'));
    const b = Buffer.alloc(20);
    await fh.read(b, 0, 20, 0);
    await fh.close();
    assert.equal(b.toString('latin1', 0, 4), 'SWCU');
    assert.equal(Number(b.readBigUInt64LE(8)), 17);
    assert.ok(!(await segmentFiles(dir, '.tmp')).length);
  });
});

describe('drop logging', () => {
  it('logs once when a burst starts and once with the count when it is over', async () => {
    const lines: { level: string; msg: string; fields: unknown }[] = [];
    const c = new DropCounter((level, msg, fields) => lines.push({ level, msg, fields }), systemClock, 20);
    for (let i = 0; i < 100; i++) c.drop('full-drop-newest', 1);
    c.drop('too-large', 2);
    assert.equal(lines.length, 2, 'one line per reason at the start of the burst');
    assert.equal(lines[0]!.level, 'warn');
    await waitFor(() => lines.length === 4, 'burst summaries');
    assert.deepEqual(lines.slice(2).map((l) => l.fields).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [{ count: 100 }, { count: 2 }]);
    assert.equal(c.drops['full-drop-newest'], 100);
    c.close();
  });
});
