/**
 * The composition root: the one place that builds every stage from the configuration and wires them
 * (sources → intake [envelope → keying] → spool → shipper → producer → Kinesis → ack the spool).
 * Stages never import each other; they meet here.
 */
import path from 'node:path';
import type { AgentConfig, MetricsConfig, SourceConfig } from '../config/agent-config.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { DeadLetterWriter } from '../dead-letter/dead-letter-writer.ts';
import { DeviceSequencer } from '../envelope/device-sequencer.ts';
import { EnvelopeStage } from '../envelope/envelope.ts';
import { KinesisEndpoint } from '../kinesis/kinesis-endpoint.ts';
import { Producer } from '../kinesis/producer.ts';
import { BurstLogger } from '../log/burst-logger.ts';
import { levelLog, type Logger } from '../log/logger.ts';
import { AgentMetrics } from '../metrics/agent-metrics.ts';
import { MetricsServer } from '../metrics/metrics-server.ts';
import { SummaryLogger } from '../metrics/summary.ts';
import type { Part } from '../lifecycle/lifecycle.ts';
import type { Source } from '../sources/source.ts';
import { createSpool } from '../spool/create-spool.ts';
import type { Spool } from '../spool/spool.ts';
import { buildSource, buildSources, jsonSourceNames } from './build-sources.ts';
import { Intake } from './intake.ts';
import { KeyingStage } from './keying-stage.ts';
import { Shipper } from './shipper.ts';
import { SourceSet } from './source-set.ts';
import { SwappablePart } from './swappable-part.ts';

export interface AgentParts {
  readonly parts: Part[];
  /** Stop order: sources first, then flush, spool, state files, metrics last. */
  readonly stopOrder: string[];
  readonly metrics: AgentMetrics;
  readonly producer: Producer<number>;
  readonly spool: Spool;
  /** The running sources (a live list: a reload changes it in place). */
  readonly sources: readonly Source[];
  readonly intake: Intake;
  /** What a SIGHUP may change while the agent runs (agent/reload.ts). */
  readonly live: LiveAgent;
  /** Port the metrics server listens on (after start), for tests. */
  metricsPort(): number | undefined;
}

/** The parts of a running agent a reload may change (everything else needs a restart). */
export interface LiveAgent {
  readonly sourceSet: SourceSet;
  /** A source built as at start (state files under the running stateDir). Throws for unusable options. */
  buildSource(s: SourceConfig): Source;
  /** Sources whose payloads are JSON text (the envelope's fast path). */
  setJsonSources(names: readonly string[]): void;
  /** Rebinds `/metrics` with new settings (the old server comes back if the new one fails to start). */
  setMetrics(m: MetricsConfig): Promise<void>;
  setSummaryInterval(ms: number): Promise<void>;
  /** A removed source: drop its `shardwise_source_up` series (its counters stay). */
  forgetSource(name: string): void;
}

export interface BuildOptions {
  readonly clock?: Clock;
  /** Pause before records refused by a sink-wide error are sent again (default 10 s). */
  readonly fatalRetryMs?: number;
}

