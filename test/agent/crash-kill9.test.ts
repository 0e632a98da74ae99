/**
 * The agent as a real process under MQTT QoS 1 load (persistent session, real mosquitto) into
 * kinesalite with `spool.mode: always`, killed with SIGKILL at seeded-random moments 10 times and
 * restarted each time while the publisher keeps publishing. At the end every message the broker
 * acknowledged to the publisher is in the stream, per-device order of first occurrences holds, and
 * the duplicates are bounded by what could be re-sent at each kill:
 *
 *   - the records the spool held on disk at or above its persisted low-water mark (the cursor is
 *     written every second): the restarted agent sends all of them, so those Kinesis had already
 *     accepted arrive twice. Measured after each kill by running the spool's own recovery on a copy
 *     of the directory (test/support/spool-inspect.ts);
 *   - MQTT messages spooled whose PUBACK had not gone out: the broker redelivers them. At most the
 *     source's `maxInflight` (sent to the broker as MQTT 5 Receive Maximum) per kill.
 *
 * SHARDWISE_CRASH_SEED changes the kill moments (default 20251122).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { startMqttBroker, type MqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import { tempStateDir } from '../support/agent-fixture.ts';
import { startAgentProcess, type AgentProcess } from '../support/agent-process.ts';
import { seededRandom } from '../support/fault-deciders.ts';
import { LOCAL_CREDENTIALS, localClient, readAll } from '../support/kinesis-fixture.ts';
import { checkDelivery, startPublisher, type DeliveryCheck, type Publisher } from '../support/mqtt-load.ts';
import { inspectSpoolCopy } from '../support/spool-inspect.ts';

const KILLS = 10;
const DEVICES = 300;
const RATE = 1500;
const MAX_INFLIGHT = 1000;
const STREAM = 'crash';

interface Kill {
  readonly afterMs: number;
  /** Records the agent had had accepted by Kinesis in this life (its /status just before the kill), -1 if unknown. */
  readonly sentBefore: number;
  /** Records on disk at or above the persisted cursor: replayed by the next start. */
  readonly replay: number;
  readonly tornBytes: number;
}

async function readUntilComplete(reader: KinesisClient, pub: Publisher, timeoutMs: number): Promise<DeliveryCheck> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const check = checkDelivery((await readAll(reader, STREAM)).records, pub);
    if (check.lost === 0 || Date.now() > deadline) return check;
    await sleep(1000);
  }
}

describe('kill -9 under MQTT QoS 1 load, spool.mode always', () => {
  let kinesis: LocalKinesis;
  let broker: MqttBroker;
  let reader: KinesisClient;
  before(async () => {
    kinesis = await startKinesalite({ streams: [{ name: STREAM, shards: 4 }] });
    broker = await startMqttBroker({ maxInflightMessages: MAX_INFLIGHT });
    reader = localClient(kinesis.endpoint);
  });
  after(async () => {
    reader?.destroy();
    await broker?.stop();
    await kinesis?.stop();
  });

  it(`${KILLS} kills at random moments while ${RATE} msg/s are published: every PUBACKed message is in the stream, in order, duplicates bounded`, async () => {
    const seed = Number(process.env['SHARDWISE_CRASH_SEED'] ?? 20251122);
    const random = seededRandom(seed);
    const state = tempStateDir('shardwise-crash-');
    const config = {
      gatewayId: 'crash',
      stateDir: state.dir,
      sources: [
        {
          type: 'mqtt',
          name: 'sensors',
          url: broker.url,
          protocolVersion: 5,
          clientId: 'crash-agent',
          clean: false,
          maxInflight: MAX_INFLIGHT,
          topics: [{ filter: 'dev/+/t', qos: 1 }],
          deviceId: { fromTopic: 'dev/{device}/t' },
        },
      ],
      keying: { strategy: 'device' },
      sink: { type: 'kinesis', stream: STREAM, region: 'us-east-1', endpoint: kinesis.endpoint, credentials: LOCAL_CREDENTIALS },
      spool: { mode: 'always' },
      log: { level: 'warn' },
    };
    const kills: Kill[] = [];
    // The first start creates the persistent session: the broker queues nothing for a
    // subscription that does not exist yet, so publishing starts once the agent is subscribed.
    let agent: AgentProcess | undefined;
    let pub: Publisher | undefined;
    try {
      agent = await startAgentProcess({ config, dir: state.dir });
      await agent.waitHealthy();
      pub = await startPublisher({ url: broker.url, devices: DEVICES, ratePerSec: RATE });
      for (let k = 0; k < KILLS; k++) {
        if (k > 0) agent = await startAgentProcess({ config, dir: state.dir });
        // From spawn (the first: from its subscription): some kills land during start-up and
        // recovery, most while records flow.
        const afterMs = Math.round(400 + random() * 3100);
        const early: boolean = await Promise.race([sleep(afterMs).then(() => false), agent.exited.then(() => true)]);
        assert.equal(early, false, `agent exited by itself before kill ${k + 1}:\n${agent.outputTail()}`);
        const sentBefore = (await agent.status())?.totals.sent ?? -1;
        await agent.kill9();
        const rec = await inspectSpoolCopy(path.join(state.dir, 'spool'));
        assert.deepEqual(rec.quarantined, [], `kill ${k + 1}: no segment damaged`);
        kills.push({ afterMs, sentBefore, replay: rec.records, tornBytes: rec.tornBytes });
      }
      agent = await startAgentProcess({ config, dir: state.dir });
      await agent.waitHealthy();
      await sleep(1000);
      const published = await pub.stop();
      assert.equal(published.acked, published.published, 'the broker acknowledged every message to the publisher');
      const check = await readUntilComplete(reader, pub, 40_000);
      const exit = await agent.stop();
      assert.equal(exit, 0, `graceful stop at the end:\n${agent.outputTail()}`);

      const replayed = kills.reduce((s, k) => s + k.replay, 0);
      const bound = replayed + KILLS * MAX_INFLIGHT;
      const rate = published.published / published.seconds;
      process.stdout.write(
        `# crash-kill9 (seed ${seed}): ${published.published} messages at ${rate.toFixed(0)} msg/s over ${published.seconds.toFixed(1)} s, ${KILLS} kills\n` +
          `#   kill moments (ms after spawn) / records sent in that life / replayed after it: ${kills.map((k) => `${k.afterMs}/${k.sentBefore}/${k.replay}`).join(' ')}\n` +
          `#   read ${check.read}, lost ${check.lost}, duplicates ${check.duplicates} (${((check.duplicates / published.published) * 100).toFixed(2)} %), ` +
          `bound ${bound} = ${replayed} replayed + ${KILLS} × ${MAX_INFLIGHT} MQTT in flight; order violations ${check.orderViolations}; ` +
          `torn tails cut at restart: ${kills.reduce((s, k) => s + k.tornBytes, 0)} bytes\n`,
      );
      assert.equal(check.foreign, 0, 'every record in the stream is one of the published messages');
      assert.equal(check.lost, 0, 'every message the broker acknowledged is in the stream');
      assert.equal(check.orderViolations, 0, 'per device, first occurrences in publish order');
      assert.ok(check.duplicates <= bound, `duplicates ${check.duplicates} within what could be re-sent (${bound})`);
    } finally {
      await pub?.stop(1000);
      await agent?.kill9();
      state.cleanup();
    }
  });
});
