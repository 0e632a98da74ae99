/**
 * The long-outage scenario, shared by test/agent/outage.test.ts (short) and
 * bench/perf/agent-outage.ts (minutes): the agent as a real process takes MQTT QoS 1 load (real
 * mosquitto, persistent session) and ships it to kinesalite through the fault proxy; after a
 * warm-up the proxy makes Kinesis unreachable for `outageSec`, then forwards again. Sampled every
 * 250 ms from the agent's /status and /proc (VmRSS). At the end the stream is read back and
 * checked against the publisher's PUBACKs.
 *
 * Drain: from the first sample after recovery at which Kinesis accepted records again until the
 * spool is back under its pre-outage level. Two configured caps apply: the producer's per-shard
 * limiter (shards × `sink.rateLimit.bytesPerSec`, one second of burst) on everything, and the
 * replay pacer (`spool.replayShare` of that, 0.2 s of burst) on records that waited in the spool
 * more than 2 s; the agent reports the latter's limit and count on /status (`replay`).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import { deployedRuntimeEnv } from '../../bench/perf/deployed-runtime.ts';
import { startMqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import { tempStateDir } from './agent-fixture.ts';
import { startAgentProcess, type AgentProcess } from './agent-process.ts';
import { forwardAll } from './fault-deciders.ts';
import { startFaultProxy, type WholeRequestFault } from './fault-proxy.ts';
import { LOCAL_CREDENTIALS, localClient, readAll } from './kinesis-fixture.ts';
import { checkDelivery, startPublisher, type DeliveryCheck, type Publisher, type PublisherStats } from './mqtt-load.ts';

export interface OutageOptions {
  readonly ratePerSec?: number;
  readonly devices?: number;
  readonly payloadBytes?: number;
  readonly shards?: number;
  readonly warmupSec?: number;
  readonly outageSec: number;
  /** Publishing goes on this long after Kinesis is back (the drain interleaves with live data). */
  readonly afterSec?: number;
  /** How the proxy answers while Kinesis is "down": 'hang' (packets vanish: the default), 'http-503', 'reset'. */
  readonly fault?: WholeRequestFault;
  readonly spoolMode?: 'always' | 'spill';
  /** sink.rateLimit.bytesPerSec per shard, bytes (default 1 MiB, the agent's default). */
  readonly bytesPerSecPerShard?: number;
  /** Extra sink settings (requestTimeout, retry), as in the YAML file. */
  readonly sink?: Record<string, unknown>;
  /** Wait at most this long for the backlog to drain after recovery. */
  readonly drainTimeoutSec?: number;
  readonly log?: (line: string) => void;
}

export interface Sample {
  readonly t: number;
  readonly phase: 'warmup' | 'outage' | 'recovered';
  readonly rss: number;
  readonly received: number;
  readonly sent: number;
  /** Kinesis records accepted (a KPL aggregate counts once). */
  readonly kinesisRecords: number;
  /** Records inside the producer (added, no outcome yet). */
  readonly queueDepth: number;
  /** Backlog records passed through the replay pacer so far (0 without pacing). */
  readonly replayRecords: number;
  readonly spoolRecords: number;
  readonly spoolBytes: number;
}

export interface OutageResult {
  readonly published: number;
  readonly publishedPerSec: number;
  readonly acked: number;
  readonly check: DeliveryCheck;
  readonly outageSec: number;
  readonly receivedDuringOutage: number;
  /** /status spool at the end of the outage, and the size of the files in the spool directory then. */
  readonly spoolAtOutageEnd: { readonly records: number; readonly bytes: number; readonly diskBytes: number };
  readonly spoolPeakBytes: number;
  readonly spoolPeakRecords: number;
  readonly rssBefore: number;
  readonly rssDuringMin: number;
  readonly rssDuringMax: number;
  /** Highest RSS from recovery until the backlog drained. */
  readonly rssDrainMax: number;
  readonly rssAfter: number;
  /** Seconds from recovery until Kinesis accepted records again. */
  readonly resumeSec: number;
  /** Seconds from resumption until the spool was back under its pre-outage level. */
  readonly drainSec: number;
  /** User records accepted per second while draining (backlog and live together). */
  readonly drainRecordsPerSec: number;
  /** Payload + partition key bytes per second while draining. */
  readonly drainBytesPerSec: number;
  /** spool.replayShare and the backlog's byte-rate cap the agent reports (null without pacing). */
  readonly replay: { readonly share: number; readonly limitBytesPerSec: number; readonly bytesPerSec: number; readonly bytes: number; readonly allowedBytes: number } | null;
  /** shards × bytesPerSec (the configured per-shard rate limit, factor 1). */
  readonly capBytesPerSec: number;
  /** What the cap allows over the drain window: cap × (drain + 1 s burst) + one aggregate per shard. */
  readonly capBytesInDrain: number;
  readonly drainBytes: number;
  readonly samples: readonly Sample[];
}

