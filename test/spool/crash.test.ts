/**
 * kill -9 in the middle of appends: every entry whose append resolved is there after a restart
 * (for every fsync policy: the page cache survives a killed process), in order, once each, and
 * acknowledged entries come back at most within the duplicate window.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FsyncPolicy } from '../../agent/spool/spool.ts';
import { drain, removeDir, seqOf, tempDir, testFileSpool } from './helpers.ts';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Runs the child until it reported `atLeast` appended entries, kills it; returns the highest "ok". */
function runAndKill(dir: string, fsync: FsyncPolicy, atLeast: number): Promise<{ ok: number; acked: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, fsync], { stdio: ['ignore', 'pipe', 'pipe'] });
    let ok = 0;
    let acked = 0;
    let buf = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const [k, v] = l.split(' ');
        if (k === 'ok') ok = Number(v);
        if (k === 'acked') acked++;
      }
      if (ok >= atLeast) p.kill('SIGKILL');
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ ok, acked });
      else reject(new Error(`child exited ${code}: ${err.slice(0, 500)}`));
    });
  });
}

describe('kill -9 during appends', () => {
  let root = '';
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(async () => removeDir(root));

  for (const fsync of ['never', 'interval', 'batch'] as const) {
    it(`fsync=${fsync}: nothing acknowledged to the producer is lost`, async () => {
      const dir = join(root, fsync);
      const { ok, acked } = await runAndKill(dir, fsync, 2000);
      assert.ok(ok >= 2000);
      assert.equal(acked, 500, 'the child acknowledged 0..499 as a sink');
      const s = testFileSpool(dir);
      const report = await s.open();
      const seqs = (await drain(s, true)).map(seqOf);
      await s.close();
      const set = new Set(seqs);
      assert.equal(set.size, seqs.length, 'no entry twice');
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'in order');
      for (let q = 500; q < ok; q++) assert.ok(set.has(q), `entry ${q} (append resolved) lost; report ${JSON.stringify(report)}`);
      // At most the one append in progress at the kill may be there without having resolved.
      assert.ok(seqs.every((q) => q < ok + 20), 'nothing that was never appended');
    });
  }
});
