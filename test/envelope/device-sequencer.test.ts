import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeviceSequencer, EPOCH_FACTOR } from '../../agent/envelope/device-sequencer.ts';
import { MAX_COUNTER } from '../../agent/envelope/seq-state-file.ts';

let dir: string;
let n = 0;
const fresh = (): string => join(dir, `case-${++n}`, 'envelope-seq.json');

async function open(stateFile: string): Promise<DeviceSequencer> {
  const s = new DeviceSequencer({ stateFile, checkpointIntervalMs: 3_600_000 });
  await s.start();
  return s;
}

function draw(s: DeviceSequencer, devices: readonly string[], count: number, into: Map<string, number[]>): void {
  for (let i = 0; i < count; i++) {
    const id = devices[i % devices.length] as string;
    const list = into.get(id) ?? [];
    list.push(s.nextFor(id));
    into.set(id, list);
  }
}

function assertStrictlyIncreasing(all: Map<string, number[]>): void {
  for (const [id, list] of all) {
    for (let i = 1; i < list.length; i++) assert.ok((list[i] as number) > (list[i - 1] as number), `device ${id}: ${list[i - 1]} then ${list[i]}`);
    assert.ok(list.every((v) => Number.isSafeInteger(v)));
  }
}

describe('device sequencer', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shardwise-seq-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('continues counters exactly after a clean stop, under the next epoch', async () => {
    const file = fresh();
    const all = new Map<string, number[]>();
    const a = await open(file);
    assert.equal(a.epoch, 1);
    draw(a, ['d1', 'd2'], 10, all);
    await a.stop();
    const b = await open(file);
    assert.equal(b.epoch, 2);
    draw(b, ['d1', 'd2', 'd3'], 9, all);
    await b.stop();
    assertStrictlyIncreasing(all);
    assert.deepEqual(all.get('d1')?.map((v) => v % EPOCH_FACTOR), [1, 2, 3, 4, 5, 6, 7, 8], 'counter part has no gap across a clean restart');
    assert.equal(all.get('d3')?.[0], 2 * EPOCH_FACTOR + 1);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('never repeats a number after a crash (no final checkpoint), even with stale counters', async () => {
    const file = fresh();
    const all = new Map<string, number[]>();
    const a = await open(file);
    draw(a, ['d1'], 5, all);
    await a.checkpoint();
    draw(a, ['d1'], 5, all); // not checkpointed: lost in the "crash"
    // Crash: a is abandoned without stop().
    const b = await open(file);
    assert.equal(b.epoch, a.epoch + 1);
    draw(b, ['d1'], 5, all);
    const seen = all.get('d1') ?? [];
    assert.equal(new Set(seen).size, seen.length, 'no repeats');
    assertStrictlyIncreasing(all);
    assert.equal((seen[10] as number) % EPOCH_FACTOR, 6, 'counter resumed from the checkpoint (stepped back), epoch went up');
    await b.stop();
    await a.stop();
  });

  it('survives many crash-restarts without ever repeating', async () => {
    const file = fresh();
    const all = new Map<string, number[]>();
    for (let run = 0; run < 8; run++) {
      const s = await open(file);
      draw(s, ['x', 'y', 'z'], 7 + run, all);
      if (run % 3 === 0) await s.stop();
      else if (run % 3 === 1) await s.checkpoint();
      // else: crash without any checkpoint
    }
    assertStrictlyIncreasing(all);
  });

  it('resumes from .prev when the current file is corrupt, with a higher epoch', async () => {
    const file = fresh();
    const a = await open(file); // epoch 1 written
    a.nextFor('d');
    await a.stop(); // checkpoint: .prev = epoch 1 (start), current = epoch 1 + counters
    await writeFile(file, '{"version":1,"epo'); // torn by the medium
    const b = await open(file);
    assert.equal(b.epoch, 3, '.prev epoch 1 + 1 (the lost current could have had 2) + 1');
    assert.ok(b.nextFor('d') > EPOCH_FACTOR * 2);
    await b.stop();
    assert.ok((await readdir(join(file, '..'))).includes('envelope-seq.json.corrupt'));
  });

  it('refuses to start (E_SEQ_STATE) when both state files are unreadable', async () => {
    const file = fresh();
    const a = await open(file);
    await a.stop();
    await writeFile(file, 'garbage');
    await writeFile(`${file}.prev`, 'garbage');
    await assert.rejects(open(file), { code: 'E_SEQ_STATE' });
  });

  it('fails start (E_SEQ_STATE) when the epoch cannot be persisted', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'x');
    await assert.rejects(open(join(blocker, 'seq.json')), { code: 'E_SEQ_STATE' });
  });

  it('starts a new epoch at once when a device counter wraps', async () => {
    const file = fresh();
    await import('node:fs/promises').then((fs) => fs.mkdir(join(file, '..'), { recursive: true }));
    await writeFile(file, JSON.stringify({ version: 1, epoch: 4, devices: { hot: MAX_COUNTER - 1, calm: 7 } }));
    const s = await open(file);
    assert.equal(s.epoch, 5);
    const a = s.nextFor('hot');
    assert.equal(a, 5 * EPOCH_FACTOR + MAX_COUNTER);
    const b = s.nextFor('hot');
    assert.equal(s.epoch, 6);
    assert.equal(b, 6 * EPOCH_FACTOR + 1);
    assert.ok(b > a);
    assert.equal(s.nextFor('calm'), 6 * EPOCH_FACTOR + 8, 'other devices continue under the new epoch');
    const persisted = JSON.parse(await readFile(file, 'utf8')) as { epoch: number };
    assert.equal(persisted.epoch, 6, 'the new epoch was made durable before use');
    await s.stop();
  });

  it('writes a checkpoint only when something changed', async () => {
    const file = fresh();
    const s = await open(file);
    await s.checkpoint();
    assert.equal(s.checkpoints, 0);
    s.nextFor('d');
    await s.checkpoint();
    await s.checkpoint();
    assert.equal(s.checkpoints, 1);
    await s.stop();
    const state = JSON.parse(await readFile(file, 'utf8')) as { devices: Record<string, number> };
    assert.deepEqual(state.devices, { d: 1 });
  });
});
