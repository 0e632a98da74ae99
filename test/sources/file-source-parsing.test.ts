/** File source: formats (JSONL, CSV, raw), device id rules, and bad input routed to reject with its reason. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileSource } from '../../agent/sources/file/file-source.ts';
import type { FileSourceOptions } from '../../agent/sources/file/file-source-options.ts';
import { splitCsv } from '../../agent/sources/file/csv-parser.ts';
import { PathTemplate } from '../../agent/sources/file/path-template.ts';
import { CollectingDownstream, sleep, waitUntil } from './source-contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Writes `content` to `<tmp>/<file>`, runs a source over it until `expected` records and rejects arrived, and stops it. */
async function runOn(
  file: string,
  content: string | Buffer,
  over: Partial<FileSourceOptions>,
  expected: { accepted: number; rejected: number },
): Promise<CollectingDownstream> {
  const dir = await mkdtemp(join(tmpdir(), 'shardwise-parse-'));
  dirs.push(dir);
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, file), content);
  const ds = new CollectingDownstream();
  const src = new FileSource({
    name: 'p',
    paths: [join(dir, '**', '*.log')],
    format: 'jsonl',
    deviceId: { fromField: 'd' },
    startAt: 'beginning',
    pollIntervalMs: 20,
    checkpointPath: join(dir, 'cp.json'),
    maxLineBytes: 64,
    ...over,
  });
  await src.start(ds);
  const what = `${expected.accepted} accepted and ${expected.rejected} rejected`;
  await waitUntil(() => ds.accepted.length >= expected.accepted && ds.rejected.length >= expected.rejected, what);
  await sleep(60);
  await src.stop();
  assert.equal(ds.accepted.length, expected.accepted, 'accepted');
  assert.equal(ds.rejected.length, expected.rejected, `rejected: ${JSON.stringify(ds.rejected)}`);
  return ds;
}

