import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeDeadLetter } from '../../agent/dead-letter/dead-letter-line.ts';
import type { DeadLetterEntry } from '../../agent/dead-letter/dead-letter-line.ts';
import { DeadLetterWriter } from '../../agent/dead-letter/dead-letter-writer.ts';

const T = '2024-05-01T12:00:00.000Z';

function decode(line: string): DeadLetterEntry {
  assert.ok(line.endsWith('\n'));
  return JSON.parse(line) as DeadLetterEntry;
}

class Warnings {
  readonly keys: string[] = [];
  readonly fields: object[] = [];
  warn(key: string, _msg: string, fields?: object): void {
    this.keys.push(key);
    if (fields) this.fields.push(fields);
  }
}

describe('dead-letter line', () => {
  it('keeps text as UTF-8 and binary as base64, with the original size', () => {
    const text = decode(encodeDeadLetter(T, 'mqtt-1', 'malformed-json', Buffer.from('{"t": 21.5,'), 'Unexpected end', 1024));
    assert.deepEqual(text, { time: T, source: 'mqtt-1', reason: 'malformed-json', detail: 'Unexpected end', size: 11, encoding: 'utf8', payload: '{"t": 21.5,' });
    const bin = new Uint8Array([0x00, 0xff, 0x10, 0x41]);
    const b = decode(encodeDeadLetter(T, 'cam', 'binary-payload', bin, undefined, 1024));
    assert.equal(b.encoding, 'base64');
    assert.deepEqual([...Buffer.from(b.payload, 'base64')], [...bin]);
    assert.equal(b.detail, undefined);
    assert.equal(b.truncated, undefined);
    const invalidUtf8 = decode(encodeDeadLetter(T, 's', 'r', new Uint8Array([0x61, 0xc3, 0x28]), undefined, 1024));
    assert.equal(invalidUtf8.encoding, 'base64');
    const str = decode(encodeDeadLetter(T, 's', 'r', 'línea\tcon tab\r\n', undefined, 1024));
    assert.equal(str.payload, 'línea\tcon tab\r\n');
    assert.equal(str.size, Buffer.byteLength('línea\tcon tab\r\n'));
  });

  it('truncates to maxPayloadBytes without splitting a UTF-8 character', () => {
    const input = Buffer.from('ab€€€'); // € is 3 bytes: a b [e2 82 ac]×3 = 11 bytes
    const e = decode(encodeDeadLetter(T, 's', 'too-large', input, undefined, 4));
    assert.equal(e.truncated, true);
    assert.equal(e.encoding, 'utf8');
    assert.equal(e.payload, 'ab', 'the cut € is dropped whole');
    assert.equal(e.size, 11);
    const big = decode(encodeDeadLetter(T, 's', 'too-large', Buffer.alloc(100_000, 0x78), undefined, 64 * 1024));
    assert.equal(big.payload.length, 64 * 1024);
    assert.equal(big.truncated, true);
    const binCut = decode(encodeDeadLetter(T, 's', 'r', Buffer.alloc(10, 0), undefined, 3));
    assert.equal(Buffer.from(binCut.payload, 'base64').length, 3);
  });
});

