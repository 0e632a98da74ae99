/**
 * Cheap readers of the host's health figures.
 *
 * On Linux each figure is one small file read (/proc/stat, /proc/meminfo, /proc/net/dev, a thermal
 * zone) plus one statfs(2) for the disk: systeminformation's `currentLoad`, `cpuTemperature`,
 * `networkStats` and `fsSize` spawn shells (`execSync('cat /proc/stat | grep cpu')` blocks the event
 * loop; `df`, `cat` per interface, `sensors`), which on a Raspberry Pi costs tens of ms per sample
 * and stalls the MQTT intake sharing the event loop (bench/perf/host-source.ts measures both).
 * Elsewhere (macOS development machines) systeminformation is used.
 */
import { readFile, readdir, statfs } from 'node:fs/promises';
import { cpus, uptime } from 'node:os';
import type { Systeminformation } from 'systeminformation';

/** systeminformation is loaded on first use only (off Linux): it costs ~10 MB of memory to load. */
let siModule: Promise<typeof import('systeminformation')> | undefined;
const loadSi = (): Promise<typeof import('systeminformation')> => (siModule ??= import('systeminformation'));
type Si = { mem(): Promise<Systeminformation.MemData>; networkStats(i: string): Promise<Systeminformation.NetworkStatsData[]>; cpuTemperature(): Promise<Systeminformation.CpuTemperatureData> };
async function si(): Promise<Si> {
  const m = await loadSi();
  return (m as unknown as { default?: Si }).default ?? (m as unknown as Si);
}

const LINUX = process.platform === 'linux';

export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Aggregate CPU time counters (any unit: only ratios of differences are used). */
export async function readCpuTimes(): Promise<CpuTimes> {
  if (LINUX) {
    const text = await readFile('/proc/stat', 'latin1');
    const line = text.slice(0, text.indexOf('\n')); // "cpu  user nice system idle iowait irq softirq steal ..."
    const f = line.trim().split(/\s+/);
    let total = 0;
    for (let i = 1; i <= 8 && i < f.length; i++) total += Number(f[i]);
    const idle = Number(f[4]) + Number(f[5] ?? 0);
    return { busy: total - idle, total };
  }
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Percentage of CPU time busy between two readings; null when no time passed. */
export function cpuLoadPct(prev: CpuTimes, now: CpuTimes): number | null {
  const dt = now.total - prev.total;
  if (dt <= 0) return null;
  return Math.round(((now.busy - prev.busy) / dt) * 1000) / 10;
}

export interface MemInfo {
  readonly usedBytes: number;
  readonly totalBytes: number;
}

/** Used = total − available (what applications could still get without swapping). */
export async function readMemory(): Promise<MemInfo> {
  if (LINUX) {
    const text = await readFile('/proc/meminfo', 'latin1');
    const total = kib(text, 'MemTotal:');
    const avail = kib(text, 'MemAvailable:');
    return { usedBytes: total - avail, totalBytes: total };
  }
  const m = await (await si()).mem();
  return { usedBytes: m.total - m.available, totalBytes: m.total };
}

function kib(text: string, key: string): number {
  const at = text.indexOf(key);
  if (at < 0) return 0;
  return Number.parseInt(text.slice(at + key.length, text.indexOf('\n', at)), 10) * 1024;
}

export interface DiskInfo {
  readonly path: string;
  readonly usedBytes: number;
  readonly availBytes: number;
  readonly totalBytes: number;
  /** As `df` shows it: used / (used + available to unprivileged users). */
  readonly usedPct: number;
}

/** Usage of the filesystem holding `path` (the spool volume): one statfs(2), any platform. */
export async function readDisk(path: string): Promise<DiskInfo> {
  const s = await statfs(path);
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  const usedPct = used + avail > 0 ? Math.round((used / (used + avail)) * 1000) / 10 : 0;
  return { path, usedBytes: used, availBytes: avail, totalBytes: s.blocks * s.bsize, usedPct };
}

/** Cumulative received/transmitted bytes per interface (loopback excluded). */
export type NetCounters = Map<string, { rx: number; tx: number }>;

export async function readNetCounters(): Promise<NetCounters> {
  const out: NetCounters = new Map();
  if (LINUX) {
    const lines = (await readFile('/proc/net/dev', 'latin1')).split('\n');
    for (let i = 2; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      if (name === 'lo') continue;
      const f = line.slice(colon + 1).trim().split(/\s+/);
      out.set(name, { rx: Number(f[0]), tx: Number(f[8]) });
    }
    return out;
  }
  for (const s of await (await si()).networkStats('*')) {
    if (s.iface !== 'lo' && s.iface !== 'lo0') out.set(s.iface, { rx: s.rx_bytes, tx: s.tx_bytes });
  }
  return out;
}

/**
 * A function returning the CPU temperature in °C, or null where none is exposed. On Linux the
 * thermal zone is chosen once (type containing cpu/soc/x86_pkg, else the first zone).
 */
export async function temperatureReader(): Promise<() => Promise<number | null>> {
  if (!LINUX) {
    return async () => {
      const t = await (await si()).cpuTemperature();
      return typeof t.main === 'number' && Number.isFinite(t.main) ? t.main : null;
    };
  }
  const base = '/sys/class/thermal';
  let zones: string[];
  try {
    zones = (await readdir(base)).filter((z) => z.startsWith('thermal_zone')).sort();
  } catch {
    return async () => null; // no thermal zones (containers, some VMs)
  }
  let chosen: string | undefined;
  for (const z of zones) {
    const type = await readFile(`${base}/${z}/type`, 'latin1').catch(() => '');
    if (/cpu|soc|x86_pkg/i.test(type)) {
      chosen = z;
      break;
    }
  }
  chosen ??= zones[0];
  if (chosen === undefined) return async () => null;
  const file = `${base}/${chosen}/temp`;
  return async () => {
    const milli = Number.parseInt(await readFile(file, 'latin1'), 10);
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  };
}

export function uptimeSec(): number {
  return Math.round(uptime());
}
