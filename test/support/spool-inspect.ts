/**
 * What an agent restarted on this spool directory would replay, found without touching it: the
 * directory is copied and the spool's own recovery runs on the copy (truncating torn tails there,
 * not in the original). `records` = every record on disk at or above the persisted low-water mark:
 * after a crash, all of them are sent (again, for those Kinesis had already accepted).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeSpoolFs } from '../../agent/spool/fs-ops.ts';
import { recoverSpool } from '../../agent/spool/recovery.ts';
import type { RecoveryReport } from '../../agent/spool/spool.ts';

export async function inspectSpoolCopy(dir: string): Promise<RecoveryReport> {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'shardwise-spool-copy-'));
  try {
    if (existsSync(dir)) cpSync(dir, copy, { recursive: true });
    const rec = await recoverSpool({ fs: nodeSpoolFs, dir: copy, verify: 'full', sync: false, onIoError: () => undefined });
    return rec.report;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
