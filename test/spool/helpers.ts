/** Shared helpers for the spool tests: entries, temp directories, polling, draining. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSpool } from '../../agent/spool/file-spool.ts';
import type { SpoolDeps } from '../../agent/spool/file-spool.ts';
import { resolveSpoolOptions } from '../../agent/spool/spool-config.ts';
import type { SpoolOptions } from '../../agent/spool/spool-config.ts';
import type { Spool, SpoolEntry, SpoolItem } from '../../agent/spool/spool.ts';

/** Entries with varied keys: every 3rd has an explicit hash key, every 4th a deviceId ≠ partitionKey. */
export function makeEntries(n: number, from = 0, dataBytes = 24): SpoolEntry[] {
  const out: SpoolEntry[] = [];
  for (let i = from; i < from + n; i++) {
    const data = Buffer.alloc(dataBytes, i & 0xff);
    data.write(`#${i}#`, 0, 'latin1');
    const pk = i % 5 === 0 ? `gerät-ü-${i % 13}` : `device-${i % 13}`;
    out.push({
      partitionKey: pk,
      explicitHashKey: i % 3 === 0 ? `${BigInt(i) * 1_000_000_007n}` : undefined,
      data,
      deviceId: i % 4 === 0 ? `dev/${i % 13}` : pk,
      ingestTime: 1_700_000_000_000 + i,
    });
  }
  return out;
}

/** The number written at the start of an entry's data by makeEntries. */
export function seqOf(e: SpoolEntry): number {
  const s = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1');
  const m = /^#(\d+)#/.exec(s);
  if (m === null) throw new Error(`entry data without sequence: ${s.slice(0, 20)}`);
  return Number(m[1]);
}

export async function tempDir(prefix = 'spool-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Polls a condition on the event loop (no timing assertion; the test's timeout bounds it). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Reads until nothing more is ready (waiting for in-progress writes), optionally acking. */
export async function drain(s: Spool, ack: boolean, batch = 1000): Promise<SpoolItem[]> {
  const out: SpoolItem[] = [];
  let idle = 0;
  for (;;) {
    const got = await s.read(batch);
    if (got.length === 0) {
      const st = s.stats();
      if ((st.records - st.inFlight <= 0 && st.blockedAppends === 0) || ++idle > 500) break;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    idle = 0;
    for (const it of got) {
      out.push(it);
      if (ack) s.ack(it.id);
    }
  }
  return out;
}

/** Whether a promise has settled, checked after the current turn of the event loop. */
export function track<T>(p: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise: p };
  p.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

/** A file spool with small segments and a short cursor interval, for tests. */
export function testFileSpool(dir: string, o: Partial<SpoolOptions> = {}, deps: SpoolDeps = {}): FileSpool {
  return new FileSpool(resolveSpoolOptions({ mode: 'always', dir, segmentBytes: 4096, maxBytes: 64 * 1024 * 1024, fsync: 'batch', cursorIntervalMs: 20, onFull: 'block', ...o }), deps);
}

/** Segment file names in a spool directory, sorted. */
export async function segmentFiles(dir: string, suffix = '.seg'): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(suffix)).sort();
}
