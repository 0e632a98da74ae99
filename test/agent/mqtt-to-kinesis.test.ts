import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { agentConfig, startAgent, tempStateDir, useTestBed, waitForRecords } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS } from '../support/kinesis-fixture.ts';

/** Publishes `perDevice` QoS 1 messages for each of `devices`, many in flight, device-major interleaved. */
async function publish(url: string, devices: number, from: number, to: number, onHalf?: () => Promise<void>): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `pub-${Date.now()}`, clean: true });
  const total = (to - from) * devices;
  let sent = 0;
  const window: Promise<unknown>[] = [];
  for (let n = from; n < to; n++) {
    for (let d = 0; d < devices; d++) {
      window.push(client.publishAsync(`devices/dev-${d}/telemetry`, JSON.stringify({ n, t: 20 + (n % 10) }), { qos: 1 }));
      if (window.length >= 500) await Promise.all(window.splice(0));
      if (++sent === total >> 1 && onHalf) {
        await Promise.all(window.splice(0));
        await onHalf();
      }
    }
  }
  await Promise.all(window);
  await client.endAsync();
}

function checkStream(records: { partitionKey: string; data: Uint8Array }[], devices: number, perDevice: number): { missing: number; duplicates: number; outOfOrder: number } {
  const seen = new Map<string, Set<number>>();
  const last = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  for (const r of records) {
    const n = (JSON.parse(Buffer.from(r.data).toString()) as { n: number }).n;
    const s = seen.get(r.partitionKey) ?? new Set<number>();
    if (s.has(n)) duplicates++;
    s.add(n);
    seen.set(r.partitionKey, s);
    if ((last.get(r.partitionKey) ?? -1) > n) outOfOrder++;
    last.set(r.partitionKey, n);
  }
  let missing = 0;
  for (let d = 0; d < devices; d++) missing += perDevice - (seen.get(`dev-${d}`)?.size ?? 0);
  return { missing, duplicates, outOfOrder };
}

describe('MQTT QoS 1 → agent → kinesalite', () => {
  const bed = useTestBed([{ name: 'device', shards: 4 }, { name: 'balanced', shards: 4 }]);

  for (const strategy of ['device', 'balanced'] as const) {
    it(`20,000 messages from 1,000 devices, ${strategy} keying, agent restarted mid-run: each exactly once, per-device order kept`, async () => {
      const state = tempStateDir();
      try {
        const config = agentConfig({
          gatewayId: 'gw-test',
          stateDir: state.dir,
          sources: [
            {
              type: 'mqtt',
              name: 'sensors',
              url: bed.broker.url,
              clientId: `agent-${strategy}`,
              clean: false,
              topics: [{ filter: 'devices/+/telemetry', qos: 1 }],
              deviceId: { fromTopic: 'devices/{device}/telemetry' },
            },
          ],
          keying: { strategy },
          sink: { type: 'kinesis', stream: strategy, region: 'us-east-1', endpoint: bed.kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '20ms' },
          spool: { mode: 'always', fsync: { policy: 'interval', intervalMs: 20 } },
          metrics: { enabled: false },
        });
        let running = await startAgent(config);
        // The broker queues for the persistent session while the agent is down.
        await publish(bed.broker.url, 1000, 0, 20, async () => {
          await running.stop();
          running = await startAgent(config);
        });
        // Wait until everything arrived in the stream (bounded).
        const records = await waitForRecords(bed.reader, strategy, 20_000, 60_000);
        await running.stop();
        const check = checkStream(records, 1000, 20);
        assert.deepEqual(check, { missing: 0, duplicates: 0, outOfOrder: 0 });
        assert.equal(records.length, 20_000);
      } finally {
        state.cleanup();
      }
    });
  }
});
