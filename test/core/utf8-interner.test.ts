import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Utf8Interner } from '../../agent/core/utf8-interner.ts';

/** Strings decoded from buffers made by `at` (JavaScript cannot tell two equal strings apart, so count). */
let decoded = 0;
const at = (text: string): [Buffer, number, number] => {
  const b = Buffer.from(`<<${text}>>`, 'utf8');
  const toString = b.toString.bind(b);
  b.toString = ((...args: Parameters<Buffer['toString']>) => {
    decoded++;
    return toString(...args);
  }) as Buffer['toString'];
  return [b, 2, b.length - 2];
};

describe('Utf8Interner', () => {
  it('gives the string of the bytes, decoding each distinct id once, from whatever buffer', () => {
    const ids = new Utf8Interner();
    decoded = 0;
    assert.equal(ids.intern(...at('device-0001')), 'device-0001');
    assert.equal(ids.intern(...at('device-0001')), 'device-0001');
    assert.equal(ids.intern(...at('device-0002')), 'device-0002');
    assert.equal(decoded, 2);
    assert.equal(ids.intern(...at('caf\u00e9-\u2603')), 'caf\u00e9-\u2603');
    assert.equal(ids.intern(...at('')), '');
    assert.equal(ids.size, 4);
  });

  it('tells apart many ids, also those of equal length, while its table grows', () => {
    const ids = new Utf8Interner(100_000);
    const all = Array.from({ length: 5000 }, (_, i) => `d-${String(i).padStart(5, '0')}`);
    for (const s of all) assert.equal(ids.intern(...at(s)), s);
    assert.equal(ids.size, 5000);
    decoded = 0;
    for (const s of all) assert.equal(ids.intern(...at(s)), s);
    assert.equal(decoded, 0, 'every id found again');
  });

  it('holds at most `capacity` strings: it starts over when full and still answers right', () => {
    const ids = new Utf8Interner(16);
    for (let i = 0; i < 100; i++) assert.equal(ids.intern(...at(`id-${i}`)), `id-${i}`);
    assert.ok(ids.size <= 16, `size ${ids.size}`);
    decoded = 0;
    assert.equal(ids.intern(...at('id-99')), 'id-99');
    assert.equal(decoded, 0, 'the newest id is held');
  });

  it('does not keep ranges longer than maxBytes', () => {
    const ids = new Utf8Interner(16, 8);
    assert.equal(ids.intern(...at('123456789')), '123456789');
    assert.equal(ids.size, 0);
    assert.equal(ids.intern(...at('12345678')), '12345678');
    assert.equal(ids.size, 1);
  });

  it('keeps its own copy of the bytes: a reused buffer does not change what it holds', () => {
    const ids = new Utf8Interner();
    const [b, s, e] = at('abc');
    assert.equal(ids.intern(b, s, e), 'abc');
    b.write('xyz', s);
    assert.equal(ids.intern(b, s, e), 'xyz');
    decoded = 0;
    assert.equal(ids.intern(...at('abc')), 'abc');
    assert.equal(decoded, 0);
  });
});
