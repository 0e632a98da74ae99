/**
 * kinesis-local (npm `kinesis-local`, the Scala.js build of kinesis-mock that LocalStack uses) in a
 * child process: `node --require exit-with-parent.cjs main.js`, configured through the environment
 * variables its README lists. Faithful but slow (≈ 2,000 records/s, slower as data grows): use it
 * for small functional tests, never for throughput.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { freePort } from './free-port.ts';
import {
  EmulatorProcess,
  adminClient,
  localKinesisHandle,
  streamsFromOptions,
  waitForActive,
  waitUntilAnswering,
  type LocalKinesis,
  type StreamSpec,
} from './local-kinesis.ts';

export interface KinesisLocalOptions {
  /** Shard count of a stream named DEFAULT_STREAM_NAME ('shardwise') created at start. */
  shards?: number;
  /** Streams created at start through INITIALIZE_STREAMS, ACTIVE before the promise resolves. */
  streams?: StreamSpec[];
  /** Persist to this directory (SHOULD_PERSIST_DATA, PERSIST_PATH); in memory when absent. */
  path?: string;
  /** Duration of every CREATING / UPDATING / DELETING phase (all *_DURATION variables), ms; default 10. */
  transitionMs?: number;
  /** Account shard limit (SHARD_LIMIT, default here 1000; the emulator's own default is 50). */
  shardLimit?: number;
  /** 'WARN' (default) logs bad requests; 'ERROR' only unhandled errors. */
  logLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
  startTimeoutMs?: number;
}

const DURATION_VARS = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
  'MERGE_SHARDS_DURATION',
  'SPLIT_SHARD_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
] as const;

const GUARD = fileURLToPath(new URL('./exit-with-parent.cjs', import.meta.url));

function kinesisLocalMain(): string {
  return createRequire(import.meta.url).resolve('kinesis-local/main.js');
}

export async function startKinesisLocal(opts: KinesisLocalOptions = {}): Promise<LocalKinesis> {
  const streams = streamsFromOptions(opts);
  // The ports are picked before the child binds them: another process may take one in between,
  // which makes kinesis-local exit with EADDRINUSE. Then try again with fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, streams);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof ShardwiseError) || !e.message.includes('EADDRINUSE')) throw e;
    }
  }
}

async function startOnce(opts: KinesisLocalOptions, streams: StreamSpec[]): Promise<LocalKinesis> {
  const main = kinesisLocalMain();
  const plainPort = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === plainPort) tlsPort = await freePort();
  const transition = `${opts.transitionMs ?? 10}ms`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    // The default is relative to the working directory.
    KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
    LOG_LEVEL: opts.logLevel ?? 'WARN',
    // Streams live in a region: the child inherits AWS_REGION like our clients do (default us-east-1).
    SHARD_LIMIT: String(opts.shardLimit ?? 1000),
    SHOULD_PERSIST_DATA: opts.path === undefined ? 'false' : 'true',
    ...(opts.path === undefined ? {} : { PERSIST_PATH: resolve(opts.path), LOAD_DATA_IF_EXISTS: 'true' }),
    ...Object.fromEntries(DURATION_VARS.map((v) => [v, transition])),
  };
  if (streams.length > 0) env['INITIALIZE_STREAMS'] = streams.map((s) => `${s.name}:${s.shards}`).join(',');
  else delete env['INITIALIZE_STREAMS'];

  const proc = new EmulatorProcess(['--require', GUARD, main], env);
  const client = adminClient(`http://127.0.0.1:${plainPort}`);
  try {
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    await waitUntilAnswering(client, proc, timeoutMs);
    for (const s of streams) await waitForActive(client, s.name, timeoutMs);
  } catch (e) {
    client.destroy();
    await proc.stop();
    throw e;
  }
  return localKinesisHandle('kinesis-local', proc, plainPort, client, 30_000);
}

