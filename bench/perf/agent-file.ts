/**
 * File tail → agent → kinesalite: 1,000,000 JSON lines of ~160 bytes (device id from a field, 1,000
 * devices), 4 shards, aggregation on, partition key = device id. The agent runs as its own process
 * (`shardwise-agent --config`), exactly as installed; we measure lines/s until Kinesis accepted every
 * line (the agent's /status), the agent's CPU-seconds and its peak RSS (VmHWM), and kinesalite's CPU.
 * The per-shard rate limiter is off: kinesalite enforces no limits, and 4 real shards would cap the
 * run at 4 MiB/s by design.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../emulators/free-port.ts';
import { startKinesalite } from '../emulators/kinesalite.ts';
import { processCpuSeconds } from '../emulators/process-cpu.ts';
import { agentEnv, deployedRuntimeEnv } from './deployed-runtime.ts';
import { fmtRate, mdTable, median, runStandalone, type PerfSection } from './section.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The ways to start the agent: as deployed (the bundle `npm run build` makes, with the systemd
 * unit's runtime settings, read from the unit), the same bundle on Node's defaults (the settings'
 * cost and gain), and through tsx (development).
 */
interface Form {
  readonly name: string;
  readonly bin: string;
  readonly env: Record<string, string>;
}
const BUNDLE = path.join(ROOT, 'dist/shardwise-agent.mjs');
const DEPLOYED = deployedRuntimeEnv();
const FORMS: readonly Form[] = [
  { name: 'bundled, as the systemd unit runs it (its NODE_OPTIONS and MALLOC_* settings)', bin: BUNDLE, env: DEPLOYED },
  { name: "bundled, Node's and glibc's defaults", bin: BUNDLE, env: {} },
  { name: 'through tsx (`agent/cli/bin.mjs`), defaults', bin: path.join(ROOT, 'agent/cli/bin.mjs'), env: {} },
];

function writeLines(file: string, lines: number): number {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const d = `device-${String(i % 1000).padStart(4, '0')}`;
    parts.push(JSON.stringify({ device: d, seq: Math.floor(i / 1000), ts: 1_763_800_000_000 + i, temp: 21.5, hum: 40.2, volt: 3.31, status: 'ok', site: 'plant-7' }).padEnd(159, ' '));
  }
  const text = `${parts.join('\n')}\n`;
  writeFileSync(file, text);
  return text.length;
}

function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) * 1024 : 0;
}

interface AgentRun {
  linesPerSec: number;
  cpuSec: number;
  peakRssBytes: number;
  kinesaliteCpuSec: number;
}

async function oneRun(form: Form, dir: string, file: string, lines: number): Promise<AgentRun> {
  const kinesis = await startKinesalite({ streams: [{ name: 'perf', shards: 4 }] });
  const port = await freePort();
  const state = mkdtempSync(path.join(dir, 'state-'));
  const config = {
    gatewayId: 'perf',
    stateDir: state,
    sources: [{ type: 'file', name: 'lines', paths: [file], format: 'jsonl', deviceId: { fromField: 'device' }, startAt: 'beginning', pollInterval: '100ms' }],
    sink: { type: 'kinesis', stream: 'perf', region: 'us-east-1', endpoint: kinesis.endpoint, credentials: { accessKeyId: 'AKIDSHARDWISELOCAL', secretAccessKey: 'x' }, rateLimit: { enabled: false }, concurrency: 8 },
    metrics: { enabled: true, port },
    log: { level: 'warn' },
  };
  const cfgFile = path.join(state, 'agent.yaml');
  writeFileSync(cfgFile, JSON.stringify(config));
  const k0 = await kinesis.cpuSeconds();
  const t0 = performance.now();
  // AGENT_NODE_ARGS: node flags for the agent alone, e.g. '--max-old-space-size=96'.
  const nodeArgs = (process.env['AGENT_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, form.bin, '--config', cfgFile], { env: agentEnv(form.env), stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const pid = child.pid as number;
    let sent = 0;
    let peak = 0;
    const deadline = Date.now() + 600_000;
    while (sent < lines) {
      if (Date.now() > deadline) throw new Error(`agent did not send ${lines} lines in 600 s (sent ${sent})`);
      await new Promise((r) => setTimeout(r, 100));
      try {
        peak = Math.max(peak, peakRss(pid));
        const res = await fetch(`http://127.0.0.1:${port}/status`);
        sent = ((await res.json()) as { totals: { sent: number } }).totals.sent;
      } catch {
        // not listening yet
      }
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = await processCpuSeconds(pid);
    return { linesPerSec: lines / wall, cpuSec: cpu, peakRssBytes: Math.max(peak, peakRss(pid)), kinesaliteCpuSec: (await kinesis.cpuSeconds()) - k0 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await kinesis.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

export async function run(): Promise<PerfSection> {
  const runs = Number(process.env['PERF_RUNS'] ?? 3);
  const lines = Number(process.env['PERF_LINES'] ?? 1_000_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardwise-agent-perf-'));
  try {
    const file = path.join(dir, 'lines.jsonl');
    const bytes = writeLines(file, lines);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    // Interleaved: run i of every form before run i + 1 of any, so both see the same machine.
    // PERF_FORMS=bundled: the bundled forms only; unit: the systemd unit's form only (profiling, quick checks).
    const only = process.env['PERF_FORMS'];
    const forms = only === 'unit' ? FORMS.slice(0, 1) : only === 'bundled' ? FORMS.slice(0, 2) : FORMS;
    const rs: AgentRun[][] = forms.map(() => []);
    for (let i = 0; i < runs; i++) for (let f = 0; f < forms.length; f++) rs[f]!.push(await oneRun(forms[f]!, dir, file, lines));
    const rows = forms.map((form, f) => {
      const r = rs[f]!;
      const rate = median(r.map((x) => x.linesPerSec));
      const cpu = median(r.map((x) => x.cpuSec));
      const rss = median(r.map((x) => x.peakRssBytes));
      const kcpu = median(r.map((x) => x.kinesaliteCpuSec));
      return [form.name, `${fmtRate(rate)}/s`, ((cpu / lines) * 1e6).toFixed(1), `${(rss / 2 ** 20).toFixed(0)} MiB`, ((kcpu / lines) * 1e6).toFixed(1)];
    });
    return {
      title: 'Agent: file tail → kinesalite (1,000,000 JSON lines, 4 shards, aggregation on)',
      command: 'npx tsx bench/perf/agent-file.ts   (PERF_RUNS, PERF_LINES, PERF_FORMS=bundled|unit; AGENT_NODE_ARGS for node flags)',
      markdown: `${mdTable(['agent started', 'lines/s until all accepted (median)', 'agent CPU-s per million lines', 'agent peak RSS', 'kinesalite CPU-s per million lines'], rows)}

Goal (from the issue): ≥ 141 k lines/s, < 5.2 CPU-s per million, ≤ 100 MB RSS. ${lines.toLocaleString('en')} lines,
${(bytes / 1e6).toFixed(0)} MB of JSON lines (device id from the \`device\` field, 1,000 devices), read from the
page cache by a fresh \`shardwise-agent\` process per run (${runs} runs of each form, interleaved; the agent's
CPU includes its start-up), spool \`spill\` (default), partition key = device id, KPL aggregation,
per-shard rate limit off. Times run from spawning the agent until its /status says
Kinesis accepted every line.`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void runStandalone(import.meta.url, run);
