/**
 * The processes of bench/perf/agent-mqtt.ts: agents (`shardwise-agent --config`, each with its own
 * state dir and metrics port) and open-loop publishers (mqtt-load-publisher.ts), plus what we read
 * from them: /status totals, the ack-latency histogram from /metrics, CPU and memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../emulators/free-port.ts';
import { agentEnv, deployedRuntimeEnv } from './deployed-runtime.ts';

/** The agent as deployed: the bundle `npm run build` writes (agent-mqtt.ts builds it first); AGENT_BIN runs another entry point, e.g. agent/cli/bin.mjs (tsx). */
const BIN = process.env['AGENT_BIN'] ?? fileURLToPath(new URL('../../dist/shardwise-agent.mjs', import.meta.url));
const PUBLISHER = fileURLToPath(new URL('./mqtt-load-publisher.ts', import.meta.url));
const HISTOGRAM = 'shardwise_ack_latency_milliseconds_bucket';

export interface AgentSpec {
  readonly index: number;
  readonly brokerUrl: string;
  readonly kinesisEndpoint: string;
  readonly stream: string;
  /** `$share/agents/…` when several agents split the topic. */
  readonly filter: string;
  readonly payload: 'json' | 'raw';
  /** MQTT 5 Receive Maximum: messages received and not yet spooled and acknowledged (schema default 100 when absent). */
  readonly maxInflight?: number | undefined;
  readonly parentDir: string;
}

export interface AgentTotals {
  readonly received: number;
  readonly sent: number;
  readonly queueDepth: number;
  readonly spoolRecords: number;
}

/** `/proc/PID/status` memory lines, in bytes (0 once the process is gone). */
export function memOf(pid: number): { rss: number; hwm: number } {
  let s = '';
  try {
    s = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, hwm: 0 };
  }
  const kb = (re: RegExp): number => Number(re.exec(s)?.[1] ?? 0) * 1024;
  return { rss: kb(/^VmRSS:\s+(\d+)\s+kB$/m), hwm: kb(/^VmHWM:\s+(\d+)\s+kB$/m) };
}

/** Per-bucket (not cumulative) counts of the agent's ingest → Kinesis-ack histogram, and the bounds. */
export interface LatencyBuckets {
  readonly bounds: number[];
  readonly counts: number[];
}

export function parseLatency(text: string): LatencyBuckets {
  const bounds: number[] = [];
  const cumulative: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(HISTOGRAM)) continue;
    const m = /le="([^"]+)"\}\s+(\S+)/.exec(line);
    if (!m) continue;
    bounds.push(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]));
    cumulative.push(Number(m[2]));
  }
  return { bounds, counts: cumulative.map((c, i) => c - (i > 0 ? (cumulative[i - 1] as number) : 0)) };
}

