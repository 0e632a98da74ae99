/**
 * A damaged spool through the whole agent: records spooled while Kinesis is unreachable, the agent
 * stopped, then bytes flipped in one segment and another segment truncated (bit rot, a torn
 * copy). The next start quarantines the damaged segment, cuts the torn one, counts exactly what
 * was lost, and delivers every intact record exactly once.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { freePort } from '../../bench/emulators/free-port.ts';
import { codecV2, frameKeyMode } from '../../agent/spool/record-codec.ts';
import { agentConfig, startAgent, tempStateDir, useTestBed } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS, readAll } from '../support/kinesis-fixture.ts';
import { parsePrometheus, valueOf } from '../metrics/prom-parser.ts';
import { waitFor } from '../spool/helpers.ts';

const N = 2000;
const PAD = 'y'.repeat(170);

/** Frame offsets of a segment file (after its 32-byte header), then the end, and the message number in each frame. */
function frames(file: Buffer): { offs: number[]; msg: number[] } {
  const offs: number[] = [];
  const msg: number[] = [];
  for (let p = 32; p < file.length; p += codecV2.declared(file, p, file.length)) {
    assert.ok(codecV2.check(file, p, file.length) > 0, 'an intact segment before the damage');
    offs.push(p);
    msg.push(Number(/"i":(\d+)/.exec(file.toString('latin1', p, p + codecV2.declared(file, p, file.length)))?.[1]));
  }
  offs.push(file.length);
  return { offs, msg };
}

describe('a damaged spool through the agent', { timeout: 180_000 }, () => {
  const bed = useTestBed([{ name: 'corrupt', shards: 2 }]);

  it('quarantines the segment with flipped bytes, cuts the truncated one, counts the loss, delivers every intact record once', async (t) => {
    const state = tempStateDir();
    const spoolDir = path.join(state.dir, 'spool');
    const metricsPort = await freePort();
    const config = (endpoint: string) =>
      agentConfig({
        gatewayId: 'gw',
        stateDir: state.dir,
        sources: [{ type: 'mqtt', name: 'm', url: bed.broker.url, clientId: 'corrupt', topics: [{ filter: 'cor/+/t', qos: 1 }], deviceId: { fromTopic: 'cor/{device}/t' } }],
        sink: { type: 'kinesis', stream: 'corrupt', region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' },
        spool: { mode: 'always', segmentBytes: '64KiB' },
        metrics: { enabled: true, port: metricsPort, summaryInterval: 0 },
        lifecycle: { shutdownTimeout: '2s' },
      });
    try {
      // 1. Kinesis unreachable: everything stays in the spool.
      const offline = await startAgent(config(`http://127.0.0.1:${await freePort()}`));
      const pub = await mqtt.connectAsync(bed.broker.url, { clientId: 'corrupt-pub' });
      await Promise.all(Array.from({ length: N }, (_, i) => pub.publishAsync(`cor/d${i % 20}/t`, JSON.stringify({ i, pad: PAD }), { qos: 1 })));
      await pub.endAsync();
      const source = offline.agent.sources[0] as unknown as { stats(): { acksSent: number } };
      await waitFor(() => source.stats().acksSent === N, 'every message spooled and acknowledged', 60_000);
      await offline.stop();

      // 2. Damage: flip a byte in two records of the 2nd segment, truncate the 4th in the middle of a record.
      const segs = (await readdir(spoolDir)).filter((n) => n.endsWith('.seg')).sort();
      assert.ok(segs.length >= 5, `several segments: ${segs.length}`);
      const lost = new Set<number>();
      const flipped = path.join(spoolDir, segs[1]!);
      const f1 = await readFile(flipped);
      const a = frames(f1);
      // records that refer to their keys' definition: damage to them loses them alone
      const victims = [5, 40].map((from) => {
        let k = from;
        while (frameKeyMode(f1, a.offs[k]!) !== 'ref') k++;
        return k;
      });
      for (const k of victims) {
        f1[a.offs[k + 1]! - 4]! ^= 0x21;
        lost.add(a.msg[k]!);
      }
      await writeFile(flipped, f1);
      const cut = path.join(spoolDir, segs[3]!);
      const b = frames(await readFile(cut));
      const m = Math.floor(b.msg.length / 2);
      await truncate(cut, b.offs[m]! + 10);
      for (const q of b.msg.slice(m)) lost.add(q);

      // 3. Restart with Kinesis reachable.
      const online = await startAgent(config(bed.kinesis.endpoint));
      try {
        await waitFor(() => online.agent.spool.stats().records === 0 && online.agent.producer.pendingRecords === 0, 'the spool drained', 90_000);
        const records = (await readAll(bed.reader, 'corrupt')).records;
        const seen = records.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i);
        const expected = Array.from({ length: N }, (_, i) => i).filter((i) => !lost.has(i));
        assert.equal(seen.length, expected.length, 'no record twice');
        assert.deepEqual([...seen].sort((x, y) => x - y), expected, 'every intact record delivered');

        const files = await readdir(spoolDir);
        assert.ok(files.includes(`${segs[1]}.corrupt`), `the damaged segment kept as evidence: ${files.join(', ')}`);
        const st = online.agent.spool.stats();
        assert.equal(st.quarantinedSegments, 1);
        assert.equal(st.drops.corrupt, lost.size, 'what was skipped is counted');
        const fams = parsePrometheus(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
        assert.equal(valueOf(fams, 'shardwise_spool_dropped_total', { reason: 'corrupt' }), lost.size);
        t.diagnostic(`lost ${lost.size} of ${N} (2 flipped, ${b.msg.length - m} truncated), delivered ${seen.length} once each`);
      } finally {
        await online.stop();
      }
    } finally {
      state.cleanup();
    }
  });
});
