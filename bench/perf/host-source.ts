/**
 * Cost of one host-health sample: our readers (/proc files + statfs) against the
 * systeminformation calls that gather the same figures. CPU includes child processes
 * (systeminformation spawns shells), read from /proc/self/stat; "event loop blocked" is the longest
 * synchronous stretch seen by a 1 ms timer while sampling (execSync blocks it).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import si from 'systeminformation';
import { HostSource } from '../../agent/sources/host/host-source.ts';
import { mdTable, median, runStandalone, type PerfSection } from './section.ts';

const K = Number(process.env['HOST_BENCH_SAMPLES'] ?? 12);
/** Spacing between calls: si.currentLoad() re-reads /proc/stat (with execSync) only when 200 ms passed. */
const GAP_MS = 250;

/** CPU seconds of reaped child processes (Linux /proc/self/stat cutime + cstime; 10 ms ticks); 0 elsewhere. */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the ')' the fields start at #3 (state): cutime (#16) and cstime (#17) are at 13 and 14
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

async function measure(fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number; blockedMs: number }> {
  await fn(); // warm-up (and baselines)
  const walls: number[] = [];
  let cpuMicros = 0;
  let childSecs = 0;
  let maxGap = 0;
  for (let i = 0; i < K; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS));
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 1);
    const k0 = childCpuSeconds();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    childSecs += childCpuSeconds() - k0;
    cpuMicros += c.user + c.system;
    maxGap = Math.max(maxGap, performance.now() - last);
    clearInterval(probe);
  }
  return { wallMs: median(walls), cpuMs: (cpuMicros / 1000 + childSecs * 1000) / K, blockedMs: maxGap };
}

export async function run(): Promise<PerfSection> {
  const host = new HostSource({ name: 'host', gatewayId: 'gw', intervalMs: 1000, diskPath: tmpdir() });
  const cases: [string, () => Promise<unknown>][] = [
    ['HostSource.sample() (all figures)', () => host.sample()],
    ['si.currentLoad()', () => si.currentLoad()],
    ['si.cpuTemperature()', () => si.cpuTemperature()],
    ['si.mem()', () => si.mem()],
    ["si.fsSize()", () => si.fsSize()],
    ["si.networkStats('*')", () => si.networkStats('*')],
    ['si.time() (uptime)', () => Promise.resolve(si.time())],
  ];
  const rows: (string | number)[][] = [];
  for (const [label, fn] of cases) {
    const m = await measure(fn);
    rows.push([label, m.wallMs.toFixed(2), m.cpuMs.toFixed(2), m.blockedMs.toFixed(1)]);
  }
  return {
    title: 'Host-health sample cost',
    command: 'npx tsx bench/perf/host-source.ts',
    markdown: [
      mdTable(['call', 'wall ms (median)', 'CPU ms per call (incl. children)', 'longest event-loop stall ms'], rows),
      '',
      `${K} calls each, ${GAP_MS} ms apart. The host source reads /proc and statfs directly; the systeminformation calls that spawn ` +
        'shells are shown for comparison (on a Raspberry Pi, process spawning is several times slower than here).',
    ].join('\n'),
  };
}

void runStandalone(import.meta.url, run);
