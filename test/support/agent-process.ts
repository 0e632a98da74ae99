/**
 * The agent as a real child process, exactly as installed: `node agent/cli/bin.mjs --config FILE`.
 * For tests and benchmarks that must kill it (-9), watch its memory (VmRSS from /proc) or read its
 * /status endpoint. The config object is written as JSON (which is YAML) next to the state dir; the
 * metrics endpoint is always enabled on a free port of 127.0.0.1.
 *
 * The child is preloaded with ./exit-with-parent.cjs (it dies when its parent does), so a crashed
 * test never leaves an agent running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { AgentStatus } from '../../agent/metrics/agent-metrics.ts';
import { freePort } from '../../bench/emulators/free-port.ts';
import { processCpuSeconds, processRssBytes } from '../../bench/emulators/process-cpu.ts';

const BIN = fileURLToPath(new URL('../../agent/cli/bin.mjs', import.meta.url));
const EXIT_WITH_PARENT = fileURLToPath(new URL('./exit-with-parent.cjs', import.meta.url));
const TAIL_CHARS = 16 * 1024;

/** /status as the agent serves it (readiness fields included). */
export type AgentStatusBody = AgentStatus & { readonly ready?: { readonly ok: boolean; readonly reason: string } };

export interface AgentProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` of /metrics, /healthz, /status. */
  readonly metricsUrl: string;
  readonly configFile: string;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once /healthz answers 200 (sink and sources up); rejects if the process exits or on timeout. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Resolves once /status answers (the metrics server is up), whatever the health. */
  waitListening(timeoutMs?: number): Promise<void>;
  /** GET /status, or undefined when the endpoint does not answer. */
  status(): Promise<AgentStatusBody | undefined>;
  /** GET /metrics (Prometheus text), or undefined. */
  metrics(): Promise<string | undefined>;
  /** Resident set size in bytes (VmRSS). */
  rssBytes(): Promise<number>;
  cpuSeconds(): Promise<number>;
  /** `kill -9`; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful stop), SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  /** The last lines the agent wrote on stdout and stderr. */
  outputTail(): string;
}

export interface AgentProcessOptions {
  /** Agent configuration (as in the YAML file); `metrics` is filled in (enabled, 127.0.0.1, a free port). */
  readonly config: Record<string, unknown>;
  /** Where the config file goes (e.g. the state dir). */
  readonly dir: string;
  /** Extra node flags, e.g. `--max-old-space-size=96`. */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Config file name (default agent.yaml). */
  readonly fileName?: string;
}

export async function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const port = await freePort();
  const metrics = { ...((opts.config['metrics'] as Record<string, unknown> | undefined) ?? {}), enabled: true, host: '127.0.0.1', port };
  const configFile = path.join(opts.dir, opts.fileName ?? 'agent.yaml');
  writeFileSync(configFile, JSON.stringify({ ...opts.config, metrics }, null, 1));
  const args = [...(opts.nodeArgs ?? []), '--require', EXIT_WITH_PARENT, BIN, '--config', configFile];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn the agent: ${args.join(' ')}`);
  let tail = '';
  const append = (s: string): void => {
    tail += s;
    if (tail.length > 2 * TAIL_CHARS) tail = tail.slice(-TAIL_CHARS);
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
    });
  });
  const metricsUrl = `http://127.0.0.1:${port}`;

  const get = async (p: string): Promise<Response | undefined> => {
    try {
      return await fetch(`${metricsUrl}${p}`, { signal: AbortSignal.timeout(5000) });
    } catch {
      return undefined;
    }
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (gone) throw new Error(`agent exited while waiting for ${what}; output:\n${tail.slice(-TAIL_CHARS)}`);
      if (Date.now() > deadline) throw new Error(`agent not ${what} within ${timeoutMs} ms; output:\n${tail.slice(-TAIL_CHARS)}`);
      await sleep(50);
    }
  };

  return {
    pid,
    metricsUrl,
    configFile,
    exited,
    waitHealthy: (timeoutMs = 30_000) =>
      waitFor(
        'healthy',
        async () => {
          const r = await get('/healthz');
          await r?.body?.cancel();
          return r?.status === 200;
        },
        timeoutMs,
      ),
    waitListening: (timeoutMs = 30_000) =>
      waitFor(
        'listening',
        async () => {
          const r = await get('/status');
          await r?.body?.cancel();
          return r !== undefined;
        },
        timeoutMs,
      ),
    async status() {
      const r = await get('/status');
      if (r === undefined || r.status !== 200) return undefined;
      return (await r.json()) as AgentStatusBody;
    },
    async metrics() {
      const r = await get('/metrics');
      return r === undefined ? undefined : r.text();
    },
    rssBytes: () => processRssBytes(pid),
    cpuSeconds: () => processCpuSeconds(pid),
    async kill9() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 20_000) {
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r.code;
    },
    outputTail: () => tail.slice(-TAIL_CHARS),
  };
}
