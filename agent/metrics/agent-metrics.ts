/**
 * The agent's metrics (all named `shardwise_*`) on one registry, and the `/status` snapshot.
 *
 * Two ways values arrive:
 * - hot paths increment directly: `received.labels(source).inc(n)` (keep the series), `keyed.inc(n)`,
 *   `shards.record(shardId, 1, bytes)` and `latency.observe(ms)` from the producer's onAccepted;
 * - everything the stages already count is mirrored on scrape from their stats snapshots
 *   (`bind({ producer, spool, queueDepth, deadLetter, sources })`): zero cost per record. Mirrored
 *   series are overwritten on each scrape, so do not `inc()` them: sent, kinesis_records, retried,
 *   throttled, failed, request_errors, shard_throttled (producer); rejected, dead_letter_lost
 *   (dead-letter writer); queue_depth; spool_*; source_up, mqtt_connection_losses (sources);
 *   shard_records/bytes totals, rates and skew (`shards`).
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import type { ProducerStats } from '../kinesis/producer-types.ts';
import type { SourceHealth } from '../sources/source.ts';
import { LATENCY_MS_BUCKETS } from './histogram.ts';
import type { Histogram } from './histogram.ts';
import type { Counter, Gauge } from './metric.ts';
import { MetricsRegistry } from './registry.ts';
import { ShardRates } from './shard-rates.ts';
import type { ShardRate } from './shard-rates.ts';

/** What metrics need of a source (MqttSource's `stats().connectionLosses` is picked up when present). */
export interface SourceView {
  readonly name: string;
  readonly kind: string;
  health(): SourceHealth;
  stats?(): { readonly connectionLosses?: number };
}

/** What metrics need of the spool (a subset of SpoolStats). */
export interface SpoolView {
  readonly records: number;
  readonly bytes: number;
  readonly oldestRecordAgeMs: number;
  readonly drops?: Readonly<Record<string, number>>;
}

/** What metrics need of the backlog pacing (`spool.replayShare`, the shipper's ReplayStats). */
export interface ReplayView {
  readonly share: number;
  readonly shards: number;
  readonly bytesPerSec: number;
  readonly recordsPerSec: number | null;
  readonly backlogRecords: number;
  readonly waits: number;
}

/** What metrics need of the dead-letter writer. */
export interface DeadLetterView {
  forEachCount(fn: (source: string, reason: string, count: number) => void): void;
  stats(): { readonly lost: number };
}

export interface MetricsInputs {
  readonly producer?: (() => ProducerStats) | undefined;
  readonly spool?: (() => SpoolView) | undefined;
  /** Records buffered in the producer (added, no outcome yet). */
  readonly queueDepth?: (() => number) | undefined;
  readonly deadLetter?: DeadLetterView | undefined;
  readonly sources?: readonly SourceView[] | undefined;
  readonly replay?: (() => ReplayView | undefined) | undefined;
}

export interface AgentStatus {
  readonly time: string;
  readonly uptimeSeconds: number;
  readonly totals: Readonly<Record<'received' | 'keyed' | 'sent' | 'kinesisRecords' | 'retried' | 'throttled' | 'failed' | 'rejected', number>>;
  readonly shards: readonly ShardRate[];
  readonly skew: number;
  readonly hottest: string | null;
  readonly queueDepth: number;
  /** drainEtaSeconds: records held ÷ records/s accepted over the rate window; null when unknown (nothing accepted lately). */
  readonly spool: { readonly records: number; readonly bytes: number; readonly oldestAgeSeconds: number; readonly drainEtaSeconds: number | null } | null;
  /** Backlog pacing: the caps now in force and how often they held the backlog back; null when off. */
  readonly replay: ReplayView | null;
  readonly sources: readonly { readonly name: string; readonly kind: string; readonly up: boolean; readonly state: string }[];
  /** Bucket bounds (ms) under which half / 99 % of acks arrived; 0 before the first, null above the last bucket. */
  readonly ackLatencyMs: { readonly count: number; readonly p50: number | null; readonly p99: number | null };
}

export class AgentMetrics {
  readonly registry = new MetricsRegistry();
  readonly shards: ShardRates;
  readonly received: Counter;
  readonly keyed: Counter;
  readonly sent: Counter;
  readonly kinesisRecords: Counter;
  readonly retried: Counter;
  readonly throttled: Counter;
  readonly failed: Counter;
  readonly requestErrors: Counter;
  readonly rejected: Counter;
  readonly deadLetterLost: Counter;
  readonly shardRecords: Counter;
  readonly shardBytes: Counter;
  readonly shardThrottled: Counter;
  readonly shardRecordsPerSec: Gauge;
  readonly shardBytesPerSec: Gauge;
  readonly shardSkew: Gauge;
  readonly queueDepth: Gauge;
  readonly spoolBytes: Gauge;
  readonly spoolRecords: Gauge;
  readonly spoolOldestAge: Gauge;
  readonly spoolDropped: Counter;
  readonly spoolDrainEta: Gauge;
  readonly replayBytesLimit: Gauge;
  readonly replayRecordsLimit: Gauge;
  readonly replayRecords: Counter;
  readonly replayWaits: Counter;
  readonly sourceUp: Gauge;
  readonly mqttConnectionLosses: Counter;
  readonly latency: Histogram;
  private readonly rss: Gauge;
  private readonly clock: Clock;
  private readonly startedAt: number;
  private inputs: MetricsInputs = {};

