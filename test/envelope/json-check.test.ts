import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import { isJsonText, MAX_DEPTH } from '../../agent/core/json-check.ts';
import { seededRandom as prng } from '../support/fault-deciders.ts';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

function parses(buf: Buffer): boolean {
  try {
    JSON.parse(buf.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}


function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 7));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1.5, -0.25e-7, 1e21, 123456789][Math.floor(r() * 6)];
    case 3:
      return ['', 'a', 'é€😀', 'q"uo\\te', 'tab\there', 'ctl\u0001', 'x'.repeat(20)][Math.floor(r() * 7)];
    case 4:
      return 'plain';
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 4); i++) o[`k${i}é`] = randomValue(r, depth + 1);
      return o;
    }
  }
}

describe('JSON text check', () => {
  it('accepts valid JSON texts of every kind', () => {
    for (const s of ['{}', '[]', ' {"a":1} ', '{"a":[1,2,{"b":null}],"c":"x"}', '"str"', '0', '-0.5e+10', '23.5', 'true', 'false', 'null', '\n[ 1 , 2 ]\r\n', '{"\\u00e9\\n":"\\"\\\\\\/"}', '"é€"']) {
      assert.equal(isJsonText(b(s)), true, s);
    }
  });

  it('rejects everything JSON.parse rejects', () => {
    for (const s of ['', ' ', '{', '}', '{"a":1,}', '[1,]', '{"a" 1}', '{a:1}', "{'a':1}", '01', '1.', '.5', '-', '1e', '+1', 'tru', 'nul', 'True', '"\t"', '"\\x"', '"\\u12G4"', '"abc', '{"a":1}x', '[1 2]', '1 2', 'NaN', 'Infinity', '{"a":1}}', '[[]', 'ERROR disk full', '2024-05-01 12:00:00 sensor ok']) {
      assert.equal(isJsonText(b(s)), false, s);
      assert.equal(parses(b(s)), false, `oracle disagrees on ${s}`);
    }
  });

  it('rejects invalid UTF-8 inside strings and a BOM', () => {
    assert.equal(isJsonText(Buffer.from([0x22, 0xc3, 0x28, 0x22])), false);
    assert.equal(isJsonText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('{}')])), false);
  });

  it('checks a sub-range without looking outside it', () => {
    const buf = b('xx{"a":1}yy');
    assert.equal(isJsonText(buf, 2, 9), true);
    assert.equal(isJsonText(buf, 2, 8), false);
  });

  it('treats nesting deeper than MAX_DEPTH as not JSON', () => {
    assert.equal(isJsonText(b('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))), true);
    assert.equal(isJsonText(b('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1))), false);
  });

  it('agrees with JSON.parse on 20,000 random documents and single-byte mutations of them', () => {
    const r = prng(42);
    const alphabet = b(' {}[]",:\\-+.0123456789eEtrufalsn\u00e9x\t\n');
    let checked = 0;
    for (let n = 0; n < 20_000; n++) {
      const doc = b(JSON.stringify(randomValue(r, 0)));
      assert.equal(isJsonText(doc), true, doc.toString());
      const m = Buffer.from(doc);
      const at = Math.floor(r() * m.length);
      const op = r();
      let mutated: Buffer;
      if (op < 0.4) {
        m[at] = alphabet[Math.floor(r() * alphabet.length)] as number;
        mutated = m;
      } else if (op < 0.7) mutated = Buffer.concat([m.subarray(0, at), m.subarray(at + 1)]);
      else mutated = Buffer.concat([m.subarray(0, at), alphabet.subarray(Math.floor(r() * alphabet.length)).subarray(0, 1), m.subarray(at)]);
      if (!isUtf8(mutated)) continue; // the oracle would see U+FFFD instead
      assert.equal(isJsonText(mutated), parses(mutated), mutated.toString());
      checked++;
    }
    assert.ok(checked > 15_000, `only ${checked} mutations checked`);
  });
});
