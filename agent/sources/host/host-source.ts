/**
 * Host-health source: every `intervalMs`, one JSON record about the gateway itself (CPU load and
 * temperature, memory, the spool volume's disk usage, network throughput, uptime), with
 * deviceId = the gateway id. Runs never overlap: the next sample is scheduled only after the
 * previous one (and its accept) finished; missed ticks are skipped and counted, not queued.
 */
import type { Downstream, Source, SourceHealth, SourceRecord } from '../source.ts';
import {
  cpuLoadPct,
  readCpuTimes,
  readDisk,
  readMemory,
  readNetCounters,
  temperatureReader,
  uptimeSec,
  type CpuTimes,
  type DiskInfo,
  type MemInfo,
  type NetCounters,
} from './host-probe.ts';

export interface HostSourceOptions {
  readonly name: string;
  /** deviceId of every record. */
  readonly gatewayId: string;
  readonly intervalMs: number;
  /** A path on the volume to watch (the spool directory). */
  readonly diskPath: string;
  /** Also report each interface's rates (default: only the sum over all interfaces but loopback). */
  readonly perInterface?: boolean;
  /** Only these interfaces (default: all but loopback). */
  readonly interfaces?: readonly string[];
  /** How long stop() waits for a sample's pending accept (default 5000). */
  readonly stopTimeoutMs?: number;
  readonly log?: { warn(fields: object, message: string): void };
}

export interface NetRates {
  readonly rxBytesPerSec: number;
  readonly txBytesPerSec: number;
}

export interface HostSample {
  readonly type: 'host';
  readonly gatewayId: string;
  /** Wall-clock ms since the epoch. */
  readonly ts: number;
  readonly cpu: { readonly loadPct: number | null; readonly tempC: number | null };
  readonly mem: MemInfo | null;
  readonly disk: DiskInfo | null;
  /** null on the first sample (no earlier counters to diff against) or when unreadable. */
  readonly net: (NetRates & { readonly interfaces?: Readonly<Record<string, NetRates>> }) | null;
  readonly uptimeSec: number;
  /** Wall time this sample took to gather, ms. */
  readonly sampleMs: number;
}

export interface HostSourceStats {
  readonly samples: number;
  /** Samples in which at least one figure could not be read (it is null in the record). */
  readonly partialSamples: number;
  /** Ticks skipped because the previous run was still going. */
  readonly skippedTicks: number;
  readonly acceptFailures: number;
  readonly lastSampleMs: number;
}

export class HostSource implements Source {
  readonly kind = 'host';
  readonly name: string;
  private readonly opts: HostSourceOptions;
  private downstream: Downstream | null = null;
  private readTemp: (() => Promise<number | null>) | null = null;
  private prevCpu: CpuTimes | null = null;
  private prevNet: { at: number; counters: NetCounters } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private nextDue = 0;
  private stopped = false;
  private started = false;
  private starting: Promise<void> | null = null;
  private lastProblem = '';
  private readonly warned = new Set<string>();
  private n = { samples: 0, partialSamples: 0, skippedTicks: 0, acceptFailures: 0, lastSampleMs: 0 };

  constructor(opts: HostSourceOptions) {
    this.opts = opts;
    this.name = opts.name;
  }

  /** Takes the CPU/network baselines; the first record follows after `intervalMs`. A second call is a no-op. */
  start(downstream: Downstream): Promise<void> {
    this.starting ??= this.begin(downstream);
    return this.starting;
  }

