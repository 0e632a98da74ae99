/**
 * Draining a backlog: shardwise_spool_drain_eta_seconds (unit, on a manual clock) and, through the
 * whole agent, a backlog that drains under spool.replayShare with the ETA in /status and /metrics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { ManualClock } from '../../agent/core/clock.ts';
import { AgentMetrics, drainEtaSeconds } from '../../agent/metrics/agent-metrics.ts';
import { freePort } from '../../bench/emulators/free-port.ts';
import { agentConfig, startAgent, tempStateDir, useTestBed } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS, readAll } from '../support/kinesis-fixture.ts';
import { parsePrometheus, valueOf } from '../metrics/prom-parser.ts';
import { waitFor } from '../spool/helpers.ts';

describe('shardwise_spool_drain_eta_seconds', () => {
  it('is records held ÷ records/s accepted over the rate window; 0 when empty; +Inf (/status: null) when nothing was accepted', () => {
    const clock = new ManualClock();
    const m = new AgentMetrics({ clock });
    let records = 1000;
    m.bind({ spool: () => ({ records, bytes: records * 220, oldestRecordAgeMs: 5000 }) });
    const eta = (): number => valueOf(parsePrometheus(m.render()), 'shardwise_spool_drain_eta_seconds');
    assert.equal(eta(), Number.POSITIVE_INFINITY, 'unknown: nothing accepted yet');
    assert.equal(m.status().spool?.drainEtaSeconds, null);
    for (let s = 0; s < 10; s++) {
      m.shards.record('shardId-0', 30, 3000);
      m.shards.record('shardId-1', 20, 2000);
      clock.advance(1000);
    }
    assert.equal(eta(), 20, '1000 records at 50 records/s');
    assert.equal(m.status().spool?.drainEtaSeconds, 20);
    records = 0;
    assert.equal(eta(), 0);
    assert.equal(m.status().spool?.drainEtaSeconds, 0);
    records = 10;
    clock.advance(30_000);
    assert.equal(eta(), Number.POSITIVE_INFINITY, 'nothing accepted in the last 10 s: the sink is down');
    assert.equal(drainEtaSeconds(7, 2), 3.5);
  });
});

describe('a backlog drains at spool.replayShare of the stream, through the agent', { timeout: 120_000 }, () => {
  const bed = useTestBed([{ name: 'drain', shards: 2 }]);

  it('paced at 0.25 × 2 shards × 32 KiB/s, in order per device, exactly once, with a finite ETA while draining', async (t) => {
    const N = 500;
    const state = tempStateDir();
    const metricsPort = await freePort();
    const config = (endpoint: string) =>
      agentConfig({
        gatewayId: 'gw',
        stateDir: state.dir,
        sources: [{ type: 'mqtt', name: 'm', url: bed.broker.url, clientId: 'drain', topics: [{ filter: 'drn/+/t', qos: 1 }], deviceId: { fromTopic: 'drn/{device}/t' } }],
        sink: { type: 'kinesis', stream: 'drain', region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms', rateLimit: { bytesPerSec: '32KiB' } },
        spool: { mode: 'always', replayShare: 0.25 },
        metrics: { enabled: true, port: metricsPort, summaryInterval: 0 },
        lifecycle: { shutdownTimeout: '2s' },
      });
    try {
      const offline = await startAgent(config(`http://127.0.0.1:${await freePort()}`));
      const pub = await mqtt.connectAsync(bed.broker.url, { clientId: 'drain-pub' });
      await Promise.all(Array.from({ length: N }, (_, i) => pub.publishAsync(`drn/d${i % 10}/t`, JSON.stringify({ i, pad: 'z'.repeat(180) }), { qos: 1 })));
      await pub.endAsync();
      const source = offline.agent.sources[0] as unknown as { stats(): { acksSent: number } };
      await waitFor(() => source.stats().acksSent === N, 'all spooled', 60_000);
      await offline.stop();
      // Records count as backlog once they waited 2 s: make sure they have.
      await new Promise((r) => setTimeout(r, 2100));

      const online = await startAgent(config(bed.kinesis.endpoint));
      try {
        const status = async () => (await (await fetch(`http://127.0.0.1:${metricsPort}/status`)).json()) as {
          spool: { records: number; drainEtaSeconds: number | null };
          replay: { share: number; shards: number; bytesPerSec: number; recordsPerSec: number | null; backlogRecords: number; waits: number };
        };
        const etas: (number | null)[] = [];
        // poll /status as an operator would, a few times a second, until the backlog is gone
        for (let polls = 0; ; polls++) {
          const st = await status();
          etas.push(st.spool.drainEtaSeconds);
          if (st.spool.records === 0 && online.agent.producer.pendingRecords === 0) break;
          assert.ok(polls < 600, 'the backlog drains');
          await new Promise((r) => setTimeout(r, 150));
        }
        const st = await status();
        assert.deepEqual([st.replay.share, st.replay.shards, st.replay.bytesPerSec, st.replay.recordsPerSec], [0.25, 2, 0.25 * 2 * 32 * 1024, null]);
        assert.equal(st.replay.backlogRecords, N, 'every record was backlog and went through the pacer');
        assert.ok(st.replay.waits > 0, 'the pacer held the backlog back');
        assert.equal(st.spool.drainEtaSeconds, 0, 'drained');
        assert.ok(etas.some((e) => e !== null && e > 0), `a finite ETA while draining: ${etas.join(' ')}`);
        const fams = parsePrometheus(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
        assert.equal(valueOf(fams, 'shardwise_spool_replay_limit_bytes_per_second'), 16_384);
        assert.equal(valueOf(fams, 'shardwise_spool_replay_records_total'), N);
        assert.ok(valueOf(fams, 'shardwise_spool_replay_waits_total') > 0);
        assert.equal(valueOf(fams, 'shardwise_spool_drain_eta_seconds'), 0);

        const records = (await readAll(bed.reader, 'drain')).records;
        const msgs = records.map((r) => ({ key: r.partitionKey, i: (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i }));
        assert.equal(new Set(msgs.map((x) => x.i)).size, N, 'all delivered');
        assert.equal(msgs.length, N, 'once each');
        const last = new Map<string, number>();
        for (const x of msgs) {
          assert.ok((last.get(x.key) ?? -1) < x.i, `device ${x.key}: ${x.i} after ${last.get(x.key)}`);
          last.set(x.key, x.i);
        }
        const finite = etas.filter((e): e is number => e !== null && e > 0);
        t.diagnostic(`${etas.length} polls; ETA while draining from ${finite[0]?.toFixed(1)} s down to ${finite[finite.length - 1]?.toFixed(1)} s; pacer waits ${st.replay.waits}`);
      } finally {
        await online.stop();
      }
    } finally {
      state.cleanup();
    }
  });
});
