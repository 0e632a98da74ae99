import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { agentConfig, startAgent, tempStateDir, useTestBed, waitForRecords } from '../support/agent-fixture.ts';
import { LOCAL_CREDENTIALS } from '../support/kinesis-fixture.ts';

describe('bad input through the whole agent: never a crash, dead-lettered with its reason, the rest flows on', () => {
  const bed = useTestBed([{ name: 'bad', shards: 2 }]);

  it('malformed JSON, empty, no device id, over 1 MiB, binary: each in the dead-letter file; every good record in the stream', async () => {
    const state = tempStateDir();
    try {
      const config = agentConfig({
        gatewayId: 'gw',
        stateDir: state.dir,
        sources: [{ type: 'mqtt', name: 'json-in', url: bed.broker.url, clientId: 'bad-input', payload: 'json', topics: [{ filter: 'in/#', qos: 1 }], deviceId: { fromField: 'id' } }],
        sink: { type: 'kinesis', stream: 'bad', region: 'us-east-1', endpoint: bed.kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' },
        metrics: { enabled: false },
      });
      const running = await startAgent(config);
      const pub = await mqtt.connectAsync(bed.broker.url, { clientId: 'bad-pub' });
      const bad: [string, Buffer][] = [
        ['malformed-json', Buffer.from('{"id":"d1","t":')],
        ['empty', Buffer.alloc(0)],
        ['no-device-id', Buffer.from('{"t":21}')],
        ['too-large', Buffer.from(`{"id":"d1","pad":"${'x'.repeat(1024 * 1024)}"}`)],
        ['malformed-json', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
      ];
      let good = 0;
      for (let i = 0; i < 200; i++) {
        await pub.publishAsync('in/x', JSON.stringify({ id: `d${i % 10}`, n: i }), { qos: 1 });
        good++;
        const b = bad[i % 40];
        if (i % 40 < bad.length && b) await pub.publishAsync('in/x', b[1], { qos: 1 });
      }
      await pub.endAsync();
      const records = await waitForRecords(bed.reader, 'bad', good, 30_000);
      const status = running.agent.metrics.status();
      await running.stop();
      assert.equal(records.length, good, 'every good record is in the stream');
      const lines = readFileSync(config.deadLetter.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string; reason: string });
      const byReason = new Map<string, number>();
      for (const l of lines) {
        assert.equal(l.source, 'json-in');
        byReason.set(l.reason, (byReason.get(l.reason) ?? 0) + 1);
      }
      // 5 rounds (i = 0, 40, 80, 120, 160) of the 5 bad inputs.
      assert.deepEqual(Object.fromEntries([...byReason].sort()), { empty: 5, 'malformed-json': 10, 'no-device-id': 5, 'too-large': 5 });
      assert.equal(status.totals.rejected, 25, 'counted in the metrics');
    } finally {
      state.cleanup();
    }
  });
});
