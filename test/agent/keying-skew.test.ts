import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { seededRandom } from '../support/fault-deciders.ts';
import { agentConfig, startAgent, tempStateDir, useTestBed, waitForRecords } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS } from '../support/kinesis-fixture.ts';

const DEVICES = 5000;
const MESSAGES = 40_000;
const SHARDS = 8;

/** A Zipf(s = 1.1) popularity over 5,000 devices, seeded: the device of each message. */
function zipfSequence(): number[] {
  const weights = Array.from({ length: DEVICES }, (_, i) => 1 / (i + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  const rnd = seededRandom(42);
  return Array.from({ length: MESSAGES }, () => {
    const u = rnd();
    let lo = 0;
    let hi = DEVICES - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
}

async function publishAll(url: string, seq: number[]): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `zipf-${Date.now()}`, clean: true });
  const window: Promise<unknown>[] = [];
  for (let i = 0; i < seq.length; i++) {
    window.push(client.publishAsync(`devices/d${seq[i]}/telemetry`, JSON.stringify({ i, v: 1 }), { qos: 1 }));
    if (window.length >= 500) await Promise.all(window.splice(0));
    // Spread the load over a few seconds so the balancer measures rates, as on a gateway.
    if (i % 4000 === 3999) await new Promise((r) => setTimeout(r, 250));
  }
  await Promise.all(window);
  await client.endAsync();
}

function maxOverMean(counts: number[]): number {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return Math.max(...counts) / mean;
}

describe('keying for even shards: Zipf(1.1), 5,000 devices, 8 shards (measured from the ShardIds the server assigned)', () => {
  const bed = useTestBed([{ name: 'balanced', shards: SHARDS }, { name: 'device', shards: SHARDS }]);
  const seq = zipfSequence();
  // No placement that keeps each device on one shard can beat this: the busiest device alone.
  const perDevice = new Array<number>(DEVICES).fill(0);
  for (const d of seq) perDevice[d]!++;
  const bound = Math.max(1, Math.max(...perDevice) / (MESSAGES / SHARDS));

  const results: Record<string, { skew: number; agentSkew: number }> = {};
  for (const strategy of ['balanced', 'device'] as const) {
    it(`${strategy} keying`, async () => {
      const state = tempStateDir();
      try {
        const running = await startAgent(
          agentConfig({
            gatewayId: 'gw',
            stateDir: state.dir,
            sources: [{ type: 'mqtt', name: 'm', url: bed.broker.url, clientId: `skew-${strategy}`, topics: [{ filter: 'devices/+/telemetry', qos: 1 }], deviceId: { fromTopic: 'devices/{device}/telemetry' } }],
            keying: { strategy, balanced: { rebalanceAfter: '1s', loadWindow: '2s' } },
            sink: { type: 'kinesis', stream: strategy, region: 'us-east-1', endpoint: bed.kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '20ms', rateLimit: { enabled: false } },
            spool: { mode: 'memory' },
            metrics: { enabled: false },
          }),
        );
        await publishAll(bed.broker.url, seq);
        const records = await waitForRecords(bed.reader, strategy, MESSAGES, 60_000);
        const agentSkew = running.agent.metrics.status().skew;
        await running.stop();
        assert.equal(records.length, MESSAGES);
        const perShard = new Map<string, number>();
        for (const r of records) perShard.set(r.shardId, (perShard.get(r.shardId) ?? 0) + 1);
        assert.equal(perShard.size, SHARDS);
        results[strategy] = { skew: maxOverMean([...perShard.values()]), agentSkew };
      } finally {
        state.cleanup();
      }
    });
  }

  it('balanced is within 2 % of the best any per-device placement can do (and ≤ 1.15 whenever that bound allows); device keying is skewed and the agent says so', () => {
    const b = results['balanced'];
    const d = results['device'];
    assert.ok(b && d, 'both runs finished');
    process.stdout.write(`# skew max/mean: balanced ${b.skew.toFixed(3)}, device ${d.skew.toFixed(3)}, per-device bound ${bound.toFixed(3)}; agent metrics: balanced ${b.agentSkew.toFixed(2)}, device ${d.agentSkew.toFixed(2)}\n`);
    assert.ok(b.skew <= Math.max(1.15, bound * 1.02), `balanced ${b.skew.toFixed(3)} ≤ max(1.15, 1.02 × ${bound.toFixed(3)})`);
    assert.ok(d.skew > b.skew + 0.2, `device keying (${d.skew.toFixed(3)}) clearly more skewed than balanced (${b.skew.toFixed(3)})`);
    assert.ok(d.agentSkew > 1.3, `the agent's own metrics report device keying as skewed (${d.agentSkew.toFixed(2)})`);
  });
});
