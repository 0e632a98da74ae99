/**
 * One step of bench/perf/agent-mqtt.ts: a fresh mosquitto and kinesalite, N agents, publishers
 * offering `rate` msg/s for warm-up + window seconds; figures are taken over the window only, then
 * the agents drain and the stream is read back (every published id present? duplicates? publish →
 * stream-arrival latency).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStream } from '../../agent/kinesis/stream-reader.ts';
import { startKinesalite } from '../emulators/kinesalite.ts';
import { adminClient } from '../emulators/local-kinesis.ts';
import { startMqttBroker } from '../emulators/mqtt-broker.ts';
import { processCpuSeconds } from '../emulators/process-cpu.ts';
import { AgentProc, PublisherProc, memOf, type LatencyBuckets } from './agent-mqtt-procs.ts';
import { machineBusySeconds } from './machine-load.ts';

export interface StepOptions {
  readonly agents: number;
  readonly rate: number;
  readonly warmupSec: number;
  readonly windowSec: number;
  readonly shards: number;
  readonly payload: 'json' | 'raw';
  /** The MQTT source's maxInflight; the schema default (100) when absent. */
  readonly maxInflight?: number | undefined;
  /** Shared subscription even for one agent (scaling runs). */
  readonly shared: boolean;
}

export interface StepResult {
  readonly opts: StepOptions;
  /** Messages/s the publishers got PUBACKed by the broker over the window. */
  readonly publishedRate: number;
  /** User records/s Kinesis accepted over the window (all agents). */
  readonly achievedRate: number;
  /** Published by schedule minus accepted by Kinesis, at the end of the window (all agents). */
  readonly backlogEnd: number;
  readonly backlogStart: number;
  /** Largest backlog seen through the window (sampled every 500 ms, and at its start and end). */
  readonly backlogMax: number;
  readonly publisherMaxLagMs: number;
  /** Seconds from the publishers' last message until Kinesis accepted everything (NaN: never). */
  readonly drainSec: number;
  readonly published: number;
  readonly missing: number;
  readonly duplicates: number;
  /** Per agent: share of one core over the window, peak RSS (VmHWM), RSS at the end of the window. */
  readonly agentCpu: number[];
  readonly agentPeakRss: number[];
  readonly agentRssEnd: number[];
  /** RSS when the measured window began (after the warm-up): with agentRssEnd, the drift under steady load. */
  readonly agentRssStart: number[];
  /** RSS once connected and healthy, before any message. */
  readonly agentRssIdle: number[];
  /** Received per agent over the window (how the shared subscription split the load). */
  readonly agentReceived: number[];
  readonly mosquittoCpu: number;
  readonly kinesaliteCpu: number;
  readonly publisherCpu: number;
  /** Cores busy on the whole machine over the window beyond all of the above and this process (other users). */
  readonly otherCpu: number;
  /** Ingest → Kinesis-ack histogram over the window (bucket bounds, ms). */
  readonly ackP50: number;
  readonly ackP99: number;
  /** Share of the window's acks that came within 150 ms of ingest (the p99 goal). */
  readonly ackWithin150: number;
  /** Publish → ApproximateArrivalTimestamp over the window, ms. */
  readonly e2eP50: number;
  readonly e2eP99: number;
  readonly sustained: boolean;
  readonly why: string;
}

const DEVICES = 1000;
const BYTES = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantileBound(h: LatencyBuckets, q: number): number {
  const total = h.counts.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < h.counts.length; i++) {
    acc += h.counts[i] as number;
    if (acc >= q * total && total > 0) return h.bounds[i] as number;
  }
  return Number.NaN;
}

function shareWithin(h: LatencyBuckets, bound: number): number {
  const total = h.counts.reduce((a, b) => a + b, 0);
  let within = 0;
  h.bounds.forEach((b, i) => (within += b <= bound ? (h.counts[i] as number) : 0));
  return total > 0 ? within / total : Number.NaN;
}

function subtract(a: LatencyBuckets[], b: LatencyBuckets[]): LatencyBuckets {
  const bounds = a[0]?.bounds ?? [];
  const counts = bounds.map((_, i) => b.reduce((s, h) => s + (h.counts[i] ?? 0), 0) - a.reduce((s, h) => s + (h.counts[i] ?? 0), 0));
  return { bounds, counts };
}

interface CpuSnap {
  readonly cpu: number[];
  readonly mosq: number;
  readonly kin: number;
  readonly pub: number;
  readonly self: NodeJS.CpuUsage;
  readonly machine: number;
}

