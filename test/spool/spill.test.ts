/** mode=spill: memory while the sink keeps up, disk while it is down or memory runs short. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FileSpool } from '../../agent/spool/file-spool.ts';
import { drain, makeEntries, removeDir, segmentFiles, seqOf, tempDir, testFileSpool, track, waitFor } from './helpers.ts';

describe('spill mode', () => {
  let root = '';
  let dir = '';
  beforeEach(async () => {
    root = await tempDir();
    dir = join(root, 'spool');
  });
  afterEach(async () => removeDir(root));

  const spill = (o: Parameters<typeof testFileSpool>[1] = {}): FileSpool =>
    testFileSpool(dir, { mode: 'spill', fsync: 'interval', memoryBytes: 256 * 1024, ...o });

  it('writes 0 bytes to disk while the sink is healthy and keeps up', async () => {
    const s = spill();
    await s.open();
    const seqs: number[] = [];
    for (let b = 0; b < 50; b++) {
      assert.equal((await s.append(makeEntries(40, b * 40))).appended, 40);
      for (const it of await s.read(1000)) {
        seqs.push(seqOf(it));
        s.ack(it.id);
      }
    }
    await new Promise((r) => setTimeout(r, 50)); // a few cursor intervals: still nothing to write
    const st = s.stats();
    assert.equal(seqs.length, 2000);
    assert.deepEqual(seqs, Array.from({ length: 2000 }, (_, i) => i));
    assert.equal(st.diskBytesWritten, 0);
    assert.deepEqual(await segmentFiles(dir), []);
    await s.close();
  });

  it('whenRoom: a replayable source waits before building records until the memory tail is at most half full', async () => {
    const s = spill();
    await s.open();
    const REPLAYABLE = { replayable: true };
    assert.equal(s.whenRoom(REPLAYABLE), undefined, 'empty: room at once');
    // memoryBytes 256 KiB: 160 entries of ~1 KiB fill more than half of it.
    await s.append(makeEntries(160, 0, 1000), REPLAYABLE);
    const waiting = s.whenRoom(REPLAYABLE);
    assert.ok(waiting, 'over half full: wait');
    assert.equal(s.whenRoom(), undefined, 'input that is not replayable does not wait for the tail');
    const woken = track(waiting);
    const items = await s.read(1000);
    for (const it of items.slice(0, 20)) s.ack(it.id);
    await new Promise((r) => setImmediate(r));
    assert.equal(woken.settled, false, 'still over half full');
    for (const it of items.slice(20)) s.ack(it.id);
    await woken.promise;
    assert.equal(s.whenRoom(REPLAYABLE), undefined);
    // A sink that goes down sends the input to disk: nobody waits for memory then.
    await s.append(makeEntries(160, 160, 1000), REPLAYABLE);
    const parked = s.whenRoom(REPLAYABLE);
    assert.ok(parked);
    s.setSinkHealthy(false);
    await parked;
    await s.close();
  });

  it('writes the backlog while the sink is down, drains it oldest first, then stops writing', async () => {
    const s = spill();
    await s.open();
    await s.append(makeEntries(100, 0));
    s.setSinkHealthy(false);
    await s.append(makeEntries(300, 100));
    const st = s.stats();
    assert.ok(st.diskBytesWritten > 400 * 40, `backlog on disk: ${st.diskBytesWritten}`);
    assert.ok((await segmentFiles(dir)).length >= 2);
    s.setSinkHealthy(true);
    await s.append(makeEntries(50, 400)); // live data queues behind the backlog
    const seqs = (await drain(s, true)).map(seqOf);
    assert.deepEqual(seqs, Array.from({ length: 450 }, (_, i) => i));
    await waitFor(async () => (await segmentFiles(dir)).length === 0, 'backlog segments deleted');
    const written = s.stats().diskBytesWritten;
    for (let b = 0; b < 10; b++) {
      await s.append(makeEntries(20, 1000 + b * 20));
      for (const it of await s.read(100)) s.ack(it.id);
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.stats().diskBytesWritten, written, 'healthy again: no more disk writes');
    await s.close();
  });

  it('spills to disk when the memory budget is exceeded, keeping order', async () => {
    const s = spill({ memoryBytes: 16 * 1024 });
    await s.open();
    await s.append(makeEntries(1000, 0, 40)); // ~80 KB, five times the budget
    await waitFor(() => s.stats().diskBytesWritten > 0 && s.stats().memoryBytes <= 16 * 1024, 'overflow written out');
    assert.ok(s.stats().diskBytesWritten < 80 * 1024, 'only the overflow went to disk');
    assert.deepEqual((await drain(s, true)).map(seqOf), Array.from({ length: 1000 }, (_, i) => i));
    await s.close();
  });

  it('entries handed out but not acknowledged are spilled too and survive a restart', async () => {
    const s = spill();
    await s.open();
    await s.append(makeEntries(10));
    const got = await s.read(10);
    for (const it of got.slice(0, 4)) s.ack(it.id);
    s.setSinkHealthy(false); // the rest (in flight at the sink) goes to disk
    await waitFor(() => s.stats().diskBytesWritten > 0, 'tail written');
    await s.close();
    const again = spill();
    const report = await again.open();
    assert.equal(report.records, 6);
    assert.deepEqual((await drain(again, true)).map(seqOf), [4, 5, 6, 7, 8, 9]);
    await again.close();
  });

  it('toggling health between appends never reorders', async () => {
    const s = spill({ memoryBytes: 8 * 1024 });
    await s.open();
    const seqs: number[] = [];
    for (let b = 0; b < 40; b++) {
      s.setSinkHealthy(b % 3 !== 0);
      void s.append(makeEntries(25, b * 25, 30));
      if (b % 4 === 0) for (const it of await s.read(30)) (seqs.push(seqOf(it)), s.ack(it.id));
    }
    s.setSinkHealthy(true);
    for (const it of await drain(s, true)) seqs.push(seqOf(it));
    assert.deepEqual(seqs, Array.from({ length: 1000 }, (_, i) => i));
    await s.close();
  });

  it('a replayable input (a file) waits for memory instead of spilling while the sink is healthy, and spills while it is down', async () => {
    const s = spill({ memoryBytes: 64 * 1024 });
    await s.open();
    // Fill the memory budget (≈ 64 KiB of 1 KiB records), then one more batch: it must wait, not spill.
    await s.append(makeEntries(60, 0, 1000), { replayable: true });
    let settled = false;
    const waiting = s.append(makeEntries(10, 60, 1000), { replayable: true }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'the replayable append waits for room');
    assert.equal(s.stats().diskBytesWritten, 0, 'and nothing was written to disk');
    // Acks free memory: the waiting append goes in, still in memory.
    const seqs: number[] = [];
    for (const it of await s.read(1000)) {
      seqs.push(seqOf(it));
      s.ack(it.id);
    }
    assert.equal((await waiting).appended, 10);
    for (const it of await s.read(1000)) {
      seqs.push(seqOf(it));
      s.ack(it.id);
    }
    assert.deepEqual(seqs, Array.from({ length: 70 }, (_, i) => i));
    assert.equal(s.stats().diskBytesWritten, 0);
    // The sink goes down: a replayable append over the budget is spilled, not held back.
    await s.append(makeEntries(60, 70, 1000), { replayable: true });
    s.setSinkHealthy(false);
    assert.equal((await s.append(makeEntries(10, 130, 1000), { replayable: true })).appended, 10);
    assert.ok(s.stats().diskBytesWritten > 0, 'spilled while the sink is down');
    const rest = (await drain(s, true)).map(seqOf);
    assert.deepEqual(rest, Array.from({ length: 70 }, (_, i) => 70 + i));
    await s.close();
  });
});
