/**
 * Child process for crash.test.ts: appends numbered entries forever, printing "ok <n>" once
 * entries 0..n-1 are acknowledged by the spool (append resolved), and acknowledges (as a sink
 * would) entries below 500, printing "acked <n>". The parent kills it with SIGKILL.
 * One appender awaiting each append: fsync=interval runs with 5 ms so the test stays short.
 */
import { createSpool } from '../../agent/spool/create-spool.ts';
import type { FsyncPolicy } from '../../agent/spool/spool.ts';
import { makeEntries, seqOf } from './helpers.ts';

const [dir, fsync] = process.argv.slice(2) as [string, FsyncPolicy];
const spool = createSpool({ mode: 'always', dir, fsync, fsyncIntervalMs: 5, segmentBytes: 16 * 1024, cursorIntervalMs: 10, maxBytes: 256 * 1024 * 1024 });
await spool.open();
let next = 0;
for (;;) {
  const batch = makeEntries(20, next, 60);
  next += 20;
  await spool.append(batch);
  process.stdout.write(`ok ${next}\n`);
  for (const it of await spool.read(100)) {
    if (seqOf(it) < 500) {
      spool.ack(it.id);
      process.stdout.write(`acked ${seqOf(it)}\n`);
    }
  }
}
