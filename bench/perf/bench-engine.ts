/**
 * The bench engine itself: memory per simulated device (RSS, measured in a fresh child process
 * per fleet size, beside the typed-array bytes the engine accounts for), records per CPU-second
 * generated + keyed + modelled into model:// in virtual time, and the payload template encoder
 * against JSON.stringify + Buffer.from. Rates use the process's CPU time (user + system): the
 * machine is shared, and CPU time is what a core costs; medians of several runs.
 */
import { execFileSync } from 'node:child_process';
import { DeviceAttributes } from '../engine/attributes.ts';
import { DEFAULT_PAYLOAD } from '../engine/config.ts';
import { DevicePattern } from '../engine/device-pattern.ts';
import { Engine } from '../engine/engine.ts';
import { JsonPayload } from '../engine/payload.ts';
import { Prng } from '../engine/prng.ts';
import { ModelTarget } from '../targets/model-target.ts';
import type { PerfSection } from './section.ts';
import { fmtRate, mdTable, median, runStandalone } from './section.ts';

const RUNS = 3;

interface MemoryFigures {
  readonly devices: number;
  readonly keying: string;
  readonly rssBytesPerDevice: number;
  readonly heapBytesPerDevice: number;
  readonly arrayBytesPerDevice: number;
  readonly setupMs: number;
}

/**
 * Runs in a child process: builds a fleet of N devices and runs one virtual second in which every
 * device sends exactly once (so every per-device array is touched), then prints the memory growth.
 */
export async function childMemory(devices: number, keying: 'device' | 'balanced'): Promise<MemoryFigures> {
  global.gc?.();
  const base = process.memoryUsage();
  const t0 = performance.now();
  const e = new Engine(
    { fleet: { devices }, rate: { recordsPerSec: devices, arrivals: 'constant' }, durationMs: 1000, keying: { kind: keying }, mode: 'virtual' },
    { target: new ModelTarget({ shards: 64 }) },
  );
  await e.run();
  const setupMs = performance.now() - t0;
  global.gc?.();
  const m = process.memoryUsage();
  const figures: MemoryFigures = {
    devices,
    keying,
    rssBytesPerDevice: (m.rss - base.rss) / devices,
    heapBytesPerDevice: (m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers) / devices,
    arrayBytesPerDevice: e.bytesPerDevice(),
    setupMs,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  return figures;
}

function measureMemory(devices: number, keying: 'device' | 'balanced'): MemoryFigures {
  const code = `import(${JSON.stringify(import.meta.url)}).then((m) => m.childMemory(${devices}, ${JSON.stringify(keying)}))`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '--eval', code], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as MemoryFigures;
}

async function modelRate(keying: 'device' | 'balanced', aggregate: boolean): Promise<{ cpu: number; wall: number }> {
  const cpus: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const target = new ModelTarget({ shards: 64, aggregate });
    const e = new Engine(
      { seed: i + 1, fleet: { devices: 100_000 }, rate: { recordsPerSec: 1_000_000, popularity: { kind: 'zipf', s: 1 } }, durationMs: 3000, keying: { kind: keying }, mode: 'virtual' },
      { target },
    );
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await e.run();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpus.push(r.counts.generated / ((c.user + c.system) / 1e6));
    walls.push(r.counts.generated / (wall / 1000));
  }
  return { cpu: median(cpus), wall: median(walls) };
}

function encoderRates(): { template: number; stringify: number } {
  const n = 300_000;
  const ids = new DevicePattern('meter-{n:08}', 100_000);
  const enc = new JsonPayload(DEFAULT_PAYLOAD as Extract<typeof DEFAULT_PAYLOAD, { kind: 'json' }>, ids, new DeviceAttributes([], 1, 0), new Prng(1));
  const buf = new Uint8Array(n * 160);
  const rng = new Prng(2);
  const statuses = ['ok', 'warn', 'fault'];
  const t: number[] = [];
  const j: number[] = [];
  let sink = 0;
  for (let run = 0; run < RUNS + 1; run++) {
    let c0 = process.cpuUsage();
    let p = 0;
    for (let i = 0; i < n; i++) p += enc.encode(i % 100_000, i, 1.7e15 + i * 1000, buf, p);
    let c = process.cpuUsage(c0);
    if (run > 0) t.push(n / ((c.user + c.system) / 1e6));
    sink += p;
    c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const o = { device: ids.idOf(i % 100_000), seq: i, ts: 1.7e15 + i * 1000, temp: Math.round((21 + 3 * rng.normal()) * 100) / 100, humidity: Math.round((20 + 60 * rng.next()) * 10) / 10, status: statuses[rng.int(3)] };
      sink += Buffer.from(JSON.stringify(o)).length;
    }
    c = process.cpuUsage(c0);
    if (run > 0) j.push(n / ((c.user + c.system) / 1e6));
  }
  if (sink < 0) throw new Error('unreachable');
  return { template: median(t), stringify: median(j) };
}

export async function run(): Promise<PerfSection> {
  const mem = [measureMemory(1_000_000, 'device'), measureMemory(1_000_000, 'balanced'), measureMemory(10_000_000, 'device')];
  const dev = await modelRate('device', false);
  const bal = await modelRate('balanced', false);
  const agg = await modelRate('device', true);
  const enc = encoderRates();
  const memTable = mdTable(
    ['devices', 'keying', 'RSS growth / device', 'heap + buffers / device', 'typed arrays / device (accounted)', 'setup + 1 record per device'],
    mem.map((m) => [m.devices.toLocaleString('en'), m.keying, `${m.rssBytesPerDevice.toFixed(1)} B`, `${m.heapBytesPerDevice.toFixed(1)} B`, `${m.arrayBytesPerDevice} B`, `${(m.setupMs / 1000).toFixed(1)} s`]),
  );
  const rateTable = mdTable(
    ['into model:// (64 shards, 100k devices, Zipf 1, virtual time)', 'records / CPU-second', 'records / wall-second'],
    [
      ['device keying', fmtRate(dev.cpu), fmtRate(dev.wall)],
      ['balanced keying', fmtRate(bal.cpu), fmtRate(bal.wall)],
      ['device keying, aggregation model', fmtRate(agg.cpu), fmtRate(agg.wall)],
    ],
  );
  const encTable = mdTable(
    ['JSON payload (device, seq, ts µs, 3 generated fields)', 'records / CPU-second'],
    [
      ['template with slots (bench/engine/payload.ts)', fmtRate(enc.template)],
      ['object + JSON.stringify + Buffer.from', fmtRate(enc.stringify)],
      ['ratio', `${(enc.template / enc.stringify).toFixed(1)}×`],
    ],
  );
  return {
    title: 'Bench engine: memory per device and model throughput',
    command: 'npx tsx bench/perf/bench-engine.ts',
    markdown: [
      memTable,
      '',
      'Each fleet is built in a fresh child process and every device sends one record (all per-device arrays touched); RSS growth includes the V8 heap, the calendar wheel, batches and the model. The goal is ≤ 100 bytes per device (10 M devices ≤ 1.5 GB).',
      '',
      rateTable,
      '',
      `Generated (Poisson arrivals, JSON payload sizes drawn per record), keyed and modelled (token buckets per shard), medians of ${RUNS} runs of 3 M records. The goal is ≥ 1 M records/s per core.`,
      '',
      encTable,
    ].join('\n'),
  };
}

void runStandalone(import.meta.url, run);