  private async begin(downstream: Downstream): Promise<void> {
    if (this.stopped) return;
    this.downstream = downstream;
    this.readTemp = await temperatureReader();
    // baselines, so the first record already has CPU load and network rates
    this.prevCpu = await readCpuTimes().catch(() => null);
    this.prevNet = await readNetCounters().then((counters) => ({ at: performance.now(), counters }), () => null);
    this.nextDue = performance.now() + this.opts.intervalMs;
    this.started = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const running = this.running;
    if (running === null) return;
    // a pending accept (downstream backpressure) must not hold the agent's shutdown for ever
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((r) => (timer = setTimeout(r, this.opts.stopTimeoutMs ?? 5000)))]);
    clearTimeout(timer);
  }

  health(): SourceHealth {
    if (this.stopped) return { up: false, state: 'stopped' };
    if (!this.started) return { up: false, state: 'not started' };
    const every = `sampling every ${this.opts.intervalMs} ms`;
    return this.lastProblem === '' ? { up: true, state: every } : { up: true, state: `${every}; last problem: ${this.lastProblem}` };
  }

  stats(): HostSourceStats {
    return { ...this.n };
  }

  /** Gathers one sample now (also used by tests and the benchmark); updates the CPU/network baselines. */
  async sample(): Promise<HostSample> {
    const t0 = performance.now();
    const readTemp = this.readTemp ?? (this.readTemp = await temperatureReader());
    const [cpu, temp, mem, disk, net] = await Promise.allSettled([
      readCpuTimes(),
      readTemp(),
      readMemory(),
      readDisk(this.opts.diskPath),
      readNetCounters(),
    ]);
    const at = performance.now();
    let loadPct: number | null = null;
    if (cpu.status === 'fulfilled') {
      loadPct = this.prevCpu === null ? null : cpuLoadPct(this.prevCpu, cpu.value);
      this.prevCpu = cpu.value;
    }
    let rates: HostSample['net'] = null;
    if (net.status === 'fulfilled') {
      if (this.prevNet !== null) rates = this.netRates(this.prevNet, net.value, at);
      this.prevNet = { at, counters: net.value };
    }
    const problems = [['cpu', cpu], ['temperature', temp], ['memory', mem], ['disk', disk], ['network', net]] as const;
    let partial = false;
    for (const [what, r] of problems) {
      if (r.status === 'rejected') {
        partial = true;
        this.problem(what, r.reason);
      }
    }
    if (partial) this.n.partialSamples++;
    return {
      type: 'host',
      gatewayId: this.opts.gatewayId,
      ts: Date.now(),
      cpu: { loadPct, tempC: temp.status === 'fulfilled' ? temp.value : null },
      mem: mem.status === 'fulfilled' ? mem.value : null,
      disk: disk.status === 'fulfilled' ? disk.value : null,
      net: rates,
      uptimeSec: uptimeSec(),
      sampleMs: Math.round((performance.now() - t0) * 100) / 100,
    };
  }

  private netRates(prev: { at: number; counters: NetCounters }, now: NetCounters, at: number): HostSample['net'] {
    const secs = (at - prev.at) / 1000;
    if (secs <= 0) return null;
    const only = this.opts.interfaces;
    const per: Record<string, NetRates> = {};
    let rx = 0;
    let tx = 0;
    for (const [iface, c] of now) {
      if (only !== undefined && !only.includes(iface)) continue;
      const p = prev.counters.get(iface);
      if (p === undefined) continue;
      // counters reset when an interface is re-created: count from zero then
      const r = { rxBytesPerSec: Math.round(Math.max(0, c.rx - p.rx) / secs), txBytesPerSec: Math.round(Math.max(0, c.tx - p.tx) / secs) };
      per[iface] = r;
      rx += r.rxBytesPerSec;
      tx += r.txBytesPerSec;
    }
    return this.opts.perInterface === true ? { rxBytesPerSec: rx, txBytesPerSec: tx, interfaces: per } : { rxBytesPerSec: rx, txBytesPerSec: tx };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().finally(() => {
        this.running = null;
        // skip the ticks that passed while this run was going: no catch-up burst
        const now = performance.now();
        this.nextDue += this.opts.intervalMs;
        if (this.nextDue < now) {
          const missed = Math.ceil((now - this.nextDue) / this.opts.intervalMs);
          this.n.skippedTicks += missed;
          this.nextDue += missed * this.opts.intervalMs;
        }
        this.schedule();
      });
    }, Math.max(0, this.nextDue - performance.now()));
  }

  private async runOnce(): Promise<void> {
    const s = await this.sample();
    this.n.samples++;
    this.n.lastSampleMs = s.sampleMs;
    const record: SourceRecord = {
      deviceId: this.opts.gatewayId,
      eventTime: s.ts,
      payload: Buffer.from(JSON.stringify(s)),
      fields: s as unknown as Readonly<Record<string, unknown>>,
    };
    try {
      await (this.downstream as Downstream).accept(this.name, [record]);
    } catch (e) {
      this.n.acceptFailures++; // a health sample is not worth retrying: the next one supersedes it
      this.problem('accept', e);
    }
  }

  private problem(what: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.lastProblem = `${what}: ${message}`;
    if (this.warned.has(what)) return; // once per kind of problem, not once per sample
    this.warned.add(what);
    this.opts.log?.warn({ source: this.name, what, error: message }, 'host: sampling problem (logged once per kind)');
  }
}
