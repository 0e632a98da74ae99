import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { freePort } from '../../bench/emulators/free-port.ts';
import { agentConfig, startAgent, tempStateDir, useTestBed, waitForRecords } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS, readAll } from '../support/kinesis-fixture.ts';

describe('uplink down, then a stop (spill mode): acknowledged records survive in the spool and go out after the restart', () => {
  const bed = useTestBed([{ name: 'late', shards: 2 }]);

  it('500 QoS 1 messages PUBACKed while Kinesis is unreachable are all in the stream after the agent restarts with the uplink back', async () => {
    const state = tempStateDir();
    try {
      const config = (endpoint: string) =>
        agentConfig({
          gatewayId: 'gw',
          stateDir: state.dir,
          sources: [{ type: 'mqtt', name: 'm', url: bed.broker.url, clientId: 'offline', topics: [{ filter: 'dev/+/t', qos: 1 }], deviceId: { fromTopic: 'dev/{device}/t' } }],
          sink: { type: 'kinesis', stream: 'late', region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' },
          spool: { mode: 'spill' },
          lifecycle: { shutdownTimeout: '4s' },
          metrics: { enabled: false },
        });
      // Nothing listens on this port: the uplink is down.
      const offline = await startAgent(config(`http://127.0.0.1:${await freePort()}`));
      const pub = await mqtt.connectAsync(bed.broker.url, { clientId: 'offline-pub' });
      // publishAsync at QoS 1 resolves on PUBACK: the agent acknowledged every one of these.
      for (let i = 0; i < 500; i++) await pub.publishAsync(`dev/d${i % 20}/t`, JSON.stringify({ i }), { qos: 1 });
      await pub.endAsync();
      await offline.stop();
      assert.equal((await readAll(bed.reader, 'late')).records.length, 0, 'nothing reached Kinesis while it was unreachable');

      const online = await startAgent(config(bed.kinesis.endpoint));
      const records = await waitForRecords(bed.reader, 'late', 500, 30_000);
      await online.stop();
      const seen = new Set(records.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i));
      assert.equal(seen.size, 500, 'every acknowledged message delivered');
      assert.equal(records.length, 500, 'and none twice');
    } finally {
      state.cleanup();
    }
  });
});