const SAMPLE_MS = 250;

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) total += statSync(path.join(dir, name)).size;
  } catch {
    // no spool directory (memory mode)
  }
  return total;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[s.length >> 1] as number);
};

export async function runOutageScenario(o: OutageOptions): Promise<OutageResult> {
  const rate = o.ratePerSec ?? 2000;
  const devices = o.devices ?? 400;
  const payloadBytes = o.payloadBytes ?? 160;
  const shards = o.shards ?? 2;
  const warmupSec = o.warmupSec ?? 8;
  const afterSec = o.afterSec ?? 5;
  const bytesPerShard = o.bytesPerSecPerShard ?? 1024 * 1024; // the agent's default (the service limit)
  const log = o.log ?? (() => undefined);
  const kinesis = await startKinesalite({ streams: [{ name: 'outage', shards }] });
  const proxy = await startFaultProxy({ upstream: kinesis.endpoint, decideOps: ['PutRecords', 'ListShards', 'DescribeStreamSummary'] });
  const broker = await startMqttBroker({ maxInflightMessages: 1000 });
  const reader = localClient(kinesis.endpoint);
  const state = tempStateDir('shardwise-outage-');
  let agent: AgentProcess | undefined;
  let pub: Publisher | undefined;
  try {
    agent = await startAgentProcess({
      // The memory settings of the systemd unit (its NODE_OPTIONS and MALLOC_*): RSS then follows
      // what the agent holds, not V8 growing its young generation from 2 to 32 MiB as throughput
      // rises (on Node's defaults that alone moved RSS by more than 20 % between warm-up and drain).
      env: deployedRuntimeEnv(),
      dir: state.dir,
      config: {
        gatewayId: 'outage',
        stateDir: state.dir,
        sources: [
          { type: 'mqtt', name: 'sensors', url: broker.url, protocolVersion: 5, clientId: 'outage-agent', clean: false, maxInflight: 1000, topics: [{ filter: 'dev/+/t', qos: 1 }], deviceId: { fromTopic: 'dev/{device}/t' } },
        ],
        keying: { strategy: 'device' },
        sink: { type: 'kinesis', stream: 'outage', region: 'us-east-1', endpoint: proxy.endpoint, credentials: LOCAL_CREDENTIALS, rateLimit: { bytesPerSec: bytesPerShard }, ...o.sink },
        spool: { mode: o.spoolMode ?? 'spill' },
        log: { level: 'warn' },
      },
    });
    await agent.waitHealthy();
    const a = agent;
    pub = await startPublisher({ url: broker.url, devices, ratePerSec: rate, payloadBytes });
    const t0 = performance.now();
    const samples: Sample[] = [];
    let phase: Sample['phase'] = 'warmup';
    let replayLimit: { share: number; bytesPerSec: number } | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [st, rss] = await Promise.all([a.status(), a.rssBytes().catch(() => 0)]);
        if (st) {
          if (st.replay) replayLimit = { share: st.replay.share, bytesPerSec: st.replay.bytesPerSec };
          const sp = st.spool ?? { records: 0, bytes: 0 };
          samples.push({ t: (performance.now() - t0) / 1000, phase, rss, received: st.totals.received, sent: st.totals.sent, kinesisRecords: st.totals.kinesisRecords, queueDepth: st.queueDepth, replayRecords: st.replay?.backlogRecords ?? 0, spoolRecords: sp.records, spoolBytes: sp.bytes });
        }
        await sleep(SAMPLE_MS);
      }
    })();
    const last = (): Sample => samples[samples.length - 1] as Sample;
    await sleep(warmupSec * 1000);
    const pre = samples.filter((s) => s.t >= warmupSec / 2);
    log(`outage: warm-up done, ${last().sent} accepted, RSS ${(median(pre.map((s) => s.rss)) / 2 ** 20).toFixed(1)} MiB`);

    proxy.setDecider(() => ({ kind: o.fault ?? 'hang' }));
    phase = 'outage';
    await sleep(400); // one sample inside the outage
    const atStart = last();
    await sleep(o.outageSec * 1000 - 400);
    const atEnd = last();
    const diskAtEnd = dirBytes(path.join(state.dir, 'spool'));
    proxy.setDecider(forwardAll);
    phase = 'recovered';
    const tRecover = (performance.now() - t0) / 1000;
    log(`outage: ${o.outageSec} s over, spool ${atEnd.spoolRecords} records / ${(atEnd.spoolBytes / 2 ** 20).toFixed(1)} MiB`);

    const preSpool = Math.max(...pre.map((s) => s.spoolRecords));
    const drainDeadline = Date.now() + (o.drainTimeoutSec ?? 300) * 1000;
    let resumed: Sample | undefined;
    let drained: Sample | undefined;
    let pubStopped: Promise<PublisherStats> | undefined;
    while (drained === undefined && Date.now() < drainDeadline) {
      await sleep(SAMPLE_MS);
      if (pubStopped === undefined && (performance.now() - t0) / 1000 >= tRecover + afterSec) pubStopped = pub.stop();
      const s = last();
      if (s.phase !== 'recovered') continue;
      if (resumed === undefined && s.sent > atEnd.sent) resumed = s;
      if (resumed !== undefined && s !== resumed && s.spoolRecords <= preSpool) drained = s;
    }
    const stats: PublisherStats = await (pubStopped ?? pub.stop());
    // Everything the broker acknowledged reaches the agent and Kinesis; then a few seconds of "after".
    while (Date.now() < drainDeadline && !(last().received >= stats.acked && last().spoolRecords === 0)) await sleep(SAMPLE_MS);
    await sleep(3000);
    sampling = false;
    await sampler;
    const tail = samples.filter((s) => s.t >= (performance.now() - t0) / 1000 - 3.5);
    const code = await agent.stop();
    if (code !== 0) log(`outage: agent exit code ${String(code)}\n${agent.outputTail()}`);
    agent = undefined;
    const check = checkDelivery((await readAll(reader, 'outage')).records, pub);

    const during = samples.filter((s) => s.phase === 'outage');
    const drainSamples = samples.filter((s) => s.phase === 'recovered' && (drained === undefined || s.t <= drained.t));
    const r0 = resumed ?? atEnd;
    const r1 = drained ?? last();
    const drainSec = Math.max(1e-3, r1.t - r0.t);
    const perRecord = payloadBytes + 5; // partition key "dNNNN"
    const drainBytes = (r1.sent - r0.sent) * perRecord;
    const capBytesPerSec = shards * bytesPerShard;
    return {
      published: stats.published,
      publishedPerSec: stats.published / stats.seconds,
      acked: stats.acked,
      check,
      outageSec: o.outageSec,
      receivedDuringOutage: atEnd.received - atStart.received,
      spoolAtOutageEnd: { records: atEnd.spoolRecords, bytes: atEnd.spoolBytes, diskBytes: diskAtEnd },
      spoolPeakBytes: Math.max(...samples.map((s) => s.spoolBytes)),
      spoolPeakRecords: Math.max(...samples.map((s) => s.spoolRecords)),
      rssBefore: median(pre.map((s) => s.rss)),
      rssDuringMin: Math.min(...during.map((s) => s.rss)),
      rssDuringMax: Math.max(...during.map((s) => s.rss)),
      rssDrainMax: Math.max(...drainSamples.map((s) => s.rss)),
      rssAfter: median(tail.map((s) => s.rss)),
      resumeSec: r0.t - tRecover,
      drainSec,
      drainRecordsPerSec: (r1.sent - r0.sent) / drainSec,
      drainBytesPerSec: drainBytes / drainSec,
      capBytesPerSec,
      capBytesInDrain: capBytesPerSec * (drainSec + 1) + shards * 51_200,
      drainBytes,
      replay:
        replayLimit === undefined
          ? null
          : {
              share: replayLimit.share,
              limitBytesPerSec: replayLimit.bytesPerSec,
              bytesPerSec: ((r1.replayRecords - r0.replayRecords) * perRecord) / drainSec,
              bytes: (r1.replayRecords - r0.replayRecords) * perRecord,
              // the pacer's burst is 0.2 s; samples are taken 250 ms apart, so allow 0.5 s of slack more
              allowedBytes: replayLimit.bytesPerSec * (drainSec + 0.7),
            },
      samples,
    };
  } finally {
    await pub?.stop(1000);
    await agent?.kill9();
    reader.destroy();
    await broker.stop();
    await proxy.stop();
    await kinesis.stop();
    state.cleanup();
  }
}
