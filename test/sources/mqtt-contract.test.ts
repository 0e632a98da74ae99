/**
 * The shared Source contract (source-contract.ts) run against the MQTT source on a real broker.
 * "Acknowledged upstream" = PUBACKs written.
 */
import { after } from 'node:test';
import { MqttSource } from '../../agent/sources/mqtt/mqtt-source.ts';
import { startMqttBroker, type MqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import { publish, uniqueId, type Message } from './mqtt-harness.ts';
import { sourceContract } from './source-contract.ts';

let broker: Promise<MqttBroker> | undefined;
after(async () => {
  if (broker !== undefined) await (await broker).stop();
});

sourceContract('mqtt', async () => {
  const b = await (broker ??= startMqttBroker());
  const topic = uniqueId('contract');
  const source = new MqttSource({
    name: 'mqtt-contract',
    url: b.url,
    clientId: uniqueId('contract'),
    protocolVersion: 4,
    topics: [{ filter: `${topic}/+`, qos: 1 }],
    deviceId: { fromTopic: `${topic}/{device}` },
    reconnect: { minMs: 50, maxMs: 200 },
  });
  let produced = 0;
  return {
    source,
    produce: (n) => publish(b.url, Array.from({ length: n }, (): Message => [`${topic}/d`, `c${produced++}`, 1])),
    acknowledged: async () => source.stats().acksSent,
    dispose: async () => undefined,
  };
});
