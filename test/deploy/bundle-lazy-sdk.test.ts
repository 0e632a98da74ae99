/**
 * The bundled agent leaves the AWS SDK's Kinesis client unloaded on its default path (a stream named
 * by `stream`, a known region, `transport: direct`): `@aws-sdk/client-kinesis` and
 * `@smithy/node-http-handler` cost ~2 MiB of RSS. ListShards and PutRecords go direct; the SDK is
 * imported only for `transport: sdk` (and stream ARNs, unknown partitions).
 *
 * How it is seen: a `--import` preload writes the CommonJS module cache (`Module._cache`) on SIGUSR2.
 * Those packages are CommonJS (`main`, no `exports`), and a CommonJS module imported from ESM is
 * loaded by the CommonJS loader and cached there too; the `sdk` case checks that the probe sees them.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../bench/emulators/free-port.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { LOCAL_CREDENTIALS, localClient, readAll } from '../support/kinesis-fixture.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist/shardwise-agent.mjs');
const SDK_MODULES = /[\\/]@aws-sdk[\\/]client-kinesis[\\/]|[\\/]@smithy[\\/]node-http-handler[\\/]/;

const PROBE = `
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
process.on('SIGUSR2', () => writeFileSync(process.env.MODULES_OUT, JSON.stringify(Object.keys(require('node:module')._cache))));
`;

interface Case {
  readonly stream: string;
  readonly transport?: 'direct' | 'sdk';
  /** Keys in the configuration file; otherwise from the environment (the SDK's default provider chain). */
  readonly staticKeys: boolean;
}

interface Outcome {
  readonly modules: string[];
  readonly shards: number;
  readonly delivered: number;
}

describe('the bundled agent loads the AWS SDK client only when it needs it', () => {
  let kinesis: LocalKinesis;
  let dir: string;
  before(async () => {
    await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    kinesis = await startKinesalite({ streams: ['lazy-static', 'lazy-chain', 'lazy-sdk'].map((name) => ({ name, shards: 2 })) });
    dir = mkdtempSync(path.join(os.tmpdir(), 'shardwise-lazy-sdk-'));
    writeFileSync(path.join(dir, 'probe.mjs'), PROBE);
  });
  after(async () => {
    await kinesis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runAgent = async (c: Case): Promise<Outcome> => {
    const lines = 500;
    const work = path.join(dir, c.stream);
    const input = path.join(work, 'in.jsonl');
    const out = path.join(work, 'modules.json');
    const port = await freePort();
    const config = {
      gatewayId: 'lazy',
      stateDir: path.join(work, 'state'),
      sources: [{ type: 'file', name: 'f', paths: [input], format: 'jsonl', deviceId: { fromField: 'device' }, startAt: 'beginning', pollInterval: '100ms' }],
      sink: {
        type: 'kinesis',
        stream: c.stream,
        region: 'us-east-1',
        endpoint: kinesis.endpoint,
        ...(c.staticKeys ? { credentials: LOCAL_CREDENTIALS } : {}),
        ...(c.transport ? { transport: c.transport } : {}),
        lingerMs: '20ms',
      },
      metrics: { enabled: true, port },
      log: { level: 'warn' },
    };
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(input, `${Array.from({ length: lines }, (_, i) => JSON.stringify({ device: `d${i % 11}`, i })).join('\n')}\n`);
    writeFileSync(path.join(work, 'agent.yaml'), JSON.stringify(config));
    const env: NodeJS.ProcessEnv = { MODULES_OUT: out };
    for (const [k, v] of Object.entries(process.env)) if (!/^AWS_/.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
    if (!c.staticKeys) Object.assign(env, { AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey });
    const child = spawn(process.execPath, ['--import', path.join(dir, 'probe.mjs'), BUNDLE, '--config', path.join(work, 'agent.yaml')], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let modules: string[] = [];
    let shards = 0;
    try {
      let sent = 0;
      for (let i = 0; i < 300 && sent < lines; i++) {
        await sleep(100);
        const res = await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined);
        if (!res) continue;
        const status = (await res.json()) as { totals: { sent: number }; shards: unknown[] };
        sent = status.totals.sent;
        shards = status.shards.length;
      }
      assert.equal(sent, lines, `agent /status sent (stderr: ${stderr.slice(-2000)})`);
      child.kill('SIGUSR2');
      for (let i = 0; i < 50 && !existsSync(out); i++) await sleep(100);
      modules = JSON.parse(readFileSync(out, 'utf8')) as string[];
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, `clean exit after SIGTERM (stderr: ${stderr.slice(-2000)})`);
    const reader = localClient(kinesis.endpoint);
    try {
      const got = (await readAll(reader, c.stream)).records.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i);
      return { modules, shards, delivered: new Set(got).size };
    } finally {
      reader.destroy();
    }
  };

  it('default path (stream name, region, direct transport, static keys): ListShards and PutRecords without the SDK client', async () => {
    const o = await runAgent({ stream: 'lazy-static', staticKeys: true });
    assert.equal(o.delivered, 500);
    assert.equal(o.shards, 2, 'the shard map was listed (ListShards)');
    // The probe sees CommonJS packages the ESM bundle imports (pino is CommonJS).
    assert.ok(o.modules.some((m) => /[\\/]node_modules[\\/]pino[\\/]/.test(m)), `pino in the module cache: ${o.modules.length} modules`);
    assert.deepEqual(o.modules.filter((m) => SDK_MODULES.test(m)), []);
    assert.deepEqual(o.modules.filter((m) => /[\\/]@aws-sdk[\\/]/.test(m)), [], 'static keys: no credential provider either');
  });

  it('default path with credentials from the environment: the provider chain is loaded, the SDK client is not', async () => {
    const o = await runAgent({ stream: 'lazy-chain', staticKeys: false });
    assert.equal(o.delivered, 500);
    assert.equal(o.shards, 2);
    assert.ok(o.modules.some((m) => /[\\/]@aws-sdk[\\/]credential-provider-node[\\/]/.test(m)), 'the default provider chain was used');
    assert.deepEqual(o.modules.filter((m) => SDK_MODULES.test(m)), []);
  });

  it('transport: sdk still delivers, through the SDK client (loaded on demand)', async () => {
    const o = await runAgent({ stream: 'lazy-sdk', transport: 'sdk', staticKeys: true });
    assert.equal(o.delivered, 500);
    assert.equal(o.shards, 2);
    assert.ok(o.modules.some((m) => /[\\/]@aws-sdk[\\/]client-kinesis[\\/]/.test(m)), 'the probe sees the SDK client once it is loaded');
    assert.ok(o.modules.some((m) => /[\\/]@smithy[\\/]node-http-handler[\\/]/.test(m)));
  });
});
