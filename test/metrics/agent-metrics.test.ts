import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import type { ProducerStats } from '../../agent/kinesis/producer-types.ts';
import { AgentMetrics } from '../../agent/metrics/agent-metrics.ts';
import { SummaryLine, formatBytes, formatSummary } from '../../agent/metrics/summary.ts';
import { parsePrometheus, valueOf } from './prom-parser.ts';

function producerStats(over: Partial<ProducerStats> = {}): ProducerStats {
  return {
    userRecordsAdded: 120,
    userRecordsAccepted: 100,
    userRecordsFailed: 3,
    kinesisRecordsAccepted: 7,
    requests: 9,
    requestErrors: 1,
    entriesFailed: 4,
    throttledEntries: 4,
    retriedUserRecords: 11,
    ttlExpired: 2,
    unexpectedShard: 0,
    resentOutOfRange: 0,
    reordered: 0,
    shardMapRefreshes: 1,
    failedByCode: { E_TTL_EXPIRED: 2, E_INVALID_ARGUMENT: 1, 'request:E_THROTTLED': 1 },
    perShard: new Map([['shardId-000000000001', { userRecords: 100, kinesisRecords: 7, bytes: 5000, throttled: 4 }]]),
    ...over,
  };
}

function setup(): { m: AgentMetrics; clock: ManualClock } {
  const clock = new ManualClock(0);
  const m = new AgentMetrics({ clock });
  m.bind({
    producer: () => producerStats(),
    queueDepth: () => 17,
    spool: () => ({ records: 5, bytes: 2048, oldestRecordAgeMs: 1500, drops: { 'full-drop-oldest': 2, corrupt: 0 } }),
    deadLetter: {
      forEachCount: (fn) => {
        fn('mqtt-1', 'malformed-json', 3);
        fn('logs', 'too-large', 1);
      },
      stats: () => ({ lost: 2 }),
    },
    sources: [
      { name: 'mqtt-1', kind: 'mqtt', health: () => ({ up: true, state: 'connected' }), stats: () => ({ connectionLosses: 4 }) },
      { name: 'logs', kind: 'file', health: () => ({ up: false, state: 'no files' }) },
    ],
  });
  return { m, clock };
}

