import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { freePort } from '../../bench/emulators/free-port.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { startMqttBroker, type MqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import { agentConfig, startAgent, tempStateDir } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS, localClient, readAll } from '../support/kinesis-fixture.ts';

describe('uplink down, then a stop (spill mode): acknowledged records survive in the spool and go out after the restart', () => {
  let kinesis: LocalKinesis;
  let broker: MqttBroker;
  let reader: KinesisClient;
  before(async () => {
    kinesis = await startKinesalite({ streams: [{ name: 'late', shards: 2 }] });
    broker = await startMqttBroker();
    reader = localClient(kinesis.endpoint);
  });
  after(async () => {
    reader?.destroy();
    await broker?.stop();
    await kinesis?.stop();
  });

  it('500 QoS 1 messages PUBACKed while Kinesis is unreachable are all in the stream after the agent restarts with the uplink back', async () => {
    const state = tempStateDir();
    try {
      const config = (endpoint: string) =>
        agentConfig({
          gatewayId: 'gw',
          stateDir: state.dir,
          sources: [{ type: 'mqtt', name: 'm', url: broker.url, clientId: 'offline', topics: [{ filter: 'dev/+/t', qos: 1 }], deviceId: { fromTopic: 'dev/{device}/t' } }],
          sink: { type: 'kinesis', stream: 'late', region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' },
          spool: { mode: 'spill' },
          lifecycle: { shutdownTimeout: '4s' },
          metrics: { enabled: false },
        });
      // Nothing listens on this port: the uplink is down.
      const offline = await startAgent(config(`http://127.0.0.1:${await freePort()}`));
      const pub = await mqtt.connectAsync(broker.url, { clientId: 'offline-pub' });
      // publishAsync at QoS 1 resolves on PUBACK: the agent acknowledged every one of these.
      for (let i = 0; i < 500; i++) await pub.publishAsync(`dev/d${i % 20}/t`, JSON.stringify({ i }), { qos: 1 });
      await pub.endAsync();
      await offline.stop();
      assert.equal((await readAll(reader, 'late')).records.length, 0, 'nothing reached Kinesis while it was unreachable');

      const online = await startAgent(config(kinesis.endpoint));
      const deadline = Date.now() + 30_000;
      let records = (await readAll(reader, 'late')).records;
      while (records.length < 500 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300));
        records = (await readAll(reader, 'late')).records;
      }
      await online.stop();
      const seen = new Set(records.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i));
      assert.equal(seen.size, 500, 'every acknowledged message delivered');
      assert.equal(records.length, 500, 'and none twice');
    } finally {
      state.cleanup();
    }
  });
});
