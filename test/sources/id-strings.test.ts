import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdStrings } from '../../agent/sources/common/id-strings.ts';

const bytesOf = (s: string, pad = 3): { buf: Buffer; start: number; end: number } => {
  const body = Buffer.from(s, 'utf8');
  const buf = Buffer.concat([Buffer.from('x'.repeat(pad)), body, Buffer.from('yy')]);
  return { buf, start: pad, end: pad + body.length };
};

test('the same ASCII id read twice is the same string object, decoded correctly', () => {
  const ids = new IdStrings();
  const a = bytesOf('device-0001', 2);
  const b = bytesOf('device-0001', 7);
  const first = ids.get(a.buf, a.start, a.end);
  assert.equal(first, 'device-0001');
  assert.ok(Object.is(first, ids.get(b.buf, b.start, b.end)));
});

test('distinct ids never come back as each other, whatever slots they share', () => {
  const ids = new IdStrings();
  // 5,000 ids over 1,024 slots: many collide; read them in two passes and in reverse.
  const names = Array.from({ length: 5000 }, (_, i) => `dev-${i}`);
  for (const pass of [names, [...names].reverse(), names]) {
    for (const n of pass) {
      const { buf, start, end } = bytesOf(n, n.length % 5);
      assert.equal(ids.get(buf, start, end), n);
    }
  }
});

test('same length, different bytes in the same slot; non-ASCII, long and empty ids decode as UTF-8', () => {
  const ids = new IdStrings();
  for (const s of ['capteur-température-7', 'ключ', '日本-001', 'x'.repeat(65), 'y'.repeat(300), '', 'AB', 'BA', 'AB']) {
    const { buf, start, end } = bytesOf(s);
    assert.equal(ids.get(buf, start, end), s);
  }
});
