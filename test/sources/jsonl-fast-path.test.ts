import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonCapture, scanJson } from '../../agent/core/json-check.ts';
import { FieldPath } from '../../agent/sources/file/fields.ts';
import { JsonlParser } from '../../agent/sources/file/jsonl-parser.ts';
import type { RejectReason } from '../../agent/sources/source.ts';

function parserPair(idPath: string | undefined, timePath: string | undefined, fileDeviceId?: string) {
  const make = (keepFields: boolean) => {
    const rejected: RejectReason[] = [];
    const p = new JsonlParser(fileDeviceId, idPath === undefined ? undefined : new FieldPath(idPath), timePath === undefined ? undefined : new FieldPath(timePath), false, { reject: (r) => rejected.push(r) }, keepFields);
    return { p, rejected };
  };
  return { fast: make(false), slow: make(true) };
}

const LINES = [
  '{"device":"d-1","ts":1700000000000,"v":1}',
  '  {"device":"d-1","ts":"2026-11-22T10:00:00Z"}  ',
  '{"ts":1,"device":"d-2","nested":{"device":"not-me","a":[1,2,{"device":"x"}]}}',
  '{"device":"first","device":"last"}',
  '{"device":42,"ts":-1.5e3}',
  '{"device":1.50}',
  '{"device":"caf\u00e9-\u2603"}',
  '{"device":"esc\\"aped","ts":2}',
  '{"dev\\u0069ce":"spelled-with-escape"}',
  '{"device":""}',
  '{"device":null}',
  '{"device":{"id":1}}',
  '{"device":["a"]}',
  '{"device":true}',
  '{"other":"no device"}',
  '{"device":"ok","ts":"not a date"}',
  '{"device":"ok","ts":{}}',
  '{"device":"ok",}',
  '{"device":"ok"',
  '{"device":"ok"} trailing',
  '["device","d"]',
  '"device"',
  '{"device":"ok","n":01}',
  '{"device":"ok","s":"tab\there"}',
  '{"device":"ok","u":"\\u12"}',
  '{ "device" : "spaced" , "ts" : 5 }',
  '{"device":"a","x":[],"y":{},"z":[[[]]],"t":true,"f":false,"n":null}',
];

describe('JSON lines: the byte scanner stands in for JSON.parse', () => {
  for (const [id, time] of [['device', 'ts'], ['device', undefined]] as const) {
    it(`gives the same record or the same rejection as JSON.parse for every line (id ${id}, time ${time ?? 'none'})`, () => {
      const { fast, slow } = parserPair(id, time);
      for (const line of LINES) {
        const buf = Buffer.from(`xx${line}yy`);
        const a = fast.p.parse(buf, 2, buf.length - 2);
        const b = slow.p.parse(buf, 2, buf.length - 2);
        assert.equal(a?.deviceId, b?.deviceId, line);
        assert.equal(a?.eventTime, b?.eventTime, line);
        assert.deepEqual(a?.payload, b?.payload, line);
      }
      assert.deepEqual(fast.rejected, slow.rejected);
      const plain = Buffer.from(LINES[0] as string);
      assert.equal(fast.p.parse(plain, 0, plain.length)?.fields, undefined, 'the fast path hands no fields on');
      assert.equal(fast.p.parse(plain, 0, plain.length)?.json, true, 'the fast path vouches for the JSON it checked');
      assert.equal(slow.p.parse(plain, 0, plain.length)?.json, false, 'JSON.parse took text decoded with replacements: no such promise');
      assert.ok(fast.rejected.length >= 10, 'the set holds bad lines too');
    });
  }

  it('decodes a device id it has seen before only once, whatever line or chunk it comes in', () => {
    const { fast } = parserPair('device', undefined);
    let decoded = 0;
    const chunk = (text: string): Buffer => {
      const b = Buffer.from(text);
      const toString = b.toString.bind(b);
      b.toString = ((...args: Parameters<Buffer['toString']>) => {
        decoded++;
        return toString(...args);
      }) as Buffer['toString'];
      return b;
    };
    const lines = ['{"device":"d-1","v":1}', '{"v":2,"device":"d-1"}', '{"device":"d-2"}', '{"device":"d-1"}'].map(chunk);
    assert.deepEqual(lines.map((b) => fast.p.parse(b, 0, b.length)?.deviceId), ['d-1', 'd-1', 'd-2', 'd-1']);
    assert.equal(decoded, 2);
  });

  it('a dotted path or kept fields take JSON.parse, and give the fields on', () => {
    const rejected: RejectReason[] = [];
    const p = new JsonlParser(undefined, new FieldPath('meta.id'), undefined, false, { reject: (r) => rejected.push(r) });
    const buf = Buffer.from('{"meta":{"id":"m-7"}}');
    const rec = p.parse(buf, 0, buf.length);
    assert.equal(rec?.deviceId, 'm-7');
    assert.deepEqual(rec?.fields, { meta: { id: 'm-7' } });
  });

  it('scanJson spans the last top-level occurrence of each wanted key, and only top-level ones', () => {
    const c = new JsonCapture(['a', 'b', 'zz']);
    const text = Buffer.from('{"x":{"a":1},"a":"one","b":[1,{"a":2}],"a":{"k":3}}');
    assert.equal(scanJson(text, 0, text.length, c), true);
    const span = (k: number) => text.toString('utf8', c.start[k], c.end[k]);
    assert.equal(span(0), '{"k":3}');
    assert.equal(span(1), '[1,{"a":2}]');
    assert.equal(c.start[2], -1);
    assert.equal(scanJson(Buffer.from('{"a":1,'), 0, 7, c), false);
  });
});