describe('dead-letter writer', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shardwise-dl-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes 0600 JSON lines and rotates by size, keeping at most maxFiles rotated files', async () => {
    const path = join(dir, 'rot', 'dead-letter.jsonl');
    const w = new DeadLetterWriter({ path, maxBytes: 2048, maxFiles: 2, flushBytes: 512 });
    await w.start();
    for (let i = 0; i < 200; i++) w.write('logs', 'malformed-csv', `line number ${i} ${'x'.repeat(40)}`, `row ${i}`);
    await w.stop();
    const files = (await readdir(join(dir, 'rot'))).sort();
    assert.deepEqual(files, ['dead-letter.jsonl', 'dead-letter.jsonl.1', 'dead-letter.jsonl.2']);
    let lines: DeadLetterEntry[] = [];
    for (const f of ['dead-letter.jsonl.2', 'dead-letter.jsonl.1', 'dead-letter.jsonl']) {
      const p = join(dir, 'rot', f);
      const st = await stat(p);
      assert.equal(st.mode & 0o777, 0o600, `${f} mode`);
      assert.ok(st.size <= 2048, `${f} is ${st.size} bytes`);
      lines = lines.concat((await readFile(p, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as DeadLetterEntry));
    }
    // Oldest to newest, contiguous, ending with the last line written; older ones rotated away.
    assert.equal(lines.at(-1)?.detail, 'row 199');
    const first = Number(lines[0]?.detail?.slice(4));
    assert.ok(first > 0, 'the oldest lines were rotated out');
    assert.deepEqual(lines.map((l) => l.detail), Array.from({ length: 200 - first }, (_, k) => `row ${first + k}`));
    const s = w.stats();
    assert.equal(s.received, 200);
    assert.equal(s.written, 200);
    assert.equal(s.lost, 0);
    assert.ok(s.rotations >= 3);
  });

  it('counts per (source, reason)', async () => {
    const w = new DeadLetterWriter({ path: join(dir, 'counts.jsonl'), maxBytes: 65536, maxFiles: 1 });
    await w.start();
    w.write('mqtt-1', 'malformed-json', 'x');
    w.write('mqtt-1', 'malformed-json', 'y');
    w.write('mqtt-1', 'no-device-id', 'z');
    w.write('logs', 'too-large', 'w');
    await w.stop();
    const got: [string, string, number][] = [];
    w.forEachCount((s, r, n) => got.push([s, r, n]));
    assert.deepEqual(got, [
      ['mqtt-1', 'malformed-json', 2],
      ['mqtt-1', 'no-device-id', 1],
      ['logs', 'too-large', 1],
    ]);
  });

  it('never throws on an unwritable location: counts the error and the lost lines, logs once per burst without payload', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'a file where a directory should be');
    const log = new Warnings();
    const w = new DeadLetterWriter({ path: join(blocker, 'dl.jsonl'), maxBytes: 65536, maxFiles: 2, log });
    await assert.doesNotReject(w.start());
    assert.doesNotThrow(() => {
      for (let i = 0; i < 10; i++) w.write('mqtt-1', 'malformed-json', 'SECRET-PAYLOAD', 'detail');
    });
    await assert.doesNotReject(w.flush());
    w.write('mqtt-1', 'malformed-json', 'SECRET-PAYLOAD');
    await assert.doesNotReject(w.stop());
    const s = w.stats();
    assert.equal(s.written, 0);
    assert.equal(s.lost, 11);
    assert.ok(s.ioErrors >= 2, `ioErrors ${s.ioErrors}`);
    assert.ok(log.keys[0]?.startsWith('dead-letter:open:E'), log.keys.join());
    assert.ok(!JSON.stringify(log.fields).includes('SECRET-PAYLOAD'), 'payload never logged');
    let counted = 0;
    w.forEachCount((_s, _r, n) => (counted += n));
    assert.equal(counted, 11, 'rejections are still counted for metrics');
  });

  it('tightens the mode of an existing file and removes rotated files beyond maxFiles', async () => {
    const sub = join(dir, 'existing');
    const path = join(sub, 'dl.jsonl');
    await rm(sub, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    await writeFile(path, '', { mode: 0o644 });
    for (const n of [1, 2, 3, 4]) await writeFile(`${path}.${n}`, 'old\n');
    const w = new DeadLetterWriter({ path, maxBytes: 65536, maxFiles: 2 });
    await w.start();
    w.write('s', 'empty', '');
    await w.stop();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(sub)).sort(), ['dl.jsonl', 'dl.jsonl.1', 'dl.jsonl.2']);
    const line = JSON.parse(await readFile(path, 'utf8')) as DeadLetterEntry;
    assert.equal(line.size, 0);
    assert.equal(line.reason, 'empty');
  });

  it('drops (and counts) lines when its buffer is full instead of growing without bound', async () => {
    const log = new Warnings();
    const w = new DeadLetterWriter({ path: join(dir, 'full.jsonl'), maxBytes: 65536, maxFiles: 1, maxBufferBytes: 1000, flushBytes: 1 << 30, log });
    for (let i = 0; i < 20; i++) w.write('s', 'too-large', 'y'.repeat(100));
    const before = w.stats();
    assert.ok(before.lost > 0 && before.lost < 20, `lost ${before.lost}`);
    assert.ok(before.pendingBytes <= 1000);
    await w.stop();
    assert.equal(w.stats().written + w.stats().lost, 20);
    assert.deepEqual([...new Set(log.keys)], ['dead-letter:buffer-full']);
  });
});
