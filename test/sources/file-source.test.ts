/**
 * File source: tailing, rotation (rename+create, copytruncate), checkpoint/restart, and the shared
 * Source contract. Real files in a temp dir; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdir, mkdtemp, open, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileSource } from '../../agent/sources/file/file-source.ts';
import type { FileSourceOptions } from '../../agent/sources/file/file-source-options.ts';
import { CollectingDownstream, sleep, sourceContract, waitUntil } from './source-contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'shardwise-file-'));
  dirs.push(d);
  return d;
}

export function fileSource(dir: string, over: Partial<FileSourceOptions> = {}): FileSource {
  return new FileSource({
    name: 'files',
    paths: [join(dir, '*.log')],
    format: 'jsonl',
    deviceId: { fromField: 'd' },
    startAt: 'beginning',
    pollIntervalMs: 20,
    checkpointPath: join(dir, 'state', 'checkpoint.json'),
    maxLineBytes: 1024,
    checkpointIntervalMs: 0,
    rotateWaitMs: 1000, // longer than any writer pause in these tests, even on a loaded machine
    ...over,
  });
}

interface CheckpointDoc {
  files: Record<string, { path: string; offset: number }>;
}

async function checkpoint(dir: string): Promise<CheckpointDoc | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'state', 'checkpoint.json'), 'utf8')) as CheckpointDoc;
  } catch {
    return undefined; // not written yet
  }
}

/** The source has the file now at `path` open (its dev:inode is in the checkpoint). */
async function tracked(dir: string, path: string): Promise<boolean> {
  const st = await stat(path, { bigint: true });
  return `${st.dev}:${st.ino}` in ((await checkpoint(dir))?.files ?? {});
}

const line = (seq: number): string => `{"d":"dev-${seq % 3}","seq":${seq}}\n`;

function seqs(ds: CollectingDownstream): number[] {
  return ds.accepted.map((r) => (JSON.parse(Buffer.from(r.payload).toString()) as { seq: number }).seq);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Appends lines through one descriptor, yielding now and then so the source reads concurrently. */
class Writer {
  seq = 0;
  constructor(public fh: FileHandle) {}
  async write(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await this.fh.write(line(this.seq++));
      if (i % 25 === 0) await sleep(2);
    }
  }
}

describe('file source: tailing', () => {
  it('keeps a partial last line until its newline arrives', async () => {
    const dir = await tempDir();
    const log = join(dir, 'a.log');
    await writeFile(log, `${line(0)}{"d":"x","se`);
    const ds = new CollectingDownstream();
    const src = fileSource(dir);
    await src.start(ds);
    await waitUntil(() => ds.accepted.length === 1, 'first line');
    await sleep(150);
    assert.equal(ds.accepted.length, 1, 'a partial line was delivered');
    await appendFile(log, 'q":1}\n');
    await waitUntil(() => ds.accepted.length === 2, 'completed line');
    assert.equal(ds.texts()[1], '{"d":"x","seq":1}');
    assert.equal(ds.accepted[1]?.deviceId, 'x');
    await src.stop();
  });

  it('discovers new files and starts at the end of existing ones with startAt end', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'old.log'), line(100) + line(101));
    const ds = new CollectingDownstream();
    const src = fileSource(dir, { startAt: 'end' });
    await src.start(ds);
    await appendFile(join(dir, 'old.log'), line(0));
    await writeFile(join(dir, 'new.log'), line(1) + line(2));
    await waitUntil(() => ds.accepted.length === 3, '3 new lines');
    assert.deepEqual(seqs(ds).sort(), [0, 1, 2]);
    await src.stop();
  });

  it('re-reads a batch whose accept failed (nothing lost, nothing twice)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.log'), range(20).map(line).join(''));
    const ds = new CollectingDownstream();
    const { ShardwiseError } = await import('../../agent/core/errors.ts');
    ds.failNext = new ShardwiseError('E_PRODUCER_CLOSED', 'spool closed for a moment', { retryable: true });
    const src = fileSource(dir, { batchMaxRecords: 8 });
    await src.start(ds);
    await waitUntil(() => ds.accepted.length === 20, '20 lines');
    assert.deepEqual(seqs(ds), range(20));
    await src.stop();
  });
});

describe('file source: rotation', () => {
  for (const glob of ['*.log', 'app.log*']) {
    it(`rename+create while appending delivers every line once, in order (glob ${glob})`, async () => {
      const dir = await tempDir();
      const log = join(dir, 'app.log');
      const ds = new CollectingDownstream();
      const src = fileSource(dir, { paths: [join(dir, glob)], batchMaxRecords: 50 });
      await src.start(ds);
      const w = new Writer(await open(log, 'a'));
      await w.write(300);
      for (let r = 1; r <= 3; r++) {
        // A file must live under a watched name for one poll to be seen (documented): real rotations
        // are minutes apart; here we wait until the source has the current file open.
        await waitUntil(() => tracked(dir, log), `${log} opened by the source`);
        await rename(log, `${log}.${r}`); // rotate: the writer still holds the old file
        await w.write(40); // late lines land in the renamed file
        await w.fh.close();
        w.fh = await open(log, 'a'); // create the new file under the old name
        await w.write(200);
      }
      await w.fh.close();
      await waitUntil(() => ds.accepted.length >= w.seq, `${w.seq} lines`);
      await sleep(300);
      assert.deepEqual(seqs(ds), range(w.seq));
      assert.equal(ds.rejected.length, 0);
      await src.stop();
    });
  }

  it('copytruncate while appending (pausing around the truncate) delivers every line once', async () => {
    // copytruncate itself loses lines written between its copy and its truncate; the writer
    // pauses there, so this test checks everything except that inherent window.
    const dir = await tempDir();
    const log = join(dir, 'app.log');
    const ds = new CollectingDownstream();
    const src = fileSource(dir, { batchMaxRecords: 50 });
    await src.start(ds);
    const w = new Writer(await open(log, 'a')); // O_APPEND: after a truncate, writes go to the new end
    await w.write(300);
    for (let r = 1; r <= 2; r++) {
      await waitUntil(() => ds.accepted.length === w.seq, 'all lines before the copy');
      await copyFile(log, `${log}.${r}`);
      await truncate(log, 0);
      await waitUntil(async () => Object.values((await checkpoint(dir))?.files ?? {}).some((e) => e.offset === 0), 'truncation seen');
      await w.write(250);
    }
    await w.fh.close();
    await waitUntil(() => ds.accepted.length >= w.seq, `${w.seq} lines`);
    await sleep(200);
    assert.deepEqual(seqs(ds), range(w.seq));
    await src.stop();
  });
});

