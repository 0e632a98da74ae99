/**
 * `shardwise-bench` as a user runs it (a child process): run on model:// writes a JSON report with
 * the stable fields and prints the text report and progress; Zipf traffic is flatter under
 * balanced keying than device keying; a broken scenario exits 2 with every problem's path.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bench/cli/bin.mjs');
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shardwise-bench-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

test('run on model:// prints the report and progress, and writes a JSON report with the stable fields', async () => {
  const report = join(dir, 'country.json');
  const r = await cli(['run', '--scenario', 'scenarios/country-key.yaml', '--duration', '3s', '--devices', '2000', '--seed', '5', '--report', report]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /HOT/);
  assert.match(r.stdout, /from intended time: p50/);
  assert.match(r.stdout, /field\(country\)/);
  assert.match(r.stderr, /\[ +\d+s\] +sent .*acked .*p99 .*errors \d+ .*throttled \d+ .*hottest shardId-\d+ \d+ %/);
  const j = JSON.parse(await readFile(report, 'utf8')) as Record<string, unknown>;
  assert.equal(j['schema'], 'shardwise.bench.report/1');
  assert.equal(j['scenario'], 'country-key');
  for (const p of ['records.sent', 'records.acked', 'records.failed', 'records.throttled', 'records.generated', 'records.droppedLate', 'records.droppedBacklog']) assert.equal(typeof at(j, p), 'number', p);
  for (const p of ['p50', 'p90', 'p99', 'p999', 'p9999', 'max']) assert.equal(typeof at(j, `latency.ms.${p}`), 'number', `latency.ms.${p}`);
  assert.equal(typeof at(j, 'latency.histogram'), 'string');
  for (const p of ['skew.maxOverMean', 'skew.cov', 'recommendation.shardsNeeded', 'recommendation.targetUtilisation']) assert.equal(typeof at(j, p), 'number', p);
  assert.equal(at(j, 'recommendation.keying.best'), 'balanced');
  assert.equal(at(j, 'keptUp.ok'), true);
  assert.equal(typeof at(j, 'devices.records'), 'string');
  const shards = j['shards'] as Record<string, unknown>[];
  assert.equal(shards.length, 8);
  for (const s of shards) {
    for (const k of ['records', 'bytes', 'peakRecordsPerSec', 'peakBytesPerSec', 'utilisation', 'throttled']) assert.equal(typeof s[k], 'number', k);
    for (const k of ['hot', 'warm']) assert.equal(typeof s[k], 'boolean', k);
    assert.equal(typeof s['id'], 'string');
  }
  assert.equal(shards.filter((s) => s['hot'] === true).length, 1);
  assert.equal(shards.reduce((a, s) => a + (s['records'] as number), 0), at(j, 'records.sent'));
});

test('Zipf traffic through the CLI: balanced keying is flatter than device keying', async () => {
  const scenario = (keying: string): string =>
    [
      'name: zipf',
      'duration: 60s',
      'seed: 7',
      'fleet: { devices: 5000 }',
      'rate: { total: 5000, popularity: { kind: zipf, s: 0.9 } }',
      'stream:',
      '  shards: 8',
      `  keying: ${keying}`,
      'engine: { step: 5ms }',
    ].join('\n');
  const skew = async (keying: string): Promise<number> => {
    const file = join(dir, `zipf-${keying.replace(/\W/g, '')}.yaml`);
    const report = join(dir, `zipf-${keying.replace(/\W/g, '')}.json`);
    await writeFile(file, scenario(keying));
    const r = await cli(['run', '--scenario', file, '--report', report, '--quiet', '--no-replay']);
    assert.equal(r.code, 0, r.stderr);
    return at(JSON.parse(await readFile(report, 'utf8')), 'skew.maxOverMean') as number;
  };
  const device = await skew('device');
  const balanced = await skew('{ kind: balanced, halfLife: 5s, moveAfter: 5s, threshold: 1.1 }');
  assert.ok(device >= 1.3, `device max/mean ${device}`);
  assert.ok(balanced <= 1.15, `balanced max/mean ${balanced}`);
  assert.ok(balanced < device);
});

test('--assignments: balanced placements saved by one run are restored by the next', async () => {
  const file = join(dir, 'balanced.yaml');
  await writeFile(file, 'duration: 5s\nfleet: { devices: 500 }\nrate: { total: 1000, arrivals: constant }\nstream: { shards: 4, keying: balanced }\n');
  const store = join(dir, 'assignments.bin');
  const reports = [join(dir, 'a1.json'), join(dir, 'a2.json')];
  for (const report of reports) {
    const r = await cli(['run', '--scenario', file, '--assignments', store, '--report', report, '--quiet', '--no-replay']);
    assert.equal(r.code, 0, r.stderr);
  }
  const [first, second] = await Promise.all(reports.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as unknown));
  assert.equal(at(first, 'keying.stats.assigned'), 500);
  assert.equal(at(second, 'keying.stats.assigned'), 0, 'every device was restored to its saved shard');
  const wrong = await cli(['run', '--scenario', 'scenarios/cameras.yaml', '--assignments', store, '--quiet']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--assignments: only balanced keying/);
});

test('--workers 2 on model:// merges both parts into one report', async () => {
  const report = join(dir, 'workers.json');
  const r = await cli(['run', '--scenario', 'scenarios/trucks-ordered.yaml', '--duration', '2s', '--devices', '4000', '--workers', '2', '--report', report, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(await readFile(report, 'utf8')) as Record<string, unknown>;
  assert.equal(j['parts'], 2);
  assert.equal(at(j, 'target.shards'), 6);
  assert.equal(at(j, 'devices.count'), 4000);
  assert.equal(at(j, 'records.sent'), at(j, 'records.generated'));
});

test('a broken scenario: exit code 2 and every problem with its path; bad flags too', async () => {
  const file = join(dir, 'broken.yaml');
  await writeFile(file, 'fleet:\n  devices: 0\nrate:\n  every: soon\nstream:\n  keying: salted:0\n  shard: 8\n');
  const r = await cli(['run', '--scenario', file]);
  assert.equal(r.code, 2);
  for (const p of ['fleet.devices', 'rate.every', 'stream.keying.buckets', 'stream.shard']) assert.match(r.stderr, new RegExp(`${p.replace(/\./g, '\\.')}: `), p);
  assert.match(r.stderr, /E_CONFIG/);
  assert.doesNotMatch(r.stderr, /\n +at /, 'no stack trace');
  const flags = await cli(['run', '--scenario', 'scenarios/cameras.yaml', '--duration', '60', '--quiet']);
  assert.equal(flags.code, 2);
  assert.match(flags.stderr, /--duration: give a unit/);
  const target = await cli(['run', '--scenario', 'scenarios/cameras.yaml', '--target', 'model://?shard=2', '--quiet']);
  assert.equal(target.code, 2);
  assert.match(target.stderr, /unknown parameter shard \(valid: shards/);
});
