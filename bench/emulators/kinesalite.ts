/**
 * kinesalite (npm `kinesalite` 3.3.3) in a child process on 127.0.0.1, plain HTTP, in memory unless
 * `path` is given. The child (kinesalite-child.cjs) applies the fixes from test-notes.md (larger
 * stream high-water mark, request errors handled) and exits when this process goes away.
 * Streams are created, split and merged with no delay (createStreamMs = updateStreamMs = 0).
 */
import { fileURLToPath } from 'node:url';
import {
  EmulatorProcess,
  adminClient,
  createStreamAndWait,
  emulatorError,
  localKinesisHandle,
  streamsFromOptions,
  type LocalKinesis,
  type StreamSpec,
} from './local-kinesis.ts';

export interface KinesaliteOptions {
  /** Shard count of a stream named DEFAULT_STREAM_NAME ('shardwise') created at start. */
  shards?: number;
  /** Streams created (and ACTIVE) before the promise resolves. */
  streams?: StreamSpec[];
  /** LevelDB directory; in memory when absent (≈ 900 MB RSS after 1 M records). */
  path?: string;
  /** Milliseconds a stream stays CREATING / UPDATING / DELETING (default 0). */
  createStreamMs?: number;
  updateStreamMs?: number;
  deleteStreamMs?: number;
  /** Account shard limit (kinesalite's own default is 10; ours 100000). */
  shardLimit?: number;
  startTimeoutMs?: number;
}

const CHILD = fileURLToPath(new URL('./kinesalite-child.cjs', import.meta.url));

export async function startKinesalite(opts: KinesaliteOptions = {}): Promise<LocalKinesis> {
  const streams = streamsFromOptions(opts);
  const childOptions = {
    path: opts.path,
    createStreamMs: opts.createStreamMs,
    updateStreamMs: opts.updateStreamMs,
    deleteStreamMs: opts.deleteStreamMs,
    shardLimit: opts.shardLimit,
  };
  const proc = new EmulatorProcess([CHILD, JSON.stringify(childOptions)], process.env);
  try {
    const port = await readPort(proc, opts.startTimeoutMs ?? 15_000);
    const client = adminClient(`http://127.0.0.1:${port}`);
    const handle = localKinesisHandle('kinesalite', proc, port, client, 10_000);
    for (const s of streams) await createStreamAndWait(client, s.name, s.shards, 10_000);
    return handle;
  } catch (e) {
    await proc.stop();
    throw e;
  }
}

/** The child prints `{"port":N,...}` on its first stdout line once listening. */
function readPort(proc: EmulatorProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdout = proc.child.stdout;
    if (stdout === null) {
      reject(emulatorError('kinesalite child has no stdout'));
      return;
    }
    let buffered = '';
    const onData = (s: string): void => {
      buffered += s;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      done();
      try {
        const port = (JSON.parse(buffered.slice(0, nl)) as { port?: unknown }).port;
        if (typeof port !== 'number') throw new Error(`no port in ${buffered.slice(0, nl)}`);
        resolve(port);
      } catch (e) {
        reject(emulatorError(`kinesalite child printed an unexpected first line; output:\n${proc.outputTail()}`, e));
      }
    };
    const onExit = (): void => {
      done();
      reject(emulatorError(`kinesalite child exited (${proc.exitStatus()}) before listening; output:\n${proc.outputTail()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(emulatorError(`kinesalite child did not listen within ${timeoutMs} ms; output:\n${proc.outputTail()}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      proc.child.off('exit', onExit);
    };
    stdout.on('data', onData);
    proc.child.once('exit', onExit);
  });
}
