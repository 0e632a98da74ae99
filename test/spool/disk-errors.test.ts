/** ENOSPC, EROFS and EIO through an injected filesystem: counted, never a crash, recovered. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { drain, makeEntries, removeDir, seqOf, tempDir, testFileSpool, track, waitFor } from './helpers.ts';
import { faultyFs } from './faulty-fs.ts';

describe('file spool under disk errors (injected)', () => {
  let root = '';
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(async () => removeDir(root));

  it('onFull=drop-newest: ENOSPC drops and counts, then writing recovers by itself', async () => {
    const { fs, faults } = faultyFs();
    const s = testFileSpool(join(root, 's'), { onFull: 'drop-newest', retryMs: 10 }, { fs });
    await s.open();
    assert.deepEqual(await s.append(makeEntries(10, 0)), { appended: 10, dropped: 0 });
    faults.write = 'ENOSPC';
    assert.deepEqual(await s.append(makeEntries(10, 10)), { appended: 0, dropped: 10 });
    let st = s.stats();
    assert.equal(st.drops['disk-full'], 10);
    assert.ok((st.ioErrors.ENOSPC ?? 0) >= 1);
    assert.equal(st.diskHealthy, false);
    faults.write = undefined;
    await new Promise((r) => setTimeout(r, 15)); // past retryMs: the next write is a probe
    assert.deepEqual(await s.append(makeEntries(10, 20)), { appended: 10, dropped: 0 });
    st = s.stats();
    assert.equal(st.diskHealthy, true);
    assert.equal(st.records, 20);
    const seqs = (await drain(s, true)).map(seqOf);
    assert.deepEqual(seqs, [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
    await s.close();
  });

  it('onFull=block: ENOSPC keeps appends pending and retrying, nothing is lost', async () => {
    const { fs, faults } = faultyFs();
    const s = testFileSpool(join(root, 's'), { onFull: 'block', retryMs: 20 }, { fs });
    await s.open();
    faults.write = 'ENOSPC';
    const p = track(s.append(makeEntries(10)));
    await waitFor(() => (s.stats().ioErrors.ENOSPC ?? 0) >= 3, 'several retries');
    assert.equal(p.settled, false);
    assert.equal(s.stats().drops['disk-full'], 0);
    faults.write = undefined;
    assert.deepEqual(await p.promise, { appended: 10, dropped: 0 });
    assert.deepEqual((await drain(s, true)).map(seqOf), Array.from({ length: 10 }, (_, i) => i));
    await s.close();
  });

  it('onFull=drop-oldest: ENOSPC deletes the oldest segment and retries the write', async () => {
    const { fs, faults } = faultyFs();
    const s = testFileSpool(join(root, 's'), { onFull: 'drop-oldest', retryMs: 10 }, { fs });
    await s.open();
    await s.append(makeEntries(200, 0, 40));
    const before = s.stats().segments;
    assert.ok(before >= 3);
    faults.write = 'ENOSPC';
    faults.times = 1;
    assert.deepEqual(await s.append(makeEntries(10, 200, 40)), { appended: 10, dropped: 0 });
    const st = s.stats();
    assert.ok(st.drops['full-drop-oldest'] > 0);
    assert.equal(st.drops['disk-full'], 0);
    const seqs = (await drain(s, true)).map(seqOf);
    assert.equal(seqs.length + st.drops['full-drop-oldest'], 210);
    assert.equal(seqs[seqs.length - 1], 209);
    await s.close();
  });

  it('EROFS is counted as read-only and survived', async () => {
    const { fs, faults } = faultyFs();
    const s = testFileSpool(join(root, 's'), { onFull: 'drop-newest', retryMs: 10 }, { fs });
    await s.open();
    faults.write = 'EROFS';
    assert.deepEqual(await s.append(makeEntries(3)), { appended: 0, dropped: 3 });
    assert.equal(s.stats().drops['read-only'], 3);
    faults.write = undefined;
    await new Promise((r) => setTimeout(r, 15));
    assert.equal((await s.append(makeEntries(3, 3))).appended, 3);
    await s.close();
  });

  it('a failed fsync is counted; the bytes were written so the append still resolves', async () => {
    const { fs, faults } = faultyFs();
    const s = testFileSpool(join(root, 's'), { fsync: 'batch' }, { fs });
    await s.open();
    faults.fsync = 'EIO';
    faults.times = 1;
    assert.equal((await s.append(makeEntries(5))).appended, 5);
    assert.equal(s.stats().ioErrors.EIO, 1);
    assert.equal((await drain(s, true)).length, 5);
    await s.close();
  });

  it('an unreadable segment (EIO on read) is skipped and counted; replay goes on with the next', async () => {
    const dir = join(root, 's');
    const w = testFileSpool(dir);
    await w.open();
    await w.append(makeEntries(200, 0, 40));
    await w.close();
    const { fs, faults } = faultyFs();
    const s = testFileSpool(dir, {}, { fs });
    await s.open();
    faults.read = 'EIO';
    faults.times = 1;
    const seqs = (await drain(s, true)).map(seqOf);
    const st = s.stats();
    assert.equal(st.ioErrors.EIO, 1);
    assert.ok(st.drops.corrupt > 0);
    assert.equal(seqs.length + st.drops.corrupt, 200);
    assert.equal(seqs[seqs.length - 1], 199);
    await s.close();
  });

  it('close() with writes still failing drops what waits for disk instead of hanging', async () => {
    const { fs, faults } = faultyFs();
    const s = testFileSpool(join(root, 's'), { onFull: 'block', retryMs: 5000 }, { fs });
    await s.open();
    faults.write = 'ENOSPC';
    const p = track(s.append(makeEntries(4)));
    await waitFor(() => (s.stats().ioErrors.ENOSPC ?? 0) >= 1, 'first failure');
    await s.close();
    assert.deepEqual(await p.promise, { appended: 0, dropped: 4 });
    assert.equal(s.stats().drops['disk-full'], 4);
  });
});
