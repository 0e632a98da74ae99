/**
 * shardwise-bench against real servers, through its CLI exactly as a user runs it: MQTT publish
 * rate into mosquitto at QoS 0 and QoS 1 (4 connections, many publishes in flight), and
 * PutRecords into kinesalite (4 shards, through the agent's producer, aggregation on and off).
 * Each run offers more than the target can take (open loop) for 10 s; the achieved rate is what
 * was acknowledged, and the report says how far behind the schedule the target fell.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startKinesalite } from '../emulators/kinesalite.ts';
import { startMqttBroker } from '../emulators/mqtt-broker.ts';
import { fmtRate, mdTable, median, runStandalone, type PerfSection } from './section.ts';

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../../scenarios/smart-meters-1m.yaml', import.meta.url));
const run$ = promisify(execFile);

interface Report {
  rate: { target: number; achieved: number };
  records: { acked: number; droppedLate: number; droppedBacklog: number; failed: number };
  latency: { ms: { p50: number; p99: number } };
}

async function benchRun(target: string, rate: number, dir: string): Promise<Report> {
  const report = path.join(dir, `r-${Date.now()}.json`);
  await run$(process.execPath, [BIN, 'run', '--scenario', SCENARIO, '--target', target, '--devices', '20000', '--rate', String(rate), '--duration', '10s', '--report', report, '--quiet', '--no-replay'], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 120_000,
  });
  return JSON.parse(readFileSync(report, 'utf8')) as Report;
}

export async function run(): Promise<PerfSection> {
  const runs = Number(process.env['PERF_RUNS'] ?? 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardwise-bench-targets-'));
  const rows: (string | number)[][] = [];
  try {
    const broker = await startMqttBroker();
    try {
      for (const qos of [0, 1]) {
        const url = `${broker.url}/meters/{device}/reading?qos=${qos}&connections=4`;
        const rs: Report[] = [];
        for (let i = 0; i < runs; i++) rs.push(await benchRun(url, 100_000, dir));
        rows.push(row(`mqtt:// ${broker.kind}, QoS ${qos}, 4 connections`, rs));
      }
    } finally {
      await broker.stop();
    }
    for (const aggregation of ['on', 'off']) {
      const rs: Report[] = [];
      for (let i = 0; i < runs; i++) {
        const kinesis = await startKinesalite({ streams: [{ name: 'bench', shards: 4 }] });
        try {
          rs.push(await benchRun(`kinesis://bench?endpoint=${encodeURIComponent(kinesis.endpoint)}&region=us-east-1&aggregation=${aggregation}&rateLimit=off`, aggregation === 'on' ? 100_000 : 20_000, dir));
        } finally {
          await kinesis.stop();
        }
      }
      rows.push(row(`kinesis:// kinesalite, 4 shards, aggregation ${aggregation}`, rs));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'shardwise-bench against real servers: MQTT publish rate and PutRecords throughput',
    command: 'npx tsx bench/perf/bench-targets.ts   (PERF_RUNS)',
    markdown: `${mdTable(['target', 'offered records/s', 'acknowledged records/s (median)', 'latency p50 / p99 from the intended time', 'dropped late or backlog full (median)'], rows)}

\`shardwise-bench run --scenario scenarios/smart-meters-1m.yaml --devices 20000 --rate R --duration 10s\`, ${runs} runs
per row, servers started fresh on 127.0.0.1 (mosquitto, kinesalite) on this 2-core machine: the bench,
the broker or emulator share the two cores. The offered rate is above what each target takes, so the
acknowledged rate is the target's capacity as the bench drives it, and the latency shows the backlog
that builds up (open loop: the schedule never slows down).`,
  };
}

function row(name: string, rs: Report[]): (string | number)[] {
  const achieved = median(rs.map((r) => r.rate.achieved));
  const p50 = median(rs.map((r) => r.latency.ms.p50));
  const p99 = median(rs.map((r) => r.latency.ms.p99));
  const dropped = median(rs.map((r) => r.records.droppedLate + r.records.droppedBacklog));
  return [name, fmtRate(rs[0]?.rate.target ?? 0), `${fmtRate(achieved)}/s`, `${p50.toFixed(0)} / ${p99.toFixed(0)} ms`, dropped.toLocaleString('en')];
}

void runStandalone(import.meta.url, run);