function otherCores(a: CpuSnap, b: CpuSnap, win: number): number {
  const ours =
    b.cpu.reduce((s, x, i) => s + x - (a.cpu[i] as number), 0) + (b.mosq - a.mosq) + (b.kin - a.kin) + (b.pub - a.pub) +
    (b.self.user + b.self.system - a.self.user - a.self.system) / 1e6;
  return Math.max(0, (b.machine - a.machine - ours) / win);
}

function msQuantile(bins: Uint32Array, q: number): number {
  let total = 0;
  for (const c of bins) total += c;
  let acc = 0;
  for (let i = 0; i < bins.length; i++) {
    acc += bins[i] as number;
    if (acc >= q * total && total > 0) return i;
  }
  return Number.NaN;
}

export async function runStep(o: StepOptions): Promise<StepResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardwise-agent-mqtt-'));
  const broker = await startMqttBroker();
  const kinesis = await startKinesalite({ streams: [{ name: 'perf', shards: o.shards }] });
  const agents: AgentProc[] = [];
  const pubs: PublisherProc[] = [];
  try {
    if (broker.kind !== 'mosquitto') throw new Error('this benchmark needs mosquitto (MQTT 5 shared subscriptions)');
    const filter = o.agents > 1 || o.shared ? '$share/agents/devices/+/telemetry' : 'devices/+/telemetry';
    for (let i = 0; i < o.agents; i++) {
      agents.push(await AgentProc.start({ index: i, brokerUrl: broker.url, kinesisEndpoint: kinesis.endpoint, stream: 'perf', filter, payload: o.payload, maxInflight: o.maxInflight, parentDir: dir }));
    }
    const seconds = o.warmupSec + o.windowSec;
    const nPubs = Math.max(1, Math.ceil(o.rate / 50_000));
    const perPub = o.rate / nPubs;
    for (let p = 0; p < nPubs; p++) pubs.push(new PublisherProc({ url: broker.url, rate: perPub, seconds, pub: p, devices: DEVICES, connections: 2, bytes: BYTES }));
    await Promise.race([Promise.all(pubs.map((p) => p.ready)), Promise.all(pubs.map((p) => p.finished))]);
    const rssIdle = agents.map((ag) => memOf(ag.pid).rss);
    const sentSum = async (): Promise<number[]> => Promise.all(agents.map(async (ag) => (await ag.totals()).sent));
    const snapshot = async () => {
      for (const ag of agents) ag.assertRunning();
      return snapshotNow();
    };
    const snapshotNow = async () => ({
      t: performance.now(),
      totals: await Promise.all(agents.map((a) => a.totals())),
      cpu: await Promise.all(agents.map((a) => processCpuSeconds(a.pid))),
      lat: await Promise.all(agents.map((a) => a.latency())),
      mosq: await processCpuSeconds(broker.pid),
      kin: await kinesis.cpuSeconds(),
      pub: (await Promise.all(pubs.map((p) => processCpuSeconds(p.pid)))).reduce((a, b) => a + b, 0),
      rss: agents.map((a) => memOf(a.pid).rss),
      self: process.cpuUsage(),
      machine: machineBusySeconds(),
    });
    const t0 = performance.now();
    for (const p of pubs) p.go();
    const scheduled = (t: number): number => Math.min(o.rate * seconds, (o.rate * (t - t0)) / 1000);
    const peak = agents.map(() => 0);
    const track = setInterval(() => agents.forEach((a, i) => (peak[i] = Math.max(peak[i] as number, memOf(a.pid).hwm))), 250);
    await sleep(o.warmupSec * 1000);
    const a = await snapshot();
    // the backlog (published by schedule, not yet accepted by Kinesis) every 500 ms through the window
    let backlogMax = 0;
    const windowEnd = t0 + seconds * 1000;
    while (performance.now() < windowEnd - 100) {
      await sleep(Math.min(500, windowEnd - 100 - performance.now()));
      const sent = await sentSum();
      backlogMax = Math.max(backlogMax, scheduled(performance.now()) - sent.reduce((x, y) => x + y, 0));
    }
    await sleep(Math.max(0, windowEnd - performance.now()));
    const b = await snapshot();
    await Promise.all(pubs.map((p) => p.finished));
    const tEnd = performance.now();
    const published = pubs.reduce((s, p) => s + p.progress.acked, 0);
    let accepted = 0;
    const drainDeadline = Date.now() + 60_000;
    while ((accepted = (await sentSum()).reduce((x, y) => x + y, 0)) < published && Date.now() < drainDeadline) await sleep(50);
    const drainSec = accepted >= published ? (performance.now() - tEnd) / 1000 : Number.NaN;
    clearInterval(track);
    agents.forEach((ag, i) => (peak[i] = Math.max(peak[i] as number, memOf(ag.pid).hwm)));
    const check = await readBack(kinesis.endpoint, pubs.map((p) => p.progress.acked), perPub, o.warmupSec, seconds);
    const win = (b.t - a.t) / 1000;
    const sum = (xs: { sent: number }[]): number => xs.reduce((s, x) => s + x.sent, 0);
    const backlogStart = scheduled(a.t) - sum(a.totals);
    const backlogEnd = scheduled(b.t) - sum(b.totals);
    const lat = subtract(a.lat, b.lat);
    const achievedRate = (sum(b.totals) - sum(a.totals)) / win;
    const maxLag = Math.max(...pubs.map((p) => p.progress.maxLagMs));
    const problems: string[] = [];
    if (check.missing > 0) problems.push(`${check.missing} lost`);
    if (check.foreign > 0) problems.push(`${check.foreign} records in the stream that no publisher had PUBACKed`);
    if (published < o.rate * seconds) problems.push(`publishers got ${published} of ${o.rate * seconds} PUBACKs`);
    if (maxLag > 250) problems.push(`publisher fell ${maxLag} ms behind`);
    if (achievedRate < 0.97 * o.rate) problems.push(`accepted ${Math.round(achievedRate)}/s < 97 % of offered`);
    backlogMax = Math.max(backlogMax, backlogStart, backlogEnd);
    if (backlogMax > o.rate / 2) problems.push(`backlog reached ${Math.round(backlogMax)} (> 0.5 s of traffic)`);
    if (Number.isNaN(drainSec)) problems.push('did not drain in 60 s');
    return {
      opts: o,
      publishedRate: o.rate,
      achievedRate,
      backlogStart,
      backlogEnd,
      backlogMax,
      publisherMaxLagMs: maxLag,
      drainSec,
      published,
      missing: check.missing,
      duplicates: check.duplicates,
      agentCpu: agents.map((_, i) => ((b.cpu[i] as number) - (a.cpu[i] as number)) / win),
      agentPeakRss: peak,
      agentRssEnd: b.rss,
      agentRssStart: a.rss,
      agentRssIdle: rssIdle,
      agentReceived: agents.map((_, i) => ((b.totals[i]?.received ?? 0) - (a.totals[i]?.received ?? 0)) / win),
      mosquittoCpu: (b.mosq - a.mosq) / win,
      kinesaliteCpu: (b.kin - a.kin) / win,
      publisherCpu: (b.pub - a.pub) / win,
      otherCpu: otherCores(a, b, win),
      ackP50: quantileBound(lat, 0.5),
      ackP99: quantileBound(lat, 0.99),
      ackWithin150: shareWithin(lat, 150),
      e2eP50: msQuantile(check.e2e, 0.5),
      e2eP99: msQuantile(check.e2e, 0.99),
      sustained: problems.length === 0,
      why: problems.join('; '),
    };
  } finally {
    await Promise.all(pubs.map((p) => p.stop()));
    await Promise.all(agents.map((a) => a.stop()));
    await kinesis.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads the stream back: every PUBACKed id present once? Publish → arrival latency inside the window. */
async function readBack(endpoint: string, acked: number[], perPub: number, warmupSec: number, seconds: number) {
  const seen = acked.map((n) => new Uint8Array(n));
  const e2e = new Uint32Array(60_001);
  const lo = perPub * warmupSec;
  const hi = perPub * seconds;
  let duplicates = 0;
  let foreign = 0;
  const client = adminClient(endpoint);
  try {
    await readStream({
      client,
      stream: { streamName: 'perf' },
      minCallIntervalMs: 0,
      onRecord: (r) => {
        const head = Buffer.from(r.data.buffer, r.data.byteOffset, Math.min(64, r.data.length)).toString('latin1');
        const m = /^\{"pub":(\d+),"seq":(\d+),"ts":(\d+),/.exec(head);
        const s = m ? seen[Number(m[1])] : undefined;
        const seq = Number(m?.[2]);
        if (m === null || s === undefined || seq >= s.length) return void foreign++;
        if (s[seq] === 1) duplicates++;
        s[seq] = 1;
        if (seq >= lo && seq < hi) {
          const ms = Math.max(0, Math.min(60_000, Math.round(r.arrivalTime - Number(m[3]))));
          e2e[ms] = (e2e[ms] as number) + 1;
        }
      },
    });
  } finally {
    client.destroy();
  }
  let missing = 0;
  for (const s of seen) for (const v of s) if (v === 0) missing++;
  return { missing, duplicates, foreign, e2e };
}