describe('file source: checkpoint and restart', () => {
  it('resumes exactly where the stopped instance left off (no loss, no duplicate)', async () => {
    const dir = await tempDir();
    const log = join(dir, 'a.log');
    await writeFile(log, range(1000).map(line).join(''));
    const ds1 = new CollectingDownstream();
    ds1.holdAfterCalls = 3;
    const a = fileSource(dir, { batchMaxRecords: 100, checkpointIntervalMs: 60_000 });
    await a.start(ds1);
    await waitUntil(() => ds1.accepted.length === 300 && ds1.pendingCalls === 1, '300 lines and a 4th batch in flight');
    const stopping = a.stop();
    ds1.release();
    await stopping;
    const first = seqs(ds1);
    assert.equal(first.length, 400, 'stop() let the batch in flight finish, and read no further');
    await appendFile(log, range(500).map((i) => line(1000 + i)).join('') + '{"d":"z","seq":15');
    await appendFile(log, '00}\n');
    const ds2 = new CollectingDownstream();
    const b = fileSource(dir, { batchMaxRecords: 100 });
    await b.start(ds2);
    await waitUntil(() => first.length + ds2.accepted.length >= 1501, 'all lines after restart');
    await sleep(100);
    assert.deepEqual([...first, ...seqs(ds2)], range(1501));
    await b.stop();
  });

  it('after a rotation while stopped, reads the rest of the renamed file, then the new one', async () => {
    const dir = await tempDir();
    const log = join(dir, 'app.log');
    await writeFile(log, range(100).map(line).join(''));
    const ds1 = new CollectingDownstream();
    const a = fileSource(dir);
    await a.start(ds1);
    await waitUntil(() => ds1.accepted.length === 100, '100 lines');
    await a.stop();
    await appendFile(log, range(50).map((i) => line(100 + i)).join(''));
    await rename(log, `${log}.1`); // does not match *.log
    await writeFile(log, range(30).map((i) => line(150 + i)).join(''));
    const ds2 = new CollectingDownstream();
    const b = fileSource(dir);
    await b.start(ds2);
    await waitUntil(() => ds2.accepted.length >= 80, '80 lines after restart');
    await sleep(100);
    await b.stop();
    assert.deepEqual([...seqs(ds1), ...seqs(ds2)], range(180));
  });

  it('refuses to start on an unreadable checkpoint file (E_CHECKPOINT) instead of guessing', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state', 'checkpoint.json'), '{"version":1,"files":');
    const src = fileSource(dir);
    await assert.rejects(src.start(new CollectingDownstream()), (e: unknown) => (e as { code?: string }).code === 'E_CHECKPOINT');
    await src.stop();
    assert.equal(src.health().up, false);
  });

  it('keeps a checkpoint entry per (dev, inode) at the committed offset', async () => {
    const dir = await tempDir();
    const log = join(dir, 'a.log');
    const content = range(10).map(line).join('');
    await writeFile(log, content + '{"d":"partial"');
    const ds = new CollectingDownstream();
    const src = fileSource(dir);
    await src.start(ds);
    await waitUntil(() => ds.accepted.length === 10, '10 lines');
    await src.stop();
    const cp = await checkpoint(dir);
    const entries = Object.entries(cp?.files ?? {});
    assert.equal(entries.length, 1);
    assert.match(entries[0]?.[0] ?? '', /^\d+:\d+$/);
    assert.equal(entries[0]?.[1].offset, Buffer.byteLength(content), 'offset must stop before the partial line');
  });
});

sourceContract(
  'file',
  async () => {
    const dir = await tempDir();
    const log = join(dir, 'c.log');
    await writeFile(log, '');
    const source = fileSource(dir);
    let n = 0;
    return {
      source,
      produce: async (k: number) => {
        let s = '';
        for (let i = 0; i < k; i++) s += line(n++);
        await appendFile(log, s);
      },
      acknowledged: async () => {
        const entry = Object.values((await checkpoint(dir))?.files ?? {})[0];
        if (entry === undefined) return 0;
        const bytes = (await readFile(log)).subarray(0, entry.offset);
        let lines = 0;
        for (const b of bytes) if (b === 0x0a) lines++;
        return lines;
      },
      dispose: async () => undefined,
    };
  },
  { quietMs: 200 },
);