describe('agent metrics', () => {
  it('exposes every shardwise metric, mirrored from stage stats on scrape', () => {
    const { m, clock } = setup();
    m.received.labels('mqtt-1').inc(120);
    m.keyed.inc(118);
    for (let s = 0; s < 10; s++) {
      m.shards.record('shardId-000000000001', 10, 1000);
      m.shards.record('shardId-000000000002', 30, 3000);
      clock.advance(1000);
    }
    m.latency.observe(42);
    const f = parsePrometheus(m.render());
    assert.equal(valueOf(f, 'shardwise_received_total', { source: 'mqtt-1' }), 120);
    assert.equal(valueOf(f, 'shardwise_keyed_total'), 118);
    assert.equal(valueOf(f, 'shardwise_sent_total'), 100);
    assert.equal(valueOf(f, 'shardwise_kinesis_records_total'), 7);
    assert.equal(valueOf(f, 'shardwise_retried_total'), 11);
    assert.equal(valueOf(f, 'shardwise_throttled_total'), 4);
    assert.equal(valueOf(f, 'shardwise_failed_total', { code: 'E_TTL_EXPIRED' }), 2);
    assert.equal(valueOf(f, 'shardwise_request_errors_total', { code: 'E_THROTTLED' }), 1);
    assert.throws(() => valueOf(f, 'shardwise_failed_total', { code: 'request:E_THROTTLED' }), 'request errors are not record failures');
    assert.equal(valueOf(f, 'shardwise_rejected_total', { source: 'mqtt-1', reason: 'malformed-json' }), 3);
    assert.equal(valueOf(f, 'shardwise_dead_letter_lost_total'), 2);
    assert.equal(valueOf(f, 'shardwise_shard_records_total', { shard: 'shardId-000000000002' }), 300);
    assert.equal(valueOf(f, 'shardwise_shard_bytes_total', { shard: 'shardId-000000000002' }), 30_000);
    assert.equal(valueOf(f, 'shardwise_shard_records_per_sec', { shard: 'shardId-000000000002' }), 30);
    assert.equal(valueOf(f, 'shardwise_shard_bytes_per_sec', { shard: 'shardId-000000000001' }), 1000);
    assert.equal(valueOf(f, 'shardwise_shard_skew'), 1.5);
    assert.equal(valueOf(f, 'shardwise_shard_throttled_total', { shard: 'shardId-000000000001' }), 4);
    assert.equal(valueOf(f, 'shardwise_queue_depth'), 17);
    assert.equal(valueOf(f, 'shardwise_spool_bytes'), 2048);
    assert.equal(valueOf(f, 'shardwise_spool_records'), 5);
    assert.equal(valueOf(f, 'shardwise_spool_oldest_age_seconds'), 1.5);
    assert.equal(valueOf(f, 'shardwise_spool_dropped_total', { reason: 'full-drop-oldest' }), 2);
    assert.equal(valueOf(f, 'shardwise_source_up', { source: 'mqtt-1' }), 1);
    assert.equal(valueOf(f, 'shardwise_source_up', { source: 'logs' }), 0);
    assert.equal(valueOf(f, 'shardwise_mqtt_connection_losses_total', { source: 'mqtt-1' }), 4);
    assert.equal(valueOf(f, 'shardwise_ack_latency_milliseconds_bucket', { le: '25' }), 0);
    assert.equal(valueOf(f, 'shardwise_ack_latency_milliseconds_bucket', { le: '50' }), 1);
    assert.equal(valueOf(f, 'shardwise_ack_latency_milliseconds_bucket', { le: '+Inf' }), 1);
    assert.ok(valueOf(f, 'process_resident_memory_bytes') > 0);
    for (const fam of f.values()) assert.ok(fam.help && fam.type, `${fam.name} has HELP and TYPE`);
  });

  it('builds the /status snapshot and the summary line from the same figures', () => {
    const { m, clock } = setup();
    m.received.labels('mqtt-1').inc(120);
    m.shards.setOpenShards(['a', 'b']);
    for (let s = 0; s < 10; s++) {
      m.shards.record('a', 11, 100);
      m.shards.record('b', 9, 100);
      clock.advance(1000);
    }
    const st = m.status();
    assert.equal(st.uptimeSeconds, 10);
    assert.deepEqual(st.totals, { received: 120, keyed: 0, sent: 100, kinesisRecords: 7, retried: 11, throttled: 4, failed: 3, rejected: 4 });
    assert.equal(st.skew, 1.1);
    assert.equal(st.hottest, 'a');
    assert.deepEqual(st.spool, { records: 5, bytes: 2048, oldestAgeSeconds: 1.5, drainEtaSeconds: 0.25 }); // 5 records ÷ 20 records/s
    assert.deepEqual(st.sources, [
      { name: 'mqtt-1', kind: 'mqtt', up: true, state: 'connected' },
      { name: 'logs', kind: 'file', up: false, state: 'no files' },
    ]);
    assert.deepEqual(st.ackLatencyMs, { count: 0, p50: 0, p99: 0 });
    assert.doesNotThrow(() => JSON.stringify(st));

    const line = new SummaryLine();
    const first = line.next(st, 0);
    assert.equal(
      first,
      'received=120 sent=100 rate=0.0/s throttled=4 failed=3 rejected=4 skew=1.10 hottest=a queue=17 spool=5/2.0KiB oldest=2s',
    );
    const later = line.next({ ...st, totals: { ...st.totals, sent: 700 } }, 60_000);
    assert.match(later, / sent=700 rate=10\.0\/s /);
  });

  it('formats an idle agent without a spool', () => {
    const s = formatSummary(
      { totals: { received: 0, keyed: 0, sent: 0, kinesisRecords: 0, retried: 0, throttled: 0, failed: 0, rejected: 0 }, skew: 0, hottest: null, queueDepth: 0, spool: null },
      0,
    );
    assert.equal(s, 'received=0 sent=0 rate=0.0/s throttled=0 failed=0 rejected=0 skew=0.00 hottest=- queue=0');
    assert.equal(formatBytes(0), '0B');
    assert.equal(formatBytes(1536), '1.5KiB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0MiB');
  });
});
