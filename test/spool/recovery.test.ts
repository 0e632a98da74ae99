/** Startup recovery of the file spool: torn tails, corruption, bad headers, leftovers, permissions. */
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CURSOR_FILE, saveCursor } from '../../agent/spool/cursor-state.ts';
import { nodeSpoolFs } from '../../agent/spool/fs-ops.ts';
import { codecV2, frameKeyMode } from '../../agent/spool/record-codec.ts';
import { encodeFrameV1, frameSizeV1 } from '../../agent/spool/record-codec-v1.ts';
import { encodeSegmentHeader, segmentName } from '../../agent/spool/segment.ts';
import { drain, makeEntries, removeDir, segmentFiles, seqOf, tempDir, testFileSpool, waitFor } from './helpers.ts';

/** Byte offsets of the frames in a segment file (after the 32-byte header), then its end. */
function frameOffsets(file: Buffer): number[] {
  const out: number[] = [];
  let p = 32;
  while (p < file.length) {
    out.push(p);
    p += codecV2.declared(file, p, file.length);
  }
  out.push(p);
  return out;
}

/** The sequence number makeEntries wrote into the data of the frame at `p`. */
function seqInFrame(file: Buffer, offs: readonly number[], k: number): number {
  return Number(file.toString('latin1', offs[k]!, offs[k + 1]).match(/#(\d+)#/)?.[1]);
}

describe('file spool recovery', () => {
  let root = '';
  let dir = '';
  beforeEach(async () => {
    root = await tempDir();
    dir = join(root, 'spool');
  });
  afterEach(async () => removeDir(root));

  /** Writes `n` entries (unacknowledged) over several 4 KiB segments, closes. */
  async function fill(n = 200): Promise<string[]> {
    const s = testFileSpool(dir);
    await s.open();
    await s.append(makeEntries(n, 0, 40));
    await s.close();
    const segs = await segmentFiles(dir);
    assert.ok(segs.length >= 3, `expected several segments, got ${segs.length}`);
    return segs;
  }

  async function reopenAndDrain(o: Parameters<typeof testFileSpool>[1] = {}) {
    const s = testFileSpool(dir, o);
    const report = await s.open();
    const items = await drain(s, true);
    const stats = s.stats();
    await s.close();
    return { report, seqs: items.map(seqOf), stats };
  }

  it('truncates a torn tail (last frame cut short) and delivers every complete record', async () => {
    const segs = await fill();
    const last = join(dir, segs[segs.length - 1]!);
    const file = await readFile(last);
    const offs = frameOffsets(file);
    const lastFrameStart = offs[offs.length - 2]!;
    await truncate(last, file.length - 5);
    const s = testFileSpool(dir);
    const report = await s.open();
    assert.equal((await stat(last)).size, lastFrameStart, 'file truncated at the last intact frame');
    assert.equal(report.tornBytes, file.length - 5 - lastFrameStart);
    assert.deepEqual(report.quarantined, []);
    assert.equal(report.records, 199);
    const seqs = (await drain(s, true)).map(seqOf);
    await s.close();
    assert.deepEqual(seqs, Array.from({ length: 199 }, (_, i) => i));
  });

  it('truncates a zero-filled tail (delayed allocation after power loss)', async () => {
    const segs = await fill();
    await appendFile(join(dir, segs[segs.length - 1]!), Buffer.alloc(4096));
    const { report, seqs } = await reopenAndDrain();
    assert.equal(report.tornBytes, 4096);
    assert.equal(seqs.length, 200);
  });

  it('removes a segment whose header never reached the disk (empty or zero-filled file)', async () => {
    await fill();
    await writeFile(join(dir, '0000000000009990.seg'), Buffer.alloc(0));
    await writeFile(join(dir, '0000000000009999.seg'), Buffer.alloc(100));
    const { report, seqs } = await reopenAndDrain();
    assert.equal(report.tornBytes, 100);
    assert.deepEqual(report.quarantined, []);
    assert.equal(seqs.length, 200);
    assert.ok(!(await segmentFiles(dir)).includes('0000000000009999.seg'));
  });

  it('quarantines a segment with a flipped byte, keeps its intact records, delivers the rest', async () => {
    const segs = await fill();
    const victim = join(dir, segs[1]!);
    const file = await readFile(victim);
    const offs = frameOffsets(file);
    // a frame that refers to its keys (no record depends on it), past the 3rd of the 2nd segment
    let k = 3;
    while (frameKeyMode(file, offs[k]!) !== 'ref') k++;
    const lost = seqInFrame(file, offs, k);
    file[offs[k + 1]! - 3]! ^= 0x40; // inside its data
    await writeFile(victim, file);
    const { report, seqs, stats } = await reopenAndDrain();
    assert.deepEqual(report.quarantined, [`${segs[1]}.corrupt`]);
    assert.equal(report.skippedRecords, 1);
    assert.equal(stats.drops.corrupt, 1, 'recovery counts what it skipped as corrupt drops');
    assert.ok(report.skippedBytes > 0);
    assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i).filter((q) => q !== lost));
    assert.deepEqual(await segmentFiles(dir, '.corrupt'), [`${segs[1]}.corrupt`]);
  });

  it('a damaged key definition also loses the records that refer to it, all counted; the rest is delivered', async () => {
    const segs = await fill();
    const victim = join(dir, segs[1]!);
    const file = await readFile(victim);
    const offs = frameOffsets(file);
    // the first frame defines its keys; find the frames of the same keys that refer to them
    assert.equal(frameKeyMode(file, offs[0]!), 'define');
    const keyOf = (k: number): string => {
      const seq = seqInFrame(file, offs, k);
      const e = makeEntries(1, seq)[0]!;
      return `${e.partitionKey}|${e.deviceId}|${e.explicitHashKey}`;
    };
    const key0 = keyOf(0);
    const dependents: number[] = [];
    for (let k = 1; k + 1 < offs.length; k++) {
      if (keyOf(k) !== key0) continue;
      const mode = frameKeyMode(file, offs[k]!);
      if (mode === 'define') break; // defined again: later references resolve
      if (mode === 'ref') dependents.push(seqInFrame(file, offs, k));
    }
    assert.ok(dependents.length > 0, 'the test data repeats the first key in the segment');
    const lost = new Set([seqInFrame(file, offs, 0), ...dependents]);
    file[offs[1]! - 3]! ^= 0x40;
    await writeFile(victim, file);
    const { report, seqs, stats } = await reopenAndDrain();
    assert.equal(report.skippedRecords, 1);
    assert.equal(stats.drops.corrupt, lost.size, 'every lost record is counted (at open, then while replaying)');
    assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i).filter((q) => !lost.has(q)));
  });

  it('replays a backlog written in format version 1 (before an upgrade), then continues in version 2', async () => {
    await mkdir(dir, { recursive: true });
    const old = makeEntries(50, 0, 40);
    const file = Buffer.alloc(32 + old.reduce((a, e) => a + frameSizeV1(e), 0));
    encodeSegmentHeader(file, 0, 0, old[0]!.ingestTime, 1);
    let off = 32;
    old.forEach((e, i) => (off = encodeFrameV1(file, off, e, i)));
    await writeFile(join(dir, segmentName(0)), file, { mode: 0o600 });
    const s = testFileSpool(dir);
    const report = await s.open();
    assert.equal(report.records, 50);
    await s.append(makeEntries(50, 50, 40));
    const items = await drain(s, true);
    await s.close();
    assert.deepEqual(items.map(seqOf), Array.from({ length: 100 }, (_, i) => i));
    const all = makeEntries(100, 0, 40);
    items.forEach((it, i) => {
      assert.equal(it.partitionKey, all[i]!.partitionKey);
      assert.equal(it.deviceId, all[i]!.deviceId);
      assert.equal(it.explicitHashKey, all[i]!.explicitHashKey);
      assert.equal(it.ingestTime, all[i]!.ingestTime);
    });
  });

  it('quarantines a segment with a bad header and continues with the others', async () => {
    const segs = await fill();
    const victim = join(dir, segs[1]!);
    const file = await readFile(victim);
    const inVictim = frameOffsets(file).length - 1;
    file[0] = 0x00; // magic
    await writeFile(victim, file);
    const { report, seqs } = await reopenAndDrain();
    assert.deepEqual(report.quarantined, [`${segs[1]}.corrupt`]);
    assert.equal(report.skippedRecords, inVictim);
    assert.equal(seqs.length, 200 - inVictim);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!);
    assert.ok(!(await segmentFiles(dir)).includes(segs[1]!));
  });

  it('verify=tail skips damage during replay instead, counting it', async () => {
    const segs = await fill();
    const victim = join(dir, segs[0]!);
    const file = await readFile(victim);
    const offs = frameOffsets(file);
    let k = 2;
    while (frameKeyMode(file, offs[k]!) !== 'ref') k++;
    const lost = seqInFrame(file, offs, k);
    file[offs[k + 1]! - 3]! ^= 0x01;
    await writeFile(victim, file);
    const { report, seqs, stats } = await reopenAndDrain({ verify: 'tail' });
    assert.deepEqual(report.quarantined, []);
    assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i).filter((q) => q !== lost));
    assert.equal(stats.drops.corrupt, 1);
  });

  it('finishes an interrupted salvage and discards a stale one', async () => {
    const segs = await fill();
    // a salvage whose target is present is stale: removed
    await writeFile(join(dir, `${segs[0]}.salvage`), Buffer.alloc(10));
    // a salvage whose target is gone (crash between the two renames) becomes the segment
    const second = join(dir, segs[1]!);
    await rename(second, `${second}.salvage`);
    const { seqs } = await reopenAndDrain();
    assert.equal(seqs.length, 200);
    assert.deepEqual(await segmentFiles(dir, '.salvage'), []);
  });

  it('a damaged cursor replays from the oldest segment (duplicates, never loss)', async () => {
    const s = testFileSpool(dir);
    await s.open();
    await s.append(makeEntries(100, 0, 40));
    for (const it of await drain(s, false)) if (seqOf(it) < 60) s.ack(it.id);
    await s.close();
    await writeFile(join(dir, CURSOR_FILE), Buffer.from('garbage garbage garbage'));
    const { report, seqs } = await reopenAndDrain();
    assert.equal(report.cursorReset, true);
    assert.ok(seqs.length >= 40 && seqs[seqs.length - 1] === 99);
    assert.ok(seqs.includes(60));
  });

  it('deletes fully acknowledged segments, during the run and at open', async () => {
    const s = testFileSpool(dir);
    await s.open();
    await s.append(makeEntries(300, 0, 40));
    assert.ok((await segmentFiles(dir)).length >= 4);
    await drain(s, true);
    await waitFor(async () => (await segmentFiles(dir)).length === 1, 'acknowledged segments removed');
    assert.equal(s.stats().segments, 1);
    await s.close();
    assert.deepEqual(await segmentFiles(dir), [], 'close sealed the last segment, fully acknowledged: removed');
    const again = testFileSpool(dir);
    const report = await again.open();
    assert.equal(report.records, 0);
    assert.equal(report.lowWaterMark, 300);
    await again.append(makeEntries(1));
    assert.equal((await again.read(1))[0]?.id, 300, 'ids continue after the persisted mark');
    await again.close();
  });

  it('at open removes segments the cursor says are fully acknowledged (crash before deletion)', async () => {
    const segs = await fill();
    await saveCursor(nodeSpoolFs, dir, 200, true);
    const { report, seqs } = await reopenAndDrain();
    assert.equal(report.deletedSegments, segs.length);
    assert.equal(report.records, 0);
    assert.deepEqual(seqs, []);
    assert.equal(report.nextId, 200);
  });

  it('creates the directory 0700 and every file 0600', async () => {
    const s = testFileSpool(dir);
    await s.open();
    await s.append(makeEntries(5));
    const it = await s.read(5);
    for (const i of it) s.ack(i.id);
    await s.close();
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    for (const f of [...(await segmentFiles(dir)), CURSOR_FILE]) {
      assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    }
  });
});
