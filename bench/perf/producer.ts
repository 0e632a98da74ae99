/**
 * End-to-end producer throughput into kinesalite (4 shards, ~200-byte JSON records, 1,000 device
 * keys), with and without KPL aggregation. kinesalite runs in its own process; its CPU is reported
 * beside ours, because above ~15,000 entries/s the emulator, not the producer, is the bottleneck.
 * The per-shard rate limiter is off: kinesalite enforces no shard limits, and with it on 4 shards
 * would cap the run at 4 × 1,000 records/s (unaggregated) by design.
 */
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { Producer } from '../../agent/kinesis/producer.ts';
import type { ProducerOptions } from '../../agent/kinesis/producer-types.ts';
import { readStream } from '../../agent/kinesis/stream-reader.ts';
import { startKinesalite } from '../emulators/kinesalite.ts';
import { fmtRate, mdTable, median, runStandalone, type PerfSection } from './section.ts';

export interface ProducerRun {
  readonly recordsPerSec: number;
  readonly ourCpuSec: number;
  readonly kinesaliteCpuSec: number;
  readonly wallSec: number;
  readonly kinesisRecords: number;
}

export function telemetryPayloads(count: number, devices: number): { key: string; data: Buffer }[] {
  const out: { key: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const device = `device-${String(i % devices).padStart(6, '0')}`;
    const body = { device, seq: Math.floor(i / devices), ts: 1_763_800_000_000 + i, temp: 21.5, hum: 40.25, volt: 3.31, status: 'ok', fw: '1.4.2', site: 'plant-7', line: 'B' };
    out.push({ key: device, data: Buffer.from(JSON.stringify(body).padEnd(200, ' ')) });
  }
  return out;
}

export async function producerRun(
  records: readonly { key: string; data: Buffer }[],
  opts: Partial<ProducerOptions>,
  endpointOverride?: (endpoint: string) => Promise<{ endpoint: string; stop: () => Promise<void> }>,
  verify = false,
): Promise<ProducerRun & { failed: number; duplicatesPossible: number; failedByCode: Record<string, number>; readBack?: { records: number; duplicates: number; missing: number } }> {
  const kinesis = await startKinesalite({ streams: [{ name: 'perf', shards: 4 }] });
  const front = endpointOverride ? await endpointOverride(kinesis.endpoint) : { endpoint: kinesis.endpoint, stop: async () => undefined };
  const client = makeKinesisClient({ endpoint: front.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxSockets: 32, requestTimeoutMs: 5000 });
  try {
    let failed = 0;
    let multiAttempt = 0;
    const producer = new Producer<number>(
      { rateLimit: { enabled: false }, maxBufferedRecords: 20_000, ...opts, client, stream: { streamName: 'perf' } },
      { onAccepted: (_t, _s, _q, _sub, attempts) => void (attempts > 1 && multiAttempt++), onFailed: () => void failed++ },
    );
    await producer.start();
    const cpu0 = process.cpuUsage();
    const k0 = await kinesis.cpuSeconds();
    const t0 = performance.now();
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as { key: string; data: Buffer };
      if (!producer.add({ partitionKey: r.key, data: r.data }, i)) await producer.waitForCapacity();
    }
    await producer.close();
    const wallSec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const k1 = await kinesis.cpuSeconds();
    let readBack: { records: number; duplicates: number; missing: number } | undefined;
    if (verify) {
      const seen = new Set<string>();
      let dups = 0;
      let n = 0;
      await readStream({
        client,
        stream: { streamName: 'perf' },
        minCallIntervalMs: 0,
        onRecord: (r) => {
          n++;
          const id = Buffer.from(r.data).toString('latin1');
          if (seen.has(id)) dups++;
          seen.add(id);
        },
      });
      readBack = { records: n, duplicates: dups, missing: records.length - seen.size };
    }
    return {
      ...(readBack ? { readBack } : {}),
      recordsPerSec: records.length / wallSec,
      wallSec,
      ourCpuSec: (cpu.user + cpu.system) / 1e6,
      kinesaliteCpuSec: k1 - k0,
      kinesisRecords: producer.stats().kinesisRecordsAccepted,
      failedByCode: producer.stats().failedByCode,
      failed,
      duplicatesPossible: multiAttempt,
    };
  } finally {
    client.destroy();
    await front.stop();
    await kinesis.stop();
  }
}

export async function run(): Promise<PerfSection> {
  const runs = Number(process.env['PERF_RUNS'] ?? 3);
  const n = Number(process.env['PERF_RECORDS'] ?? 200_000);
  const records = telemetryPayloads(n, 1000);
  const variants: { name: string; opts: Partial<ProducerOptions>; records: number }[] = [
    { name: 'aggregation on (default: 1 aggregate per shard per request)', opts: { aggregation: { enabled: true } }, records: n },
    { name: 'aggregation on, 4 aggregates per shard per request', opts: { aggregation: { enabled: true }, maxEntriesPerShardPerRequest: 4 }, records: n },
    { name: 'aggregation off', opts: { aggregation: { enabled: false }, concurrency: 8 }, records: Math.min(n, 100_000) },
  ];
  const results = new Map<string, (ProducerRun & { failed: number })[]>();
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const res = await producerRun(records.slice(0, v.records), v.opts);
      if (res.failed > 0) throw new Error(`${v.name}: ${res.failed} records failed: ${JSON.stringify(res.failedByCode)}`);
      results.set(v.name, [...(results.get(v.name) ?? []), res]);
    }
  }
  const rows = variants.map((v) => {
    const rs = results.get(v.name) ?? [];
    const rate = median(rs.map((x) => x.recordsPerSec));
    const ours = median(rs.map((x) => x.ourCpuSec / x.wallSec));
    const theirs = median(rs.map((x) => x.kinesaliteCpuSec / x.wallSec));
    return [
      v.name,
      v.records.toLocaleString('en'),
      `${fmtRate(rate)}/s`,
      median(rs.map((x) => x.kinesisRecords)).toLocaleString('en'),
      `${(ours * 100).toFixed(0)} %`,
      `${(theirs * 100).toFixed(0)} %`,
      `${((median(rs.map((x) => x.ourCpuSec)) / v.records) * 1e6).toFixed(1)} s`,
    ];
  });
  return {
    title: 'Producer throughput into kinesalite (4 shards, 200-byte JSON, 1,000 device keys)',
    command: 'npx tsx bench/perf/producer.ts   (PERF_RUNS, PERF_RECORDS to change the size)',
    markdown: `${mdTable(['variant', 'user records', 'user records/s (median)', 'Kinesis records', 'producer CPU (of one core)', 'kinesalite CPU (of one core)', 'producer CPU-s per million records'], rows)}

Median of ${runs} runs per variant, variants interleaved, a fresh kinesalite per run. The per-shard
rate limiter is off (kinesalite enforces no limits). When kinesalite's CPU is near 100 % of a core
and ours is well below, kinesalite is the bottleneck, not the producer.`,
  };
}

void runStandalone(import.meta.url, run);
