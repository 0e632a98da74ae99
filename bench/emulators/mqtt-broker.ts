/**
 * An MQTT broker on 127.0.0.1 for tests, the demo and benchmarks: `mosquitto` when it is installed
 * (a generated config, no persistence: sessions live in the broker's memory while it runs), else the
 * embedded `aedes` broker (MQTT 3.1.1 only: no MQTT 5, so no shared subscriptions).
 *
 * mosquitto runs under a tiny `sh` wrapper whose stdin is a pipe only we hold: when this process
 * exits, crashes or is killed, the wrapper reads EOF and kills mosquitto, so no broker outlives a
 * test. `stop()` kills mosquitto by PID. Set SHARDWISE_MQTT_BROKER=aedes to force the fallback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { freePort } from './free-port.ts';

export interface MqttBroker {
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly kind: 'mosquitto' | 'aedes';
  /** `ws://127.0.0.1:PORT` when a websockets listener was asked for and is supported. */
  readonly wsUrl: string | undefined;
  /** mosquitto's PID (this process's for aedes). */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface MqttBrokerOptions {
  /** Listen on this port (e.g. to restart a broker on the port it had); a free one by default. */
  readonly port?: number;
  /** Also open a websockets listener (mosquitto built with websockets only). */
  readonly websockets?: boolean;
  /** mosquitto `max_inflight_messages` (MQTT 3.1.1 clients; 0 = no limit); mosquitto's default (20) when absent. */
  readonly maxInflightMessages?: number;
  /** mosquitto `max_queued_messages` per client session; default 1,000,000. */
  readonly maxQueuedMessages?: number;
  readonly prefer?: 'mosquitto' | 'aedes';
  readonly startTimeoutMs?: number;
}

const WRAPPER = [
  '"$0" -c "$1" &',
  'pid=$!',
  'echo "pid $pid"',
  'read -r _ || true', // returns when the parent closes our stdin or dies
  'kill "$pid" 2>/dev/null',
  'wait "$pid"',
].join('\n');

export async function startMqttBroker(opts: MqttBrokerOptions = {}): Promise<MqttBroker> {
  const forced = process.env['SHARDWISE_MQTT_BROKER'];
  const prefer = opts.prefer ?? (forced === 'aedes' ? 'aedes' : 'mosquitto');
  const binary = prefer === 'mosquitto' ? findMosquitto() : undefined;
  if (binary === undefined) return startAedes(opts);
  let websockets = opts.websockets ?? false;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const wsPort = websockets ? await freePort() : undefined;
    try {
      return await startMosquitto(binary, port, wsPort, opts);
    } catch (e) {
      const out = e instanceof ShardwiseError ? e.message : '';
      if (wsPort !== undefined && /websocket/i.test(out)) {
        websockets = false; // this mosquitto was built without websockets
        continue;
      }
      if (opts.port === undefined && attempt < 3 && /address already in use/i.test(out)) continue;
      throw e;
    }
  }
}

export function findMosquitto(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, 'mosquitto');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function brokerError(message: string, cause?: unknown): ShardwiseError {
  return new ShardwiseError('E_EMULATOR', message, { cause });
}

async function startMosquitto(binary: string, port: number, wsPort: number | undefined, opts: MqttBrokerOptions): Promise<MqttBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'shardwise-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    `max_queued_messages ${opts.maxQueuedMessages ?? 1_000_000}`,
    'max_queued_bytes 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (opts.maxInflightMessages !== undefined) lines.push(`max_inflight_messages ${opts.maxInflightMessages}`);
  if (wsPort !== undefined) lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets');
  await writeFile(conf, lines.join('\n') + '\n');
  const child = spawn('/bin/sh', ['-c', WRAPPER, binary, conf], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output = (output + s).slice(-4000)));
  const pid = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      const m = /pid (\d+)\n/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(brokerError(`mosquitto wrapper exited before starting: ${output}`)));
  });
  const stop = once(async () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    child.stdin?.end();
    const done = await Promise.race([exit.then(() => true), sleep(3000).then(() => false)]);
    if (!done) {
      for (const p of [pid, child.pid]) if (p !== undefined) tryKill(p);
      await exit;
    }
    await rm(dir, { recursive: true, force: true });
  });
  unrefChild(child);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 5000);
  for (;;) {
    if (exited) {
      await stop();
      throw brokerError(`mosquitto exited at start (port ${port}): ${output.trim()}`);
    }
    if ((await canConnect(port)) && (wsPort === undefined || (await canConnect(wsPort)))) break;
    if (Date.now() > deadline) {
      await stop();
      throw brokerError(`mosquitto did not accept connections on port ${port} within ${opts.startTimeoutMs ?? 5000} ms: ${output.trim()}`);
    }
    await sleep(20);
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    kind: 'mosquitto',
    wsUrl: wsPort === undefined ? undefined : `ws://127.0.0.1:${wsPort}`,
    pid,
    stop,
  };
}

async function startAedes(opts: MqttBrokerOptions): Promise<MqttBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host: '127.0.0.1' }, () => {
      const a = server.address();
      if (a === null || typeof a === 'string') reject(brokerError('aedes: no address'));
      else resolve(a.port);
    });
  });
  server.unref();
  const stop = once(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `mqtt://127.0.0.1:${port}`, port, kind: 'aedes', wsUrl: undefined, pid: process.pid, stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A forgotten broker must not keep the parent alive; its stdin pipe stays open until stop(). */
function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
