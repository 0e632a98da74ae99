/**
 * What both local emulators (kinesalite, kinesis-local) share: the `LocalKinesis` handle, the child
 * process life cycle (spawn, output tail, stop) and waiting for streams to become ACTIVE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListStreamsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { processCpuSeconds, processRssBytes } from './process-cpu.ts';

export type EmulatorKind = 'kinesalite' | 'kinesis-local';

export interface LocalKinesis {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** PID of the process that serves requests (the one whose CPU is measured). */
  readonly pid: number;
  readonly kind: EmulatorKind;
  /** The emulator's user + system CPU seconds so far. */
  cpuSeconds(): Promise<number>;
  rssBytes(): Promise<number>;
  /** Creates a stream and waits until it is ACTIVE. */
  createStream(name: string, shards: number): Promise<void>;
  /** The last lines the emulator wrote (stdout and stderr), for diagnostics. */
  outputTail(): string;
  /** Kills the emulator and waits for it to exit; idempotent. */
  stop(): Promise<void>;
}

export interface StreamSpec {
  name: string;
  shards: number;
}

/** Credentials for local emulators: neither kinesalite nor kinesis-local checks them. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDSHARDWISELOCAL', secretAccessKey: 'shardwise-local-secret' } as const;

/** The small client an emulator handle uses for its own calls (create stream, wait for ACTIVE). */
export function adminClient(endpoint: string): KinesisClient {
  return makeKinesisClient({ endpoint, credentials: EMULATOR_CREDENTIALS, maxSockets: 4, requestTimeoutMs: 30_000 });
}

/** Name of the stream created by `{ shards: N }` without `streams`. */
export const DEFAULT_STREAM_NAME = 'shardwise';

export function emulatorError(message: string, cause?: unknown): ShardwiseError {
  return new ShardwiseError('E_EMULATOR', message, { retryable: false, cause });
}

export function streamsFromOptions(opts: { shards?: number; streams?: StreamSpec[] }): StreamSpec[] {
  const streams = [...(opts.streams ?? [])];
  if (opts.shards !== undefined) streams.push({ name: DEFAULT_STREAM_NAME, shards: opts.shards });
  for (const s of streams) {
    if (!Number.isInteger(s.shards) || s.shards < 1) throw emulatorError(`stream ${s.name}: shards must be an integer >= 1, got ${s.shards}`);
  }
  return streams;
}

const TAIL_CHARS = 16 * 1024;

/** A spawned emulator child: output tail, exit tracking and an idempotent stop. */
export class EmulatorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  private tail = '';
  private exitInfo: string | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * `args` are node arguments. The child's stdin is a pipe only we hold (so it sees EOF when we
   * die); its handles are unref'd so a forgotten emulator never keeps the parent alive.
   */
  constructor(args: string[], env: NodeJS.ProcessEnv, cwd?: string) {
    this.child = spawn(process.execPath, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw emulatorError(`could not spawn ${args.join(' ')}`);
    this.pid = this.child.pid;
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => this.append(s));
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => this.append(s));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = signal === null ? `exit code ${code}` : `signal ${signal}`;
        resolve();
      });
    });
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      (s as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }

  private append(s: string): void {
    this.tail += s;
    if (this.tail.length > 2 * TAIL_CHARS) this.tail = this.tail.slice(-TAIL_CHARS);
  }

  outputTail(): string {
    return this.tail.slice(-TAIL_CHARS);
  }

  /** Undefined while running, else how it ended. */
  exitStatus(): string | undefined {
    return this.exitInfo;
  }

  /** Throws an E_EMULATOR error (with the output tail) if the child has exited. */
  assertRunning(what: string): void {
    if (this.exitInfo !== undefined) {
      throw emulatorError(`${what}: emulator exited (${this.exitInfo}); output:\n${this.outputTail()}`);
    }
  }

  cpuSeconds(): Promise<number> {
    return processCpuSeconds(this.pid);
  }

  rssBytes(): Promise<number> {
    return processRssBytes(this.pid);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs = 3000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exitInfo !== undefined) return;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }
}

/** Polls ListStreams until the server answers, the process dies or the deadline passes. */
export async function waitUntilAnswering(client: KinesisClient, proc: EmulatorProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    proc.assertRunning('waiting for the emulator to answer');
    try {
      await client.send(new ListStreamsCommand({}));
      return;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw emulatorError(`emulator did not answer within ${timeoutMs} ms; output:\n${proc.outputTail()}`, last);
}

export async function waitForActive(client: KinesisClient, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = 'unknown';
  while (Date.now() < deadline) {
    try {
      const r = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      status = r.StreamDescriptionSummary?.StreamStatus ?? 'unknown';
      if (status === 'ACTIVE') return;
    } catch (e) {
      // Not created yet (kinesis-local's INITIALIZE_STREAMS runs after the server starts).
      if ((e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
      status = 'not found';
    }
    await sleep(20);
  }
  throw emulatorError(`stream ${name} not ACTIVE within ${timeoutMs} ms (last status: ${status})`);
}

export async function createStreamAndWait(client: KinesisClient, name: string, shards: number, timeoutMs: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForActive(client, name, timeoutMs);
}

/** Builds the handle once the process answers and `client` (an admin client) is ready. */
export function localKinesisHandle(
  kind: EmulatorKind,
  proc: EmulatorProcess,
  port: number,
  client: KinesisClient,
  createTimeoutMs: number,
): LocalKinesis {
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    kind,
    cpuSeconds: () => proc.cpuSeconds(),
    rssBytes: () => proc.rssBytes(),
    createStream: async (name, shards) => {
      proc.assertRunning(`createStream ${name}`);
      await createStreamAndWait(client, name, shards, createTimeoutMs);
    },
    outputTail: () => proc.outputTail(),
    stop: () =>
      (stopped ??= (async () => {
        client.destroy();
        await proc.stop();
      })()),
  };
}