export class AgentProc {
  readonly child: ChildProcess;
  private constructor(
    readonly port: number,
    readonly stateDir: string,
    nodeArgs: string[],
    cfgFile: string,
  ) {
    // As the systemd unit runs it (its NODE_OPTIONS and MALLOC_* settings); SHARDWISE_BENCH_UNTUNED=1: Node's defaults.
    this.child = spawn(process.execPath, [...nodeArgs, BIN, '--config', cfgFile], { env: agentEnv(deployedRuntimeEnv()), stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.setEncoding('utf8').on('data', (t: string) => (this.stderrTail = (this.stderrTail + t).slice(-2000)));
  }

  private stderrTail = '';

  /** Throws, with the agent's last stderr lines, if it is no longer running. */
  assertRunning(): void {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null) return;
    throw new Error(`agent (pid ${c.pid}) exited (${c.exitCode ?? c.signalCode}); stderr:\n${this.stderrTail}`);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Spawns an agent with the configuration a user would write for MQTT telemetry (see agent-mqtt.ts). */
  static async start(s: AgentSpec): Promise<AgentProc> {
    const port = await freePort();
    const stateDir = mkdtempSync(path.join(s.parentDir, `agent-${s.index}-`));
    const config = {
      gatewayId: `perf-gw-${s.index}`,
      stateDir,
      sources: [
        {
          type: 'mqtt',
          name: 'sensors',
          url: s.brokerUrl,
          protocolVersion: 5,
          clientId: `perf-agent-${s.index}`,
          clean: false,
          topics: [{ filter: s.filter, qos: 1 }],
          deviceId: { fromTopic: 'devices/{device}/telemetry' },
          payload: s.payload,
          ...(s.maxInflight === undefined ? {} : { maxInflight: s.maxInflight }),
        },
      ],
      sink: {
        type: 'kinesis',
        stream: s.stream,
        region: 'us-east-1',
        endpoint: s.kinesisEndpoint,
        credentials: { accessKeyId: 'AKIDSHARDWISELOCAL', secretAccessKey: 'x' },
        // AGENT_MQTT_LINGER (e.g. 50ms): experiments only; the benchmark keeps the default (100 ms)
        ...(process.env['AGENT_MQTT_LINGER'] ? { lingerMs: process.env['AGENT_MQTT_LINGER'] } : {}),
      },
      metrics: { enabled: true, port },
      log: { level: 'warn' },
    };
    const cfgFile = path.join(stateDir, 'agent.yaml');
    writeFileSync(cfgFile, JSON.stringify(config));
    // AGENT_NODE_ARGS: node flags for the agents alone, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
    const nodeArgs = (process.env['AGENT_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const a = new AgentProc(port, stateDir, nodeArgs, cfgFile);
    const deadline = Date.now() + 30_000;
    for (;;) {
      a.assertRunning();
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return a;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await a.stop();
        throw new Error(`agent ${s.index} not healthy within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async totals(): Promise<AgentTotals> {
    const st = (await (await fetch(`http://127.0.0.1:${this.port}/status`)).json()) as {
      totals: { received: number; sent: number };
      queueDepth: number;
      spool: { records: number } | null;
    };
    return { received: st.totals.received, sent: st.totals.sent, queueDepth: st.queueDepth, spoolRecords: st.spool?.records ?? 0 };
  }

  async latency(): Promise<LatencyBuckets> {
    return parseLatency(await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text());
  }

  /** SIGTERM (graceful: a --cpu-prof profile is written on this exit), then the state dir goes. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export interface PublisherProgress {
  sent: number;
  acked: number;
  done: boolean;
  cpuSec: number;
  maxLagMs: number;
}

export class PublisherProc {
  readonly child: ChildProcess;
  readonly progress: PublisherProgress = { sent: 0, acked: 0, done: false, cpuSec: 0, maxLagMs: 0 };
  readonly ready: Promise<void>;
  /** Resolves once the publisher reported `done` (it then waits for `stop()`); rejects if it exits before. */
  readonly finished: Promise<void>;
  private onDone: () => void = () => undefined;

  constructor(opts: { url: string; rate: number; seconds: number; pub: number; devices: number; connections: number; bytes: number }) {
    this.child = spawn(process.execPath, ['--import', 'tsx', PUBLISHER, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    let onReady: () => void = () => undefined;
    this.ready = new Promise<void>((r) => (onReady = r));
    this.finished = new Promise<void>((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`publisher ${opts.pub} exited with ${code} before it finished`)));
      this.onDone = resolve;
    });
    this.finished.catch(() => undefined); // reported where awaited
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const m = JSON.parse(buf.slice(0, nl)) as { t: string } & Partial<PublisherProgress>;
        buf = buf.slice(nl + 1);
        if (m.t === 'ready') onReady();
        else {
          this.progress.sent = m.sent ?? 0;
          this.progress.acked = m.acked ?? 0;
          if (m.t === 'done') {
            Object.assign(this.progress, { done: true, cpuSec: m.cpuSec ?? 0, maxLagMs: m.maxLagMs ?? 0 });
            this.onDone();
          }
        }
      }
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  go(): void {
    this.child.stdin?.write('go\n');
  }

  /** Lets it exit (closes its stdin); SIGKILL if it is still there after 2 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
