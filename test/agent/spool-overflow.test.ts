/**
 * A full spool through the whole agent: MQTT QoS 1 in, Kinesis (kinesalite behind the fault proxy)
 * unreachable, spool.maxBytes 1 MiB (about 5,200 records of these), 7,000 messages. For each onFull
 * policy the documented behaviour, then the uplink comes back and what the spool kept is delivered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { freePort } from '../../bench/emulators/free-port.ts';
import type { RunningAgent } from '../support/agent-fixture.ts';
import { agentConfig, startAgent, tempStateDir, useTestBed } from '../support/agent-fixture.ts';
import { forwardAll } from '../support/fault-deciders.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { LOCAL_CREDENTIALS, readAll } from '../support/kinesis-fixture.ts';
import { parsePrometheus, valueOf } from '../metrics/prom-parser.ts';
import { waitFor } from '../spool/helpers.ts';

const N = 7000;
const PAD = 'x'.repeat(170);
/** The shipper hands the producer at most this many records while the sink is down (its readBatch). */
const PROBE = 500;

type Policy = 'block' | 'drop-oldest' | 'drop-newest';

describe('spool overflow through the agent (1 MiB spool, Kinesis unreachable)', { timeout: 240_000 }, () => {
  const bed = useTestBed([
    { name: 'ovf-block', shards: 2 },
    { name: 'ovf-drop-oldest', shards: 2 },
    { name: 'ovf-drop-newest', shards: 2 },
  ]);
  let proxy: FaultProxy;
  before(async () => {
    proxy = await startFaultProxy({ upstream: bed.kinesis.endpoint, decideOps: ['PutRecords', 'ListShards'] });
  });
  after(async () => proxy?.stop());

  /** Starts an agent for `policy` with the uplink down (every Kinesis call answered 503). */
  async function start(policy: Policy, stateDir: string): Promise<{ agent: RunningAgent; metricsPort: number }> {
    proxy.setDecider(() => ({ kind: 'http-503' }));
    const metricsPort = await freePort();
    const agent = await startAgent(
      agentConfig({
        gatewayId: 'gw',
        stateDir,
        sources: [{ type: 'mqtt', name: 'm', url: bed.broker.url, clientId: `ovf-${policy}`, topics: [{ filter: `ovf/${policy}/+/t`, qos: 1 }], deviceId: { fromTopic: `ovf/${policy}/{device}/t` } }],
        sink: { type: 'kinesis', stream: `ovf-${policy}`, region: 'us-east-1', endpoint: proxy.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms', retry: { baseMs: 20, maxMs: '200ms' } },
        spool: { mode: 'always', maxBytes: '1MiB', segmentBytes: '64KiB', onFull: policy },
        metrics: { enabled: true, port: metricsPort, summaryInterval: 0 },
        lifecycle: { shutdownTimeout: '4s' },
      }),
    );
    return { agent, metricsPort };
  }

  /** Publishes N QoS 1 messages, many in flight (the broker acknowledges them; the agent acknowledges the broker). */
  async function publishAll(policy: Policy): Promise<void> {
    const pub = await mqtt.connectAsync(bed.broker.url, { clientId: `ovf-pub-${policy}` });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) sends.push(pub.publishAsync(`ovf/${policy}/d${i % 20}/t`, JSON.stringify({ i, pad: PAD }), { qos: 1 }));
    await Promise.all(sends);
    await pub.endAsync();
  }

  /** PUBACKs the agent's MQTT source has written to the broker. */
  const acksSent = (a: RunningAgent): number => (a.agent.sources[0] as unknown as { stats(): { acksSent: number } }).stats().acksSent;

  async function dropped(port: number, reason: string): Promise<number> {
    const fams = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    // a reason is exposed once it has a count
    return fams.get('shardwise_spool_dropped_total')?.samples.some((x) => x.labels['reason'] === reason) ? valueOf(fams, 'shardwise_spool_dropped_total', { reason }) : 0;
  }

  /** Lets Kinesis through again and waits until the agent holds nothing; returns the message numbers in the stream. */
  async function recoverAndRead(a: RunningAgent, stream: string): Promise<number[]> {
    proxy.setDecider(forwardAll);
    await waitFor(() => acksSent(a) === N, 'every message acknowledged', 60_000);
    await waitFor(() => a.agent.spool.stats().records === 0 && a.agent.producer.pendingRecords === 0, 'the spool drained', 90_000);
    return (await readAll(bed.reader, stream)).records.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i);
  }

  it('block: the agent stops acknowledging MQTT while the spool is full, and loses nothing once Kinesis is back', async (t) => {
    const state = tempStateDir();
    const { agent } = await start('block', state.dir);
    try {
      const publishing = publishAll('block');
      const full = (): boolean => {
        const st = agent.agent.spool.stats();
        return st.blockedAppends > 0 && st.bytes > 1024 * 1024 - 4096;
      };
      await waitFor(full, 'the spool is full and blocks', 60_000);
      await publishing;
      // PUBACKs for the last batches the spool stored may still be on their way (group fsync).
      await new Promise((r) => setTimeout(r, 500));
      const held = acksSent(agent);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(acksSent(agent), held, 'no PUBACK while the spool stays full');
      assert.ok(held <= agent.agent.spool.stats().appendedRecords, 'every PUBACKed message is in the spool');
      assert.ok(held < N, `only ${held} of ${N} acknowledged`);
      t.diagnostic(`block: ${held} of ${N} messages acknowledged while the spool was full`);
      const st = agent.agent.spool.stats();
      assert.ok(st.bytes > 900 * 1024 && st.bytes <= 1024 * 1024, `spool at its cap: ${st.bytes} bytes`);
      assert.equal(Object.values(st.drops).reduce((a, b) => a + b, 0), 0, 'nothing dropped');

      const seen = await recoverAndRead(agent, 'ovf-block');
      assert.equal(new Set(seen).size, N, 'every message delivered');
      assert.equal(seen.length, N, 'none twice');
    } finally {
      await agent.stop();
      state.cleanup();
    }
  });

  it('drop-newest: once full, the newest messages are refused and counted; exactly the older ones are delivered', async (t) => {
    const state = tempStateDir();
    const { agent, metricsPort } = await start('drop-newest', state.dir);
    try {
      await publishAll('drop-newest');
      await waitFor(() => acksSent(agent) === N, 'every message handled (stored or dropped) and acknowledged', 60_000);
      const drops = await dropped(metricsPort, 'full-drop-newest');
      const kept = agent.agent.spool.stats().records;
      assert.ok(drops > 0 && kept > 0, `dropped ${drops}, kept ${kept}`);
      assert.equal(kept + drops, N);
      t.diagnostic(`drop-newest: kept ${kept}, dropped ${drops}`);
      const seen = await recoverAndRead(agent, 'ovf-drop-newest');
      assert.equal(seen.length, kept, 'each kept message once');
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: kept }, (_, i) => i), 'the oldest ones, contiguous from the first');
      assert.equal(await dropped(metricsPort, 'full-drop-oldest'), 0);
    } finally {
      await agent.stop();
      state.cleanup();
    }
  });

  it('drop-oldest: once full, the oldest messages are dropped whole segments at a time and counted; the newest are all delivered', async (t) => {
    const state = tempStateDir();
    const { agent, metricsPort } = await start('drop-oldest', state.dir);
    try {
      await publishAll('drop-oldest');
      await waitFor(() => acksSent(agent) === N, 'every message stored and acknowledged', 60_000);
      const drops = await dropped(metricsPort, 'full-drop-oldest');
      assert.ok(drops > 0, 'records were dropped');
      const seen = await recoverAndRead(agent, 'ovf-drop-oldest');
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      const got = new Set(seen);
      const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !got.has(i));
      assert.ok(missing.length > 0);
      // What is missing is one run of old messages: before it only what the producer already held when its segment
      // was dropped (at most PROBE, counted as dropped and still delivered), after it everything up to the newest.
      const first = missing[0]!;
      const last = missing[missing.length - 1]!;
      assert.equal(missing.length, last - first + 1, `one contiguous run: ${first}…${last}`);
      assert.ok(first <= PROBE, `delivered before the dropped run: ${first}`);
      assert.ok(got.has(N - 1) && last < N - 1, 'the newest are kept');
      assert.ok(drops >= missing.length && drops <= missing.length + first, `counted ${drops} for ${missing.length} missing`);
      t.diagnostic(`drop-oldest: missing ${first}…${last} (${missing.length}), counted ${drops}, delivered ${seen.length}`);
      assert.equal(await dropped(metricsPort, 'full-drop-newest'), 0);
    } finally {
      await agent.stop();
      state.cleanup();
    }
  });
});
