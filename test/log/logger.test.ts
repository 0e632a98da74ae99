import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, levelLog, REDACTED } from '../../agent/log/logger.ts';
import { formatPrettyLine, prettyDestination } from '../../agent/log/pretty.ts';

function capture(): { lines: () => Record<string, unknown>[]; write(s: string): void } {
  const raw: string[] = [];
  return {
    write: (s: string) => void raw.push(s),
    lines: () => raw.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes JSON lines with level labels, ISO time and base fields', () => {
    const out = capture();
    const log = createLogger({ level: 'info', base: { gatewayId: 'gw-1' }, destination: out });
    log.info({ files: 3 }, 'watching');
    log.debug('not shown at info');
    const [line, ...rest] = out.lines();
    assert.equal(rest.length, 0, 'debug is below the level');
    assert.equal(line?.['level'], 'info');
    assert.equal(line?.['msg'], 'watching');
    assert.equal(line?.['gatewayId'], 'gw-1');
    assert.equal(line?.['files'], 3);
    assert.match(String(line?.['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('redacts secrets at the top level, nested one and two levels, in headers, and config paths given', () => {
    const out = capture();
    const log = createLogger({ destination: out, redactPaths: ['sources[*].url'] });
    log.warn(
      {
        password: 'p0',
        mqtt: { password: 'p1', username: 'kept' },
        sink: { credentials: { secretAccessKey: 's2', sessionToken: 't2', accessKeyId: 'AKIA-kept' } },
        tls: { key: 'PRIVATE' },
        req: { headers: { authorization: 'Bearer x', host: 'kept' } },
        sources: [{ url: 'mqtt://u:pw@host' }],
      },
      'config loaded',
    );
    const text = JSON.stringify(out.lines()[0]);
    for (const secret of ['p0', 'p1', 's2', 't2', 'PRIVATE', 'Bearer x', 'u:pw']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    const line = out.lines()[0] as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(line['mqtt']?.['username'], 'kept');
    assert.equal(line['sink']?.['credentials']?.['accessKeyId'], 'AKIA-kept');
    assert.equal(line['sink']?.['credentials']?.['secretAccessKey'], REDACTED);
    assert.equal(line['req']?.['headers']?.['host'], 'kept');
  });

  it('adapts to (level, msg, fields) callers', () => {
    const out = capture();
    const fn = levelLog(createLogger({ destination: out, level: 'debug' }));
    fn('warn', 'spool: dropping', { reason: 'disk-full' });
    fn('debug', 'detail');
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => [l['level'], l['msg'], l['reason']]),
      [
        ['warn', 'spool: dropping', 'disk-full'],
        ['debug', 'detail', undefined],
      ],
    );
  });

  it('pretty mode prints one human line per record', () => {
    const line = formatPrettyLine('{"level":"warn","time":"2024-05-01T12:00:01.234Z","msg":"uplink down","attempt":3,"err":{"type":"Error","message":"boom","code":"ECONNRESET"}}\n');
    assert.equal(line, '12:00:01.234 WARN  uplink down attempt=3 err="Error: boom" code=ECONNRESET\n');
    assert.equal(formatPrettyLine('not json'), 'not json\n');
    const got: string[] = [];
    const log = createLogger({ destination: prettyDestination({ write: (s: string) => got.push(s) }) });
    log.info({ shard: 'shardId-1' }, 'hello');
    assert.match(got[0] ?? '', /^\d\d:\d\d:\d\d\.\d{3} INFO  hello shard=shardId-1\n$/);
  });
});
