/**
 * Spool benchmark: append throughput per fsync policy (group commit), replay throughput,
 * disk bytes per delivered record in spill mode (SD-card wear), RSS with an empty spool vs a
 * large backlog (measured in fresh child processes). Temporary data goes under os.tmpdir()
 * and is deleted. SPOOL_BENCH_BACKLOG_MB (default 1024) sets the backlog of the RSS row: it
 * is written to disk once (fsync=never) and read back.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSpool } from '../../agent/spool/create-spool.ts';
import type { SpoolOptionsInput } from '../../agent/spool/spool-config.ts';
import type { FsyncPolicy, Spool, SpoolEntry } from '../../agent/spool/spool.ts';
import { fmtRate, mdTable, median, runStandalone } from './section.ts';
import type { PerfSection } from './section.ts';

const RECORD_BYTES = 200;
const RUNS = 3;
const APPEND_SECONDS = 1.5;
const CONCURRENCY = 64;
const BATCH = 1000;
const REPLAY_RECORDS = 300_000;
const BACKLOG_MB = Number(process.env.SPOOL_BENCH_BACKLOG_MB ?? 1024);
const createSpoolUrl = new URL('../../agent/spool/create-spool.ts', import.meta.url).href;

function makeBatch(n: number, from: number): SpoolEntry[] {
  const out: SpoolEntry[] = [];
  for (let i = from; i < from + n; i++) {
    const data = Buffer.alloc(RECORD_BYTES, i & 0xff);
    const key = `device-${i % 1000}`;
    out.push({ partitionKey: key, data, deviceId: key, ingestTime: Date.now() });
  }
  return out;
}

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'shardwise-spool-bench-'));
  try {
    return await body(join(root, 'spool'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function openSpool(o: SpoolOptionsInput): Promise<Spool> {
  const s = createSpool({ maxBytes: 8 * 1024 * 1024 * 1024, onFull: 'block', ...o });
  await s.open();
  return s;
}

/** Records/s appended by CONCURRENCY appenders of BATCH records each, mode=always. */
async function appendRun(fsync: FsyncPolicy): Promise<{ rps: number; fsyncs: number }> {
  return withDir(async (dir) => {
    const s = await openSpool({ mode: 'always', dir, fsync });
    const batch = makeBatch(BATCH, 0);
    const end = performance.now() + APPEND_SECONDS * 1000;
    let records = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        await s.append(batch);
        records += BATCH;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const dt = (performance.now() - t0) / 1000;
    const fsyncs = s.stats().fsyncs;
    await s.close();
    return { rps: records / dt, fsyncs: fsyncs / dt };
  });
}

/** Writes `records`, reopens (recovery scan), reads and acks everything: records/s and open time. */
async function replayRun(records: number): Promise<{ rps: number; openMs: number }> {
  return withDir(async (dir) => {
    const w = await openSpool({ mode: 'always', dir, fsync: 'never' });
    for (let i = 0; i < records; i += BATCH) await w.append(makeBatch(BATCH, i));
    await w.close();
    const t0 = performance.now();
    const r = await openSpool({ mode: 'always', dir, fsync: 'interval' });
    const openMs = performance.now() - t0;
    const t1 = performance.now();
    let n = 0;
    while (n < records) {
      const got = await r.read(1000);
      for (const it of got) r.ack(it.id);
      n += got.length;
    }
    const rps = n / ((performance.now() - t1) / 1000);
    await r.close();
    return { rps, openMs };
  });
}

/** Disk bytes per delivered record: sink healthy (reads keep up) vs sink down for the whole run. */
async function wearRun(mode: 'spill' | 'always', healthy: boolean): Promise<number> {
  return withDir(async (dir) => {
    const s = await openSpool({ mode, dir, fsync: 'interval', maxBytes: 1024 * 1024 * 1024 });
    s.setSinkHealthy(healthy);
    const total = 100_000;
    for (let i = 0; i < total; i += 500) {
      await Promise.all([s.append(makeBatch(250, i)), s.append(makeBatch(250, i + 250))]);
      if (healthy) for (const it of await s.read(1000)) s.ack(it.id);
    }
    s.setSinkHealthy(true);
    let delivered = s.stats().ackedRecords;
    while (delivered < total) {
      const got = await s.read(1000);
      for (const it of got) s.ack(it.id);
      delivered += got.length;
      if (got.length === 0) await s.waitForData();
    }
    await s.close();
    return s.stats().diskBytesWritten / total;
  });
}

const CHILD = `
const { createSpool } = await import(process.env.SPOOL_URL);
const s = createSpool({ mode: 'always', dir: process.env.SPOOL_DIR, fsync: 'never', maxBytes: 8 * 1024 ** 3, onFull: 'block' });
const t0 = performance.now();
await s.open();
const openMs = performance.now() - t0;
const afterOpen = process.memoryUsage().rss;
const batch = Array.from({ length: 1000 }, (_, i) => ({ partitionKey: 'device-' + i, deviceId: 'device-' + i, data: Buffer.alloc(200, i), ingestTime: Date.now() }));
let n = 0, peak = afterOpen, at250k = 0, heap250k = 0;
for (;;) {
  let got = await s.read(1000);
  if (got.length === 0 && n < 250000) { await s.append(batch); got = await s.read(1000); }
  if (got.length === 0) break;
  for (const it of got) s.ack(it.id);
  n += got.length;
  if (n % 50000 < 1000) {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    if (at250k === 0 && n >= 250000) {
      at250k = m.rss;
      globalThis.gc();
      heap250k = process.memoryUsage().heapUsed;
    }
  }
}
globalThis.gc();
const heapEnd = process.memoryUsage().heapUsed;
await s.close();
process.stdout.write(JSON.stringify({ openMs, afterOpen, at250k, peak, heap250k, heapEnd, n }));
`;

