/**
 * File rotation end to end: the agent tails a file while a writer appends steadily and rotates it
 * both ways (rename + create, with a few lines still written to the old descriptor after the
 * rename; copytruncate) several times, and the agent is restarted mid-run (checkpoints), with one
 * rename rotation happening while it is down. Afterwards the stream holds every line exactly once
 * and, per device, in the order written.
 *
 * copytruncate can only be lossless for lines the agent read before the truncate (lines written
 * between the tailer's last read and the truncate exist only in the copy, which no glob matches):
 * the writer therefore waits, before each copytruncate, until what it wrote is in the stream, and
 * right after the truncate writes a burst larger than the old file (so the truncation must be
 * recognised by the file's first bytes, not by its size).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { copyFile, open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { agentConfig, startAgent, tempStateDir, useTestBed, waitForRecords } from '../support/agent-fixture.ts';
import type { RunningAgent } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS } from '../support/kinesis-fixture.ts';

const DEVICES = 5;
const ROUNDS = 8;
const LINES_PER_ROUND = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Line {
  d: string;
  n: number;
  i: number;
}

/** Appends lines through one O_APPEND descriptor, a burst at a time, yielding between bursts. */
class Writer {
  written = 0;
  private readonly perDevice = new Array<number>(DEVICES).fill(0);
  constructor(public fh: FileHandle) {}

  async lines(count: number, burst = 25): Promise<void> {
    for (let done = 0; done < count; ) {
      let text = '';
      const n = Math.min(burst, count - done);
      for (let k = 0; k < n; k++) {
        const dev = this.written % DEVICES;
        const seq = this.perDevice[dev] ?? 0;
        this.perDevice[dev] = seq + 1;
        text += `${JSON.stringify({ d: `d${dev}`, n: seq, i: this.written++, pad: 'x'.repeat(40) })}\n`;
      }
      await this.fh.write(text);
      done += n;
      await sleep(3);
    }
  }
}

describe('file rotation through the whole agent (real kinesalite)', () => {
  const bed = useTestBed([{ name: 'rot', shards: 2 }]);

  it('rename+create and copytruncate, several times, plus a restart: every line once, in order per device', async () => {
    const state = tempStateDir();
    const agents: RunningAgent[] = [];
    try {
      const dir = path.join(state.dir, 'logs');
      const log = path.join(dir, 'app.log');
      mkdirSync(dir);
      const config = agentConfig({
        gatewayId: 'gw',
        stateDir: state.dir,
        sources: [{ type: 'file', name: 'app', paths: [log], format: 'jsonl', deviceId: { fromField: 'd' }, pollInterval: '20ms', checkpointInterval: '100ms' }],
        keying: { strategy: 'device' },
        sink: { type: 'kinesis', stream: 'rot', region: 'us-east-1', endpoint: bed.kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' },
        metrics: { enabled: false },
        lifecycle: { shutdownTimeout: '10s' },
      });
      let agent = await startAgent(config);
      agents.push(agent);
      const w = new Writer(await open(log, 'a'));
      const counts = { rename: 0, copytruncate: 0 };

      const renameRotation = async (k: number): Promise<void> => {
        await rename(log, `${log}.${k}`);
        await w.lines(10, 5); // the program has not reopened its log yet: still the old (renamed) file
        await w.fh.close();
        w.fh = await open(log, 'a');
        counts.rename++;
      };

      for (let round = 0; round < ROUNDS; round++) {
        await w.lines(LINES_PER_ROUND);
        if (round === 4) {
          // Restart mid-run: a graceful stop (checkpoints written), a rotation and more lines while
          // the agent is down, then a new agent on the same state directory.
          await agent.stop();
          await w.lines(100);
          await renameRotation(100);
          await w.lines(100);
          agent = await startAgent(config);
          agents.push(agent);
        } else if (round % 2 === 0) {
          await renameRotation(round);
        } else {
          const caughtUp = await waitForRecords(bed.reader, 'rot', w.written, 60_000);
          assert.equal(caughtUp.length, w.written, `round ${round}: the agent read everything before the copytruncate`);
          await copyFile(log, `${log}.${round}`);
          await w.fh.truncate(0);
          counts.copytruncate++;
          await w.lines(2 * LINES_PER_ROUND, 2 * LINES_PER_ROUND); // one write, larger than the old file
        }
      }
      await w.lines(100);
      await w.fh.close();

      const records = await waitForRecords(bed.reader, 'rot', w.written, 60_000);
      await sleep(500); // anything extra (a duplicate) would arrive now
      const all = await waitForRecords(bed.reader, 'rot', w.written, 1);
      assert.ok(counts.rename >= 4 && counts.copytruncate >= 3, JSON.stringify(counts));
      assert.ok(records.length >= w.written);

      const lines = all.map((r) => ({ key: r.partitionKey, line: JSON.parse(Buffer.from(r.data).toString()) as Line }));
      const times = new Map<number, number>();
      for (const l of lines) times.set(l.line.i, (times.get(l.line.i) ?? 0) + 1);
      const twice = [...times].filter(([, c]) => c > 1).map(([i]) => i);
      assert.equal(times.size, w.written, 'every line written is in the stream');
      assert.equal(lines.length, w.written, `and none twice (${twice.length} duplicated, lines ${twice.slice(0, 3).join(', ')} …)`);
      const next = new Map<string, number>();
      for (const { key, line } of lines) {
        assert.equal(key, line.d, 'partition key = device id');
        const want = next.get(line.d) ?? 0;
        assert.equal(line.n, want, `device ${line.d}: expected its line ${want}, got ${line.n} (order kept per device)`);
        next.set(line.d, want + 1);
      }
    } finally {
      for (const a of agents) await a.stop().catch(() => undefined);
      state.cleanup();
    }
  });
});
