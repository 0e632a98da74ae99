/**
 * The deployed form of the agent: `npm run build` bundles it into dist/shardwise-agent.mjs, which
 * the systemd unit and install-pi.sh run. Built here exactly as documented, then run for real:
 * --help, --check on an example, and 2,000 lines from a file into kinesalite.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../bench/emulators/free-port.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis } from '../../bench/emulators/local-kinesis.ts';
import { agentEnv, deployedRuntimeEnv } from '../../bench/perf/deployed-runtime.ts';
import { LOCAL_CREDENTIALS, localClient, readAll } from '../support/kinesis-fixture.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist/shardwise-agent.mjs');

describe('the bundled agent (npm run build), as the systemd unit runs it', () => {
  let kinesis: LocalKinesis;
  before(async () => {
    await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    kinesis = await startKinesalite({ streams: [{ name: 'bundle', shards: 2 }] });
  });
  after(async () => {
    await kinesis?.stop();
  });

  it('is what the unit and the installer start', () => {
    assert.match(readFileSync(path.join(ROOT, 'deploy/shardwise-agent.service'), 'utf8'), /^ExecStart=.* \/opt\/shardwise\/dist\/shardwise-agent\.mjs --config /m);
    assert.match(readFileSync(path.join(ROOT, 'deploy/install-pi.sh'), 'utf8'), /npm ci --omit=dev [^\n]*&& npm run build/);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts['build'] ?? '', /--outfile=dist\/shardwise-agent\.mjs/);
  });

  it('is ASCII only: V8 keeps a script with any other character as a two-byte string (twice the memory)', () => {
    const text = readFileSync(BUNDLE, 'latin1');
    const at = text.search(/[^\x00-\x7f]/);
    const line = at < 0 ? '' : text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at));
    assert.equal(at, -1, `non-ASCII byte in the bundle (a comment esbuild keeps, e.g. on a class field?): ${line.trim()}`);
  });

  it("runs under the unit's NODE_OPTIONS: every flag accepted there, in effect in the process", async () => {
    const env = deployedRuntimeEnv();
    const opts = env['NODE_OPTIONS'] ?? '';
    assert.match(opts, /--max-old-space-size=\d+/);
    const probe = "const v8 = require('node:v8'); console.log(JSON.stringify({ limit: v8.getHeapStatistics().heap_size_limit, semi: v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size }))";
    const out = await run(process.execPath, ['-e', probe], { env: agentEnv(env) });
    const got = JSON.parse(out.stdout) as { limit: number; semi: number };
    const mb = (flag: string): number | undefined => {
      const m = new RegExp(`--${flag}=(\\d+)`).exec(opts);
      return m ? Number(m[1]) * 2 ** 20 : undefined;
    };
    const old = mb('max-old-space-size') as number;
    assert.ok(got.limit >= old && got.limit < old + 64 * 2 ** 20, `heap limit ${got.limit} follows --max-old-space-size`);
    const semi = mb('max-semi-space-size');
    if (semi !== undefined) assert.ok(got.semi <= semi, `new space ${got.semi} within --max-semi-space-size`);
  });

  it('answers --help and --check (secrets masked)', async () => {
    const help = await run(process.execPath, [BUNDLE, '--help']);
    assert.match(help.stdout, /shardwise-agent --config FILE/);
    const env = { ...process.env, MQTT_PASSWORD: 'bundle-secret-pw', AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'bundle-secret-key' };
    const check = await run(process.execPath, [BUNDLE, '--check', '--config', path.join(ROOT, 'deploy/examples/mqtt-telemetry.yaml')], { env });
    assert.match(check.stdout, /sources:/);
    assert.ok(!check.stdout.includes('bundle-secret-pw') && !check.stdout.includes('bundle-secret-key'), 'no secret printed');
    for (const [args, says] of [[['--check'], /Missing required option: --config/], [['--config', 'x.yaml', '--chek'], /Unknown option '--chek'/]] as const) {
      const bad = await run(process.execPath, [BUNDLE, ...args]).then(
        () => assert.fail(`${args.join(' ')}: exit status 0`),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(bad.code, 2, args.join(' '));
      assert.match(bad.stderr, says);
      assert.match(bad.stderr, /shardwise-agent --config FILE/, 'the usage with it');
    }
  });

  it('tails a file into Kinesis: every line once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shardwise-bundle-'));
    try {
      const lines = 2000;
      const text = Array.from({ length: lines }, (_, i) => JSON.stringify({ device: `d${i % 37}`, i })).join('\n');
      writeFileSync(path.join(dir, 'in.jsonl'), `${text}\n`);
      const port = await freePort();
      const config = {
        gatewayId: 'bundle',
        stateDir: path.join(dir, 'state'),
        sources: [{ type: 'file', name: 'f', paths: [path.join(dir, 'in.jsonl')], format: 'jsonl', deviceId: { fromField: 'device' }, startAt: 'beginning', pollInterval: '100ms' }],
        sink: { type: 'kinesis', stream: 'bundle', region: 'us-east-1', endpoint: kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '20ms' },
        metrics: { enabled: true, port },
        log: { level: 'warn' },
      };
      writeFileSync(path.join(dir, 'agent.yaml'), JSON.stringify(config));
      // With the unit's runtime settings (NODE_OPTIONS, MALLOC_*), as systemd starts it.
      const env = agentEnv(deployedRuntimeEnv());
      const child = spawn(process.execPath, [BUNDLE, '--config', path.join(dir, 'agent.yaml')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        let sent = 0;
        for (let i = 0; i < 300 && sent < lines; i++) {
          await sleep(100);
          const res = await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined);
          if (res) sent = ((await res.json()) as { totals: { sent: number } }).totals.sent;
        }
        assert.equal(sent, lines, `agent /status sent (stderr: ${stderr.slice(-2000)})`);
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, `clean exit after SIGTERM (stderr: ${stderr.slice(-2000)})`);
      const reader = localClient(kinesis.endpoint);
      const got = (await readAll(reader, 'bundle')).records.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i);
      reader.destroy();
      assert.equal(got.length, lines);
      assert.equal(new Set(got).size, lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