interface RssResult {
  readonly openMs: number;
  readonly afterOpen: number;
  /** RSS once 250k records went through the spool (replayed backlog, or live when empty). */
  readonly at250k: number;
  readonly peak: number;
  /** Heap still in use after a forced GC, at 250k records and at the end. */
  readonly heap250k: number;
  readonly heapEnd: number;
  readonly n: number;
}

function rssChild(dir: string): Promise<RssResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', CHILD],
      { env: { ...process.env, SPOOL_URL: createSpoolUrl, SPOOL_DIR: dir }, cwd: fileURLToPath(new URL('../..', import.meta.url)), maxBuffer: 1 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as RssResult)),
    );
  });
}

async function rssRun(backlogMb: number): Promise<RssResult> {
  return withDir(async (dir) => {
    const records = Math.floor((backlogMb * 1e6) / (RECORD_BYTES + 44));
    if (records > 0) {
      const w = await openSpool({ mode: 'always', dir, fsync: 'never' });
      const batch = makeBatch(BATCH, 0);
      for (let i = 0; i < records; i += BATCH) await w.append(batch);
      await w.close();
    }
    return rssChild(dir);
  });
}

export async function run(): Promise<PerfSection> {
  const appendRows: (string | number)[][] = [];
  for (const fsync of ['batch', 'interval', 'never'] as const) {
    const runs: { rps: number; fsyncs: number }[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await appendRun(fsync));
    const rps = median(runs.map((x) => x.rps));
    appendRows.push([fsync === 'interval' ? 'interval (100 ms)' : fsync, `${fmtRate(rps)}/s`, ((rps * RECORD_BYTES) / 1e6).toFixed(0), median(runs.map((x) => x.fsyncs)).toFixed(0)]);
  }
  const replays: { rps: number; openMs: number }[] = [];
  for (let r = 0; r < RUNS; r++) replays.push(await replayRun(REPLAY_RECORDS));
  const wear = [
    ['spill, sink healthy', await wearRun('spill', true)],
    ['spill, sink down (backlog)', await wearRun('spill', false)],
    ['always', await wearRun('always', true)],
  ] as const;
  const rss: [string, RssResult][] = [];
  for (const mb of [0, 64, BACKLOG_MB]) rss.push([mb === 0 ? 'empty' : `${mb} MB`, await rssRun(mb)]);
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(0);
  const markdown = [
    `Append: mode always, ${CONCURRENCY} concurrent appenders × ${BATCH} records of ${RECORD_BYTES} bytes (data), ${APPEND_SECONDS} s per run, median of ${RUNS}. MB/s counts record data; an append resolves only once durable per policy.`,
    '',
    mdTable(['fsync', 'records/s', 'MB/s', 'fsyncs/s'], appendRows),
    '',
    `Replay: ${REPLAY_RECORDS.toLocaleString('en')} records written, spool reopened (full CRC scan), read in batches of 1,000 and acknowledged: **${fmtRate(median(replays.map((x) => x.rps)))} records/s**, open() ${median(replays.map((x) => x.openMs)).toFixed(0)} ms (median of ${RUNS}).`,
    '',
    mdTable(['disk bytes written per delivered record (100k records, 200 B)', 'bytes'], wear.map(([k, v]) => [k, v.toFixed(1)])),
    '',
    mdTable(
      ['backlog on disk', 'records through the spool', 'open()', 'RSS after open', 'RSS after 250k records', 'peak RSS', 'heap after GC: 250k / end'],
      rss.map(([label, r]) => [label, r.n.toLocaleString('en'), `${r.openMs.toFixed(0)} ms`, `${mb(r.afterOpen)} MiB`, `${mb(r.at250k)} MiB`, `${mb(r.peak)} MiB`, `${mb(r.heap250k)} / ${mb(r.heapEnd)} MiB`]),
    ),
    '',
    `RSS is measured in a fresh child process per row (an empty spool carries 250k live records instead of a backlog); the last row writes ${BACKLOG_MB} MB to ${tmpdir()} once (SPOOL_BENCH_BACKLOG_MB to change). The spool keeps per-segment metadata and one read-ahead window: the heap that survives a GC stays flat, and what moves the peak RSS is V8 growing its heap during a long replay, not the backlog. fsync=interval throughput is the data in flight divided by the interval, so it needs many appends in flight (here ${((CONCURRENCY * BATCH * RECORD_BYTES) / 1e6).toFixed(1)} MB); measured on a shared 2-core machine (load average ${loadavg()[0]!.toFixed(1)} at the end).`,
  ].join('\n');
  return { title: 'Spool (disk log)', command: 'npx tsx bench/perf/spool.ts', markdown };
}

void runStandalone(import.meta.url, run);
