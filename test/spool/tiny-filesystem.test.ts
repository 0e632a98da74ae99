/**
 * A real filesystem that fills up and turns read-only: a 1 MiB tmpfs mounted in a temp
 * directory (needs root and a sandbox that allows mount; skipped with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { drain, makeEntries, removeDir, segmentFiles, seqOf, tempDir, testFileSpool, waitFor } from './helpers.ts';

function run(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

describe('file spool on a real 1 MiB tmpfs', () => {
  let mnt = '';
  let skip: string | undefined;
  before(async () => {
    mnt = await tempDir('spool-tmpfs-');
    const err = run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt]);
    if (err !== undefined) skip = `mount -t tmpfs not permitted here (${err}); the injected-fault tests cover ENOSPC/EROFS`;
  });
  after(async () => {
    if (skip === undefined) run('umount', [mnt]);
    await removeDir(mnt);
  });

  it('disk full (ENOSPC): drops and counts, never throws, recovers once acknowledged segments are deleted', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const dir = join(mnt, 'full');
    // maxBytes far above what the filesystem holds: the filesystem fills first.
    const s = testFileSpool(dir, { maxBytes: 8 * 1024 * 1024, segmentBytes: 64 * 1024, onFull: 'drop-newest', retryMs: 10 });
    await s.open();
    let appended = 0;
    for (let b = 0; b < 400 && s.stats().drops['disk-full'] === 0; b++) {
      appended += (await s.append(makeEntries(50, appended, 1000))).appended;
    }
    const st = s.stats();
    assert.ok(st.drops['disk-full'] > 0, 'the filesystem filled up');
    assert.ok((st.ioErrors.ENOSPC ?? 0) > 0);
    assert.ok(st.diskBytes <= 1024 * 1024);
    const seqs = (await drain(s, true)).map(seqOf);
    assert.equal(seqs.length, appended, 'every acknowledged append is readable');
    await waitFor(async () => (await segmentFiles(dir)).length <= 1, 'acknowledged segments deleted');
    await new Promise((r) => setTimeout(r, 15)); // past retryMs
    assert.deepEqual(await s.append(makeEntries(50, 100_000, 1000)), { appended: 50, dropped: 0 }, 'space came back');
    assert.equal((await drain(s, true)).length, 50);
    await s.close();
  });

  it('read-only filesystem (EROFS): open survives, appends are dropped as read-only, writable again recovers', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const dir = join(mnt, 'ro');
    const first = testFileSpool(dir, { onFull: 'drop-newest' });
    await first.open();
    await first.append(makeEntries(20));
    await first.close();
    const remount = run('mount', ['-o', 'remount,ro', mnt]);
    if (remount !== undefined) return t.skip(`remount ro refused: ${remount}`);
    try {
      const s = testFileSpool(dir, { onFull: 'drop-newest', retryMs: 10 });
      const report = await s.open();
      assert.equal(report.records, 20, 'the backlog is still readable');
      assert.deepEqual(await s.append(makeEntries(5, 20)), { appended: 0, dropped: 5 });
      assert.equal(s.stats().drops['read-only'], 5);
      assert.equal((await drain(s, false)).length, 20);
      assert.equal(run('mount', ['-o', 'remount,rw', mnt]), undefined);
      await new Promise((r) => setTimeout(r, 15));
      assert.deepEqual(await s.append(makeEntries(5, 25)), { appended: 5, dropped: 0 });
      await s.close();
    } finally {
      run('mount', ['-o', 'remount,rw', mnt]);
    }
  });
});