describe('file source: JSON Lines', () => {
  it('parses only for a field rule and passes the parsed object on when keying needs it; payload is the line', async () => {
    const ds = await runOn('a.log', '{"d":"s1","t":"2024-01-02T03:04:05Z"}\r\n{"d":7,"t":1700000000000}\n', { eventTimeField: 't', keepFields: true }, {
      accepted: 2,
      rejected: 0,
    });
    assert.deepEqual(ds.texts(), ['{"d":"s1","t":"2024-01-02T03:04:05Z"}', '{"d":7,"t":1700000000000}']);
    assert.deepEqual(ds.accepted.map((r) => r.deviceId), ['s1', '7']);
    assert.deepEqual(ds.accepted.map((r) => r.eventTime), [Date.UTC(2024, 0, 2, 3, 4, 5), 1700000000000]);
    assert.deepEqual(ds.accepted[0]?.fields, { d: 's1', t: '2024-01-02T03:04:05Z' });
  });

  it('routes bad lines to reject with the right reason and lets the rest flow', async () => {
    const long = `{"d":"x","pad":"${'p'.repeat(100)}"}`;
    const huge = `{"d":"x","pad":"${'h'.repeat(10_000)}"}`; // spans several reads
    const lines = [
      Buffer.from('\uFEFF{"d":"a","n":0}\n'), // BOM at the start of the file is skipped
      Buffer.from('not json\n'),
      Buffer.from('[1,2]\n'),
      Buffer.from('{"n":1}\n'),
      Buffer.from(`${long}\n`),
      Buffer.from('\n'),
      Buffer.from('{"d":"b","n":2}\n'),
      Buffer.from('{"d":"c\u0000"}\n'),
      Buffer.concat([Buffer.from('{"d":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]),
      Buffer.from(`${huge}\n`),
      Buffer.from('{"d":"e","n":3}\n'),
    ];
    const ds = await runOn('a.log', Buffer.concat(lines), { emptyLines: 'reject', readChunkBytes: 4096 }, { accepted: 3, rejected: 8 });
    assert.deepEqual(ds.accepted.map((r) => r.deviceId), ['a', 'b', 'e']);
    assert.deepEqual(ds.reasons(), [
      'malformed-json',
      'malformed-json',
      'no-device-id',
      'too-large',
      'empty',
      'binary-payload',
      'binary-payload',
      'too-large',
    ]);
    assert.match(ds.rejected[7]?.detail ?? '', /line of 10018 bytes/);
    assert.ok(ds.rejected.every((r) => r.source === 'p'));
  });

  it('skips empty lines by default', async () => {
    const ds = await runOn('a.log', '\n{"d":"a"}\n\n', {}, { accepted: 1, rejected: 0 });
    assert.equal(ds.accepted[0]?.deviceId, 'a');
  });

  it('without keepFields the same lines are scanned, not parsed: same ids and times, no fields', async () => {
    const ds = await runOn('a.log', '{"d":"s1","t":"2024-01-02T03:04:05Z"}\r\n{"d":7,"t":1700000000000}\n{"d":"x",}\n', { eventTimeField: 't' }, {
      accepted: 2,
      rejected: 1,
    });
    assert.deepEqual(ds.accepted.map((r) => [r.deviceId, r.eventTime, r.fields]), [
      ['s1', Date.UTC(2024, 0, 2, 3, 4, 5), undefined],
      ['7', 1700000000000, undefined],
    ]);
    assert.deepEqual(ds.reasons(), ['malformed-json']);
  });

  it('with a fixed id checks structure only (no parse, no fields)', async () => {
    const ds = await runOn('a.log', '{"x":1}\n  [2] \nnope\n', { deviceId: { fixed: 'gw-1' } }, { accepted: 2, rejected: 1 });
    assert.deepEqual(ds.accepted.map((r) => [r.deviceId, r.fields]), [
      ['gw-1', undefined],
      ['gw-1', undefined],
    ]);
    assert.deepEqual(ds.reasons(), ['malformed-json']);
  });

  it('with validateJson parses every line even for a fixed id', async () => {
    const ds = await runOn('a.log', '{"x":1}\n{"x":}\n', { deviceId: { fixed: 'gw-1' }, validateJson: true }, { accepted: 1, rejected: 1 });
    assert.deepEqual(ds.accepted[0]?.fields, { x: 1 });
    assert.deepEqual(ds.reasons(), ['malformed-json']);
  });
});

describe('file source: CSV', () => {
  const csv = 'device;temp;note\nA;1;x\nB;2;"q;uoted ""x"""\nC;3\nD;4;\n';

  it('names fields from the header, handles quotes, rejects a wrong column count', async () => {
    const ds = await runOn('a.log', csv, { format: 'csv', csv: { delimiter: ';', header: true }, deviceId: { fromField: 'device' } }, {
      accepted: 3,
      rejected: 1,
    });
    assert.deepEqual(ds.accepted.map((r) => r.fields), [
      { device: 'A', temp: '1', note: 'x' },
      { device: 'B', temp: '2', note: 'q;uoted "x"' },
      { device: 'D', temp: '4', note: '' },
    ]);
    assert.deepEqual(ds.texts()[0], 'A;1;x');
    assert.deepEqual(ds.reasons(), ['malformed-csv']);
    assert.match(ds.rejected[0]?.detail ?? '', /2 columns, header has 3/);
  });

  it('can emit rows as JSON objects', async () => {
    const ds = await runOn('a.log', 'id,v\nq,1\n', { format: 'csv', csv: { delimiter: ',', header: true, payload: 'json' }, deviceId: { fromField: 'id' } }, {
      accepted: 1,
      rejected: 0,
    });
    assert.deepEqual(JSON.parse(ds.texts()[0] ?? ''), { id: 'q', v: '1' });
  });

  it('splitCsv follows RFC 4180 quoting within a line', () => {
    const out: string[] = [];
    assert.equal(splitCsv('a,"b,c",,"d""e",', ',', out), true);
    assert.deepEqual(out, ['a', 'b,c', '', 'd"e', '']);
    assert.equal(splitCsv('a,"open', ',', []), false);
  });
});

describe('file source: raw lines and path templates', () => {
  it('takes the device id from the path and the line as payload', async () => {
    const ds = await runOn('sub/meter-9.log', 'hello\nworld\n', { format: 'raw', deviceId: { fromPath: '/**/sub/{device}.log' } }, {
      accepted: 2,
      rejected: 0,
    });
    assert.deepEqual(ds.accepted.map((r) => [r.deviceId, Buffer.from(r.payload).toString()]), [
      ['meter-9', 'hello'],
      ['meter-9', 'world'],
    ]);
  });

  it('rejects lines of a file whose path does not fit the template', async () => {
    const ds = await runOn('other.log', 'x\n', { format: 'raw', deviceId: { fromPath: 'sub/{device}.log' } }, { accepted: 0, rejected: 1 });
    assert.deepEqual(ds.reasons(), ['no-device-id']);
  });

  it('PathTemplate matches absolute and relative templates', () => {
    assert.equal(new PathTemplate('/var/log/{device}.log').match('/var/log/s1.log'), 's1');
    assert.equal(new PathTemplate('/var/log/{device}.log').match('/var/log/a/s1.log'), undefined);
    assert.equal(new PathTemplate('{camera}/*.mp4').match('/srv/cams/front/0001.mp4'), 'front');
    assert.equal(new PathTemplate('/srv/{site}/.../{cam}/*.ts').match('/srv/x/a/b/c2/1.ts'), 'x/c2');
    assert.throws(() => new PathTemplate('/var/log/*.log'), /placeholder/);
  });
});