export function buildAgent(config: AgentConfig, log: Logger, opts: BuildOptions = {}): AgentParts {
  const clock = opts.clock ?? systemClock;
  const burst = new BurstLogger(log);
  const metrics = new AgentMetrics({ clock });
  const deadLetter = new DeadLetterWriter({ path: config.deadLetter.path, maxBytes: config.deadLetter.maxBytes, maxFiles: config.deadLetter.maxFiles, log: burst, clock });
  const sequencer = new DeviceSequencer({ stateFile: path.join(config.stateDir, 'envelope-seq.json'), log: log.child({ part: 'envelope-seq' }) });
  const envelope = new EnvelopeStage({ gatewayId: config.gatewayId as string, mode: config.envelope.payload, sequencer, clock, jsonSources: jsonSourceNames(config) });
  const sp = config.spool;
  const spool = createSpool(
    { mode: sp.mode, dir: sp.dir as string, maxBytes: sp.maxBytes, memoryBytes: sp.memoryBytes, onFull: sp.onFull, fsync: sp.fsync.policy, fsyncIntervalMs: sp.fsync.intervalMs, segmentBytes: sp.segmentBytes, cursorIntervalMs: sp.cursorInterval },
    { clock, log: levelLog(log.child({ part: 'spool' })) },
  );
  const sink = config.sink;
  // Direct requests, and the SDK client only if they cannot be used (loaded then: it costs ~2 MiB of RSS).
  const kinesis = KinesisEndpoint.create({
    region: sink.region,
    endpoint: sink.endpoint,
    credentials: sink.credentials,
    maxSockets: sink.concurrency * 2,
    requestTimeoutMs: sink.requestTimeout,
  });
  const keying = new KeyingStage(config.keying, clock, log.child({ part: 'keying' }));

  const shipper = new Shipper(
    spool,
    {
      accepted(shardId, dataBytes, latencyMs, deviceId, now) {
        metrics.shards.record(shardId, 1, dataBytes, now);
        metrics.latency.observe(latencyMs);
        keying.acked(deviceId);
      },
      undeliverable(item, error) {
        deadLetter.write('sink', error.code, item.data, error.message);
        keying.acked(item.deviceId);
      },
      sinkFailure(error) {
        burst.error('sink-failure', 'Kinesis refused the stream; records stay in the spool and are retried', { code: error.code, error: error.message });
      },
    },
    {
      fatalRetryMs: opts.fatalRetryMs,
      clock,
      // The stream's capacity is what the rate limit says; with the limit off nothing is paced.
      replay: sink.rateLimit.enabled
        ? { share: sp.replayShare, shardRecordsPerSec: sink.rateLimit.recordsPerSec, shardBytesPerSec: sink.rateLimit.bytesPerSec, countRecords: !sink.aggregation.enabled }
        : undefined,
    },
  );
  const producer = new Producer<number>(
    {
      client: kinesis,
      transport: sink.transport,
      stream: { streamName: sink.stream, streamARN: sink.streamArn },
      aggregation: { enabled: sink.aggregation.enabled, maxBytes: sink.aggregation.maxBytes, simdDigests: sink.aggregation.simdDigests },
      lingerMs: sink.lingerMs,
      concurrency: sink.concurrency,
      rateLimit: { enabled: sink.rateLimit.enabled, factor: sink.rateLimit.factor, recordsPerSec: sink.rateLimit.recordsPerSec, bytesPerSec: sink.rateLimit.bytesPerSec },
      // The spool holds records as long as it takes: the producer never gives up on one by age, so
      // a device's records are never reordered by a give-up-and-resend.
      recordTtlMs: 0,
      retry: { baseMs: sink.retry.baseMs, maxMs: sink.retry.maxMs },
      requestTimeoutMs: sink.requestTimeout,
      // The spool is the buffer; the producer only needs enough to keep its requests full (a
      // request of one 51,200-byte aggregate for each of 16 shards is ~800 KiB). More only holds
      // records (and the read chunks they point into) longer: 8 MiB cost ~30 MiB of peak RSS.
      maxBufferedRecords: 10_000,
      maxBufferedBytes: 2 * 1024 * 1024,
      clock,
    },
    shipper,
  );
  shipper.attach(producer);

  const intake = new Intake(
    envelope,
    keying,
    spool,
    {
      received: (source, n) => metrics.received.labels(source).inc(n),
      keyed: (n) => metrics.keyed.inc(n),
      rejected: (source, reason, raw, detail) => deadLetter.write(source, reason, raw, detail),
      spoolDropped: (n) => burst.warn('spool-drop', 'the spool dropped records (see shardwise_spool_dropped_total)', { records: n }),
    },
    clock,
  );
  const sourceSet = new SourceSet(buildSources(config, log), intake, log.child({ part: 'sources' }));
  const sources = sourceSet.list;
  let sinkUp = false;
  metrics.bind({
    producer: () => producer.stats(),
    spool: () => spool.stats(),
    queueDepth: () => producer.pendingRecords,
    deadLetter,
    sources,
    replay: () => shipper.replayStats(),
  });
  const serverFor = (m: MetricsConfig): MetricsServer | undefined =>
    m.enabled
      ? new MetricsServer({
          host: m.host,
          port: m.port,
          metrics: () => metrics.render(),
          ready: () => readiness(sources, sinkUp && shipper.sinkHealthy),
          status: () => metrics.status(),
          log: log.child({ part: 'metrics' }),
        })
      : undefined;
  const summaryFor = (intervalMs: number): SummaryLogger =>
    new SummaryLogger({ intervalMs, status: () => metrics.status(), log: log.child({ part: 'summary' }) });
  let metricsConfig = config.metrics;
  let summaryMs = config.metrics.summaryInterval;
  const server = new SwappablePart('metrics', serverFor(metricsConfig));
  const summary = new SwappablePart('summary', summaryFor(summaryMs));
  const live: LiveAgent = {
    sourceSet,
    buildSource: (s) => buildSource(s, config, log),
    setJsonSources: (names) => envelope.setJsonSources(names),
    async setMetrics(m) {
      const old = metricsConfig;
      await server.swap(serverFor(m), () => serverFor(old));
      metricsConfig = m;
    },
    forgetSource: (name) => metrics.sourceUp.remove(name),
    async setSummaryInterval(ms) {
      const old = summaryMs;
      await summary.swap(summaryFor(ms), () => summaryFor(old));
      summaryMs = ms;
    },
  };

  let mapWatch: NodeJS.Timeout | undefined;
  let stopping = false;
  const sinkPart: Part = {
    name: 'sink',
    async start() {
      // Balanced keying needs the shard map before the first record; other strategies let the
      // agent start offline (records wait in the spool until the stream answers).
      const started = producer.start().then(() => {
        sinkUp = true;
        keying.shardMapChanged(producer.shardMap());
        const ids = producer.shardMap()?.shards.map((s) => s.shardId) ?? [];
        metrics.shards.setOpenShards(ids);
      });
      if (keying.needsShardMap) await started;
      // Retryable errors are retried inside start(); what comes out is fatal (or the agent is stopping).
      else started.catch((err: unknown) => stopping || log.error({ err }, 'the Kinesis stream cannot be used'));
      mapWatch = setInterval(() => {
        const map = producer.shardMap();
        if (keying.shardMapChanged(map) && map) metrics.shards.setOpenShards(map.shards.map((s) => s.shardId));
      }, 1000);
      mapWatch.unref();
      await keying.start();
      shipper.start();
    },
    async stop() {
      stopping = true;
      if (mapWatch) clearInterval(mapWatch);
      await shipper.stop();
      // Flush for at most half the shutdown budget: with the uplink down nothing would ever drain,
      // and the spool must still get its turn to write out what it holds (spill mode).
      const flushMs = config.lifecycle.shutdownTimeout / 2;
      let timer: NodeJS.Timeout | undefined;
      const flushed = await Promise.race([
        producer.close().then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), flushMs))),
      ]);
      clearTimeout(timer);
      if (!flushed) {
        producer.abandon();
        log.warn({ pending: producer.pendingRecords }, 'Kinesis did not accept every record before shutdown; they stay in the spool and are sent after the restart');
      }
      await keying.stop();
      kinesis.destroy();
    },
  };
  const parts: Part[] = [
    { name: 'dead-letter', start: () => deadLetter.start(), stop: () => deadLetter.stop() },
    { name: 'envelope-seq', start: () => sequencer.start(), stop: () => sequencer.stop() },
    { name: 'spool', start: async () => void (await spool.open()), stop: () => spool.close() },
    sinkPart,
    server,
    summary,
    sourceSet,
  ];
  const stopOrder = ['sources', 'sink', 'spool', 'envelope-seq', 'dead-letter', 'summary', 'metrics'];
  return { parts, stopOrder, metrics, producer, spool, sources, intake, live, metricsPort: () => server.value?.port };
}

function readiness(sources: readonly Source[], sinkUp: boolean): { ok: boolean; reason?: string } {
  if (!sinkUp) return { ok: false, reason: 'sink: the Kinesis stream is not reachable or is failing' };
  const down = sources.filter((s) => !s.health().up);
  if (down.length > 0) return { ok: false, reason: `sources down: ${down.map((s) => `${s.name} (${s.health().state})`).join(', ')}` };
  return { ok: true };
}