  constructor(options: { clock?: Clock | undefined; rateWindowSec?: number | undefined } = {}) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.shards = new ShardRates({ clock: this.clock, windowSec: options.rateWindowSec });
    const span = `${options.rateWindowSec ?? 10} s`;
    const r = this.registry;
    this.received = r.counter('shardwise_received_total', 'Records handed over by sources.', ['source']);
    this.keyed = r.counter('shardwise_keyed_total', 'Records that got a partition key.');
    this.sent = r.counter('shardwise_sent_total', 'User records accepted by Kinesis.');
    this.kinesisRecords = r.counter('shardwise_kinesis_records_total', 'Kinesis records accepted (a KPL aggregate counts once).');
    this.retried = r.counter('shardwise_retried_total', 'User records queued again after a failed entry or request.');
    this.throttled = r.counter('shardwise_throttled_total', 'Entries refused with ProvisionedThroughputExceededException.');
    this.failed = r.counter('shardwise_failed_total', 'User records given up (not accepted), by error code.', ['code']);
    this.requestErrors = r.counter('shardwise_request_errors_total', 'PutRecords requests that failed as a whole, by error code.', ['code']);
    this.rejected = r.counter('shardwise_rejected_total', 'Inputs refused by sources, by reason (written to the dead-letter file).', ['source', 'reason']);
    this.deadLetterLost = r.counter('shardwise_dead_letter_lost_total', 'Dead-letter lines lost to I/O errors or a full write buffer.');
    this.shardRecords = r.counter('shardwise_shard_records_total', 'User records accepted per shard.', ['shard']);
    this.shardBytes = r.counter('shardwise_shard_bytes_total', 'User record bytes accepted per shard.', ['shard']);
    this.shardThrottled = r.counter('shardwise_shard_throttled_total', 'Throttled entries per shard.', ['shard']);
    this.shardRecordsPerSec = r.gauge('shardwise_shard_records_per_sec', `User records/s accepted per shard over the last ${span}.`, ['shard']);
    this.shardBytesPerSec = r.gauge('shardwise_shard_bytes_per_sec', `Bytes/s accepted per shard over the last ${span}.`, ['shard']);
    this.shardSkew = r.gauge('shardwise_shard_skew', 'max/mean of records/s over open shards (1 = even; 0 = idle).');
    this.queueDepth = r.gauge('shardwise_queue_depth', 'Records in the producer awaiting an outcome.');
    this.spoolBytes = r.gauge('shardwise_spool_bytes', 'Bytes held by the spool (disk and memory).');
    this.spoolRecords = r.gauge('shardwise_spool_records', 'Records held by the spool, not yet accepted by Kinesis.');
    this.spoolOldestAge = r.gauge('shardwise_spool_oldest_age_seconds', 'Age of the oldest record in the spool.');
    this.spoolDropped = r.counter('shardwise_spool_dropped_total', 'Records the spool dropped, by reason.', ['reason']);
    this.spoolDrainEta = r.gauge(
      'shardwise_spool_drain_eta_seconds',
      `Estimated time to empty the spool: records held ÷ records/s accepted by Kinesis over the last ${span}; 0 when empty, +Inf when nothing was accepted in that window (sink down). Records arriving meanwhile are not counted, so while live traffic keeps flowing it is a lower bound.`,
    );
    this.replayBytesLimit = r.gauge('shardwise_spool_replay_limit_bytes_per_second', 'Cap on the backlog\'s send rate: spool.replayShare × per-shard bytes/s × open shards.');
    this.replayRecordsLimit = r.gauge('shardwise_spool_replay_limit_records_per_second', 'Cap on the backlog\'s records/s (only without aggregation: an aggregate counts once).');
    this.replayRecords = r.counter('shardwise_spool_replay_records_total', 'Backlog records (older than 2 s when read from the spool) sent through the replay pacer.');
    this.replayWaits = r.counter('shardwise_spool_replay_waits_total', 'Times the replay pacer held the backlog back to keep it under its share of the stream.');
    this.sourceUp = r.gauge('shardwise_source_up', '1 when the source is healthy (connected, watching), else 0.', ['source']);
    this.mqttConnectionLosses = r.counter('shardwise_mqtt_connection_losses_total', 'Established MQTT connections that dropped.', ['source']);
    this.latency = r.histogram('shardwise_ack_latency_milliseconds', 'Ingest to Kinesis acknowledgement, per user record.', LATENCY_MS_BUCKETS);
    this.rss = r.gauge('process_resident_memory_bytes', 'Resident memory of the agent process.');
    r.onCollect(() => this.collect());
  }

  /** Where mirrored values come from; call again after a reload replaces a stage. */
  bind(inputs: MetricsInputs): void {
    this.inputs = { ...this.inputs, ...inputs };
  }

  /** Exposition text (runs the collect hooks). */
  render(): string {
    return this.registry.render();
  }

  status(): AgentStatus {
    this.registry.collect();
    const snap = this.shards.snapshot();
    const spool = this.inputs.spool?.();
    const sources = (this.inputs.sources ?? []).map((s) => {
      const h = s.health();
      return { name: s.name, kind: s.kind, up: h.up, state: h.state };
    });
    return {
      time: new Date(this.clock.wallNow()).toISOString(),
      uptimeSeconds: Math.floor((this.clock.now() - this.startedAt) / 1000),
      totals: {
        received: sumOf(this.received),
        keyed: this.keyed.get(),
        sent: this.sent.get(),
        kinesisRecords: this.kinesisRecords.get(),
        retried: this.retried.get(),
        throttled: this.throttled.get(),
        failed: sumOf(this.failed),
        rejected: sumOf(this.rejected),
      },
      shards: snap.shards,
      skew: round3(snap.skew),
      hottest: snap.hottest ?? null,
      queueDepth: this.queueDepth.get(),
      spool: spool
        ? { records: spool.records, bytes: spool.bytes, oldestAgeSeconds: spool.oldestRecordAgeMs / 1000, drainEtaSeconds: finite(round3(drainEtaSeconds(spool.records, snap.totalRecordsPerSec))) }
        : null,
      replay: this.inputs.replay?.() ?? null,
      sources,
      ackLatencyMs: { count: this.latency.observations, p50: finite(this.latency.quantileBound(0.5)), p99: finite(this.latency.quantileBound(0.99)) },
    };
  }

  private collect(): void {
    const snap = this.shards.snapshot();
    for (const s of snap.shards) {
      this.shardRecords.labels(s.shardId).set(s.records);
      this.shardBytes.labels(s.shardId).set(s.bytes);
      this.shardRecordsPerSec.labels(s.shardId).set(round3(s.recordsPerSec));
      this.shardBytesPerSec.labels(s.shardId).set(round3(s.bytesPerSec));
    }
    this.shardSkew.set(round3(snap.skew));
    const { producer, spool, queueDepth, deadLetter, sources } = this.inputs;
    if (producer) this.mirrorProducer(producer());
    if (queueDepth) this.queueDepth.set(queueDepth());
    if (spool) {
      const s = spool();
      this.spoolBytes.set(s.bytes);
      this.spoolRecords.set(s.records);
      this.spoolOldestAge.set(s.oldestRecordAgeMs / 1000);
      this.spoolDrainEta.set(round3(drainEtaSeconds(s.records, snap.totalRecordsPerSec)));
      if (s.drops) for (const [reason, n] of Object.entries(s.drops)) if (n > 0) this.spoolDropped.labels(reason).set(n);
    }
    const replay = this.inputs.replay?.();
    if (replay) {
      this.replayBytesLimit.set(replay.bytesPerSec);
      if (replay.recordsPerSec !== null) this.replayRecordsLimit.set(replay.recordsPerSec);
      this.replayRecords.set(replay.backlogRecords);
      this.replayWaits.set(replay.waits);
    }
    if (deadLetter) {
      deadLetter.forEachCount((source, reason, n) => this.rejected.labels(source, reason).set(n));
      this.deadLetterLost.set(deadLetter.stats().lost);
    }
    for (const s of sources ?? []) {
      this.sourceUp.labels(s.name).set(s.health().up ? 1 : 0);
      const losses = s.kind === 'mqtt' ? s.stats?.().connectionLosses : undefined;
      if (losses !== undefined) this.mqttConnectionLosses.labels(s.name).set(losses);
    }
    this.rss.set(process.memoryUsage.rss());
  }

  private mirrorProducer(p: ProducerStats): void {
    this.sent.set(p.userRecordsAccepted);
    this.kinesisRecords.set(p.kinesisRecordsAccepted);
    this.retried.set(p.retriedUserRecords);
    this.throttled.set(p.throttledEntries);
    for (const [key, n] of Object.entries(p.failedByCode)) {
      if (key.startsWith('request:')) this.requestErrors.labels(key.slice(8)).set(n);
      else this.failed.labels(key).set(n);
    }
    for (const [shardId, c] of p.perShard) this.shardThrottled.labels(shardId).set(c.throttled);
  }
}

/**
 * Seconds until `records` leave at `recordsPerSec`: 0 when there are none, +Inf when nothing
 * leaves (unknown: the sink is down or idle). Records arriving meanwhile are not counted.
 */
export function drainEtaSeconds(records: number, recordsPerSec: number): number {
  if (records <= 0) return 0;
  return recordsPerSec > 0 ? records / recordsPerSec : Number.POSITIVE_INFINITY;
}

/** Sum over every series of a labelled counter or gauge. */
export function sumOf(m: Counter | Gauge): number {
  let total = 0;
  for (const s of m.entries()) total += s.value;
  return total;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
