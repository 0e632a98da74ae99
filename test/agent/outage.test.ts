/**
 * Kinesis unreachable for a while under 2,000 msg/s of MQTT QoS 1 (the agent as a real process,
 * spool.mode spill, the fault proxy in front of kinesalite lets requests hang: packets vanish, as
 * when an uplink dies). The spool grows (on disk), the agent's RSS stays under +20 % of its
 * pre-outage level, and after recovery every acknowledged message is in the stream once (duplicates ≤ 0.1 %)
 * in per-device order, drained no faster than configured (replay share and per-shard limits).
 *
 * SHARDWISE_OUTAGE_SEC sets the outage (default 20 s); `npm run perf -- agent-outage` runs minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runOutageScenario } from '../support/outage-scenario.ts';

const OUTAGE_SEC = Number(process.env['SHARDWISE_OUTAGE_SEC'] ?? 20);
const PAYLOAD = 160;
const MQTT_MAX_INFLIGHT = 1000;
const MiB = 2 ** 20;

describe('Kinesis unreachable under MQTT QoS 1 load', () => {
  it(`a ${OUTAGE_SEC} s outage at 2,000 msg/s: spool grows, RSS flat, everything delivered in order after recovery`, async () => {
    const r = await runOutageScenario({
      ratePerSec: 2000,
      payloadBytes: PAYLOAD,
      outageSec: OUTAGE_SEC,
      warmupSec: 8,
      afterSec: 5,
      fault: 'hang',
      spoolMode: 'spill',
      // The default request timeout (10 s): hanging requests fail late, the agent must notice
      // the outage before that (nothing accepted for 5 s). Shorter backoff: recovery is seen sooner.
      sink: { retry: { maxMs: '3s' } },
      drainTimeoutSec: 120,
    });
    const c = r.check;
    const mib = (b: number): string => (b / MiB).toFixed(1);
    process.stdout.write(
      `# outage ${r.outageSec} s: ${r.published} messages at ${r.publishedPerSec.toFixed(0)}/s; spool at the end of the outage ${r.spoolAtOutageEnd.records} records / ${mib(r.spoolAtOutageEnd.bytes)} MiB, ${mib(r.spoolAtOutageEnd.diskBytes)} MiB on disk (peak ${mib(r.spoolPeakBytes)} MiB)\n` +
        `#   RSS before ${mib(r.rssBefore)} MiB, during ${mib(r.rssDuringMin)}–${mib(r.rssDuringMax)} MiB, draining ≤ ${mib(r.rssDrainMax)} MiB, after ${mib(r.rssAfter)} MiB\n` +
        `#   resumed ${r.resumeSec.toFixed(1)} s after recovery, drained in ${r.drainSec.toFixed(1)} s at ${r.drainRecordsPerSec.toFixed(0)} records/s (${(r.drainBytesPerSec / 1024).toFixed(0)} KiB/s; per-shard limit ${(r.capBytesPerSec / 1024).toFixed(0)} KiB/s)` +
        (r.replay === null ? '\n' : `; backlog ${(r.replay.bytesPerSec / 1024).toFixed(0)} KiB/s against replayShare ${r.replay.share} → ${(r.replay.limitBytesPerSec / 1024).toFixed(0)} KiB/s\n`) +
        `#   read ${c.read}, lost ${c.lost}, duplicates ${c.duplicates}, order violations ${c.orderViolations}\n`,
    );

    assert.equal(r.acked, r.published, 'the broker acknowledged every message to the publisher');
    assert.equal(c.foreign, 0, 'every record in the stream is one of the published messages');
    assert.equal(c.lost, 0, 'every acknowledged message is in the stream');
    assert.equal(c.orderViolations, 0, 'per-device order of first occurrences');
    assert.ok(c.duplicates <= r.published * 0.001, `duplicates ${c.duplicates} ≤ 0.1 % of ${r.published}`);

    // The spool holds what arrived while Kinesis was away (all but what the MQTT intake may hold
    // before appending: at most the source's maxInflight).
    assert.ok(r.receivedDuringOutage > MQTT_MAX_INFLIGHT, `the agent kept taking messages during the outage (${r.receivedDuringOutage})`);
    assert.ok(r.spoolAtOutageEnd.records >= r.receivedDuringOutage - MQTT_MAX_INFLIGHT, `spool ${r.spoolAtOutageEnd.records} records ≥ received during the outage ${r.receivedDuringOutage} − ${MQTT_MAX_INFLIGHT}`);
    assert.ok(r.spoolAtOutageEnd.bytes >= (r.receivedDuringOutage - MQTT_MAX_INFLIGHT) * PAYLOAD, 'spool bytes grew with it');
    // …on disk (spill mode spills while the sink is down): the backlog does not live in memory.
    // (At 20 s the backlog is ~7 MB against ~150 MB of RSS: the RSS bounds below only bite in
    // the minutes-long perf run; this one does here.)
    assert.ok(r.spoolAtOutageEnd.diskBytes >= (r.receivedDuringOutage - MQTT_MAX_INFLIGHT) * PAYLOAD, `spool files ${r.spoolAtOutageEnd.diskBytes} B hold the outage's records`);

    // Memory does not follow the backlog. (Only the upper bound: when nothing is sent, V8 may give
    // heap back and RSS drop below −20 %, as the 3-minute perf run shows; that is not a failure.)
    assert.ok(r.rssDuringMax <= r.rssBefore * 1.2, `RSS during the outage ${mib(r.rssDuringMax)} MiB ≤ 1.2 × ${mib(r.rssBefore)} MiB`);
    assert.ok(r.rssDrainMax <= r.rssBefore * 1.2, `RSS while draining ${mib(r.rssDrainMax)} MiB ≤ 1.2 × ${mib(r.rssBefore)} MiB`);

    // No faster than configured (upper bounds only: a slow machine drains slower, which is not a bug).
    assert.ok(r.drainBytes <= r.capBytesInDrain, `drain ${r.drainBytes} B within the per-shard limits (${r.capBytesInDrain.toFixed(0)} B)`);
    if (r.replay !== null) assert.ok(r.replay.bytes <= r.replay.allowedBytes, `backlog ${r.replay.bytes} B within replayShare (${r.replay.allowedBytes.toFixed(0)} B)`);
  });
});
