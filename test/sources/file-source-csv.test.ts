/**
 * CSV layouts: files without a header line (`header: false` + `columns`), a header line whose names
 * `columns` replaces, the row-width check (wrong number of fields → rejected as malformed-csv with
 * both counts), a restart in the middle of a header-less file, and the config rules for columns.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAgentConfig } from '../../agent/config/agent-config.ts';
import { FileSource } from '../../agent/sources/file/file-source.ts';
import type { CsvOptions } from '../../agent/sources/file/file-source-options.ts';
import { CollectingDownstream, waitUntil } from './source-contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'shardwise-csv-'));
  dirs.push(d);
  return d;
}

function csvSource(dir: string, csv: CsvOptions, payload: 'line' | 'json' = 'line'): FileSource {
  return new FileSource({
    name: 'meters',
    paths: [join(dir, '*.csv')],
    format: 'csv',
    csv: { ...csv, payload },
    deviceId: { fromField: 'meter' },
    startAt: 'beginning',
    pollIntervalMs: 20,
    checkpointPath: join(dir, 'state', 'cp.json'),
    checkpointIntervalMs: 0,
    maxLineBytes: 1024,
  });
}

async function collect(src: FileSource, accepted: number, rejected: number): Promise<CollectingDownstream> {
  const ds = new CollectingDownstream();
  await src.start(ds);
  await waitUntil(() => ds.accepted.length >= accepted && ds.rejected.length >= rejected, `${accepted} accepted, ${rejected} rejected`);
  await src.stop();
  assert.equal(ds.accepted.length, accepted, 'accepted');
  assert.equal(ds.rejected.length, rejected, `rejected: ${JSON.stringify(ds.rejected)}`);
  return ds;
}

describe('file source: CSV without a header line', () => {
  it('names every line\'s cells from csv.columns (the first line is data too); a row of the wrong width is rejected with both counts', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.csv'), 'm1,21.5,ok\nm2,22\nm3,"23,5",""\nm1,24,ok,extra\n');
    const ds = await collect(csvSource(dir, { delimiter: ',', header: false, columns: ['meter', 'temp', 'status'] }), 2, 2);
    assert.deepEqual(ds.accepted.map((r) => [r.deviceId, r.fields]), [
      ['m1', { meter: 'm1', temp: '21.5', status: 'ok' }],
      ['m3', { meter: 'm3', temp: '23,5', status: '' }],
    ]);
    assert.deepEqual(ds.texts(), ['m1,21.5,ok', 'm3,"23,5",""'], 'the payload is the row as written');
    assert.deepEqual(ds.rejected.map((r) => [r.reason, r.raw]), [['malformed-csv', 'm2,22'], ['malformed-csv', 'm1,24,ok,extra']]);
    assert.match(ds.rejected[0]?.detail ?? '', /2 columns, csv\.columns has 3/);
    assert.match(ds.rejected[1]?.detail ?? '', /4 columns, csv\.columns has 3/);
  });

  it('resumes in the middle of a header-less file without taking a line for a header', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.csv');
    await writeFile(file, 'm1,1\nm2,2\n');
    const csv: CsvOptions = { delimiter: ',', header: false, columns: ['meter', 'v'] };
    const first = await collect(csvSource(dir, csv), 2, 0);
    assert.deepEqual(first.accepted.map((r) => r.fields), [{ meter: 'm1', v: '1' }, { meter: 'm2', v: '2' }]);
    await appendFile(file, 'm3,3\nm4,4\n');
    const second = await collect(csvSource(dir, csv), 2, 0);
    assert.deepEqual(second.accepted.map((r) => r.fields), [{ meter: 'm3', v: '3' }, { meter: 'm4', v: '4' }]);
  });

  it('JSON payloads carry the column names', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.csv'), 'm9;7\n');
    const ds = await collect(csvSource(dir, { delimiter: ';', header: false, columns: ['meter', 'v'] }, 'json'), 1, 0);
    assert.deepEqual(JSON.parse(ds.texts()[0] ?? ''), { meter: 'm9', v: '7' });
  });
});

describe('file source: CSV header replaced by csv.columns', () => {
  it('skips the header line (also when a writer repeats it) and uses the configured names', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.csv'), 'ID,T\nm1,5\nID,T\nm2,6\n');
    const ds = await collect(csvSource(dir, { delimiter: ',', header: true, columns: ['meter', 'temp'] }), 2, 0);
    assert.deepEqual(ds.accepted.map((r) => r.fields), [{ meter: 'm1', temp: '5' }, { meter: 'm2', temp: '6' }]);
  });
});

describe('config: csv.header and csv.columns', () => {
  const withCsv = (csv: Record<string, unknown>) =>
    JSON.stringify({
      gatewayId: 'gw',
      stateDir: '/tmp/x',
      sources: [{ type: 'file', name: 'f', paths: ['/data/*.csv'], format: 'csv', csv, deviceId: { fromField: 'meter' } }],
      sink: { type: 'kinesis', stream: 's', region: 'us-east-1' },
    });
  const issues = (text: string): string[] => {
    const r = parseAgentConfig(text, { env: {} });
    return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
  };

  it('columns are required without a header line, and must be unique', () => {
    assert.deepEqual(issues(withCsv({ header: false })), ['sources[0].csv.columns: required when csv.header is false']);
    assert.deepEqual(issues(withCsv({ header: false, columns: ['meter', 'v', 'meter'] })), [
      'sources[0].csv.columns[2]: duplicate column name "meter" (also csv.columns[0])',
    ]);
    assert.deepEqual(issues(withCsv({ header: false, columns: ['meter', 'v'] })), []);
  });

  it('the agent wiring passes header and columns to the source', async () => {
    const { buildSources } = await import('../../agent/pipeline/build-sources.ts');
    const { createLogger } = await import('../../agent/log/logger.ts');
    const r = parseAgentConfig(withCsv({ header: false, columns: ['meter', 'v'], delimiter: ';' }), { env: {} });
    assert.ok(r.ok);
    const [src] = buildSources(r.value, createLogger({ level: 'silent' }));
    assert.ok(src instanceof FileSource);
    assert.deepEqual(src.opts.csv, { delimiter: ';', header: false, columns: ['meter', 'v'] });
  });
});
