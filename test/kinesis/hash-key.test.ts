import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, hash } from 'node:crypto';
import { RecordValidationError } from '../../agent/core/errors.ts';
import {
  bigIntToWords,
  compareHashKeys,
  encodeUtf8Into,
  explicitHashKeyInto,
  hashKeyToDecimal,
  hashPartitionKey,
  hashPartitionKeyInto,
  parseExplicitHashKey,
  recordHashKeyInto,
  validatePartitionKey,
  wordsToBigInt,
} from '../../agent/kinesis/hash-key.ts';
import { createMd5Buffer, md5Block, md5Buffer, md5Words } from '../../agent/kinesis/md5.ts';

const MAX = (1n << 128n) - 1n;

/** Deterministic PRNG (xorshift32) so that a failure names a reproducible key. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function refWords(key: string): Uint32Array {
  const d = hash('md5', Buffer.from(key, 'utf8'), 'buffer');
  return new Uint32Array([d.readUInt32BE(0), d.readUInt32BE(4), d.readUInt32BE(8), d.readUInt32BE(12)]);
}

function hexOf(words: Uint32Array, offset = 0): string {
  let s = '';
  for (let k = 0; k < 4; k++) s += (words[offset + k] as number).toString(16).padStart(8, '0');
  return s;
}

function randomKey(next: () => number): string {
  const len = next() < 0.6 ? 1 + Math.floor(next() * 60) : 1 + Math.floor(next() * 256);
  const asciiOnly = next() < 0.4;
  let s = '';
  while (s.length < len) {
    const r = next();
    if (asciiOnly || r < 0.55) s += String.fromCharCode(0x20 + Math.floor(next() * 95));
    else if (r < 0.62) s += String.fromCharCode(Math.floor(next() * 0x20)); // control chars, NUL
    else if (r < 0.7) s += String.fromCharCode(0x80 + Math.floor(next() * 0x780)); // 2-byte
    else if (r < 0.78) s += String.fromCharCode(0x800 + Math.floor(next() * 0xd000)); // 3-byte below surrogates
    else if (r < 0.82) s += String.fromCharCode(0xe000 + Math.floor(next() * 0x2000)); // 3-byte above surrogates
    else if (r < 0.9) s += String.fromCodePoint(0x10000 + Math.floor(next() * 0x100000)); // emoji etc.: a pair
    else if (r < 0.94) s += String.fromCharCode(0xd800 + Math.floor(next() * 0x400)); // lone high surrogate
    else if (r < 0.98) s += String.fromCharCode(0xdc00 + Math.floor(next() * 0x400)); // lone low surrogate
    else s += String.fromCharCode(Math.floor(next() * 0x10000)); // any code unit
  }
  return s.slice(0, len); // may split a pair: another lone surrogate
}

function assertCode(fn: () => unknown, code: string, messagePart?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecordValidationError, `expected RecordValidationError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.retryable, false);
    if (messagePart !== undefined) assert.ok(e.message.includes(messagePart), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(messagePart)}`);
    return true;
  });
}

describe('MD5 of partition keys', () => {
  it('matches RFC 1321 test vectors', () => {
    const vectors: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    const out = new Uint32Array(4);
    for (const [key, hex] of vectors) {
      hashPartitionKeyInto(key, out, 0);
      assert.equal(hexOf(out), hex, `MD5(${JSON.stringify(key)})`);
      assert.equal(hashPartitionKey(key), BigInt(`0x${hex}`));
    }
  });

  it('matches node:crypto for 100,000 random keys (lengths 1–256, non-ASCII, emoji, lone surrogates)', () => {
    const next = rng(0x5eed);
    const out = new Uint32Array(8);
    const bytes = new Uint8Array(256 * 3);
    let nonAscii = 0;
    let multiBlock = 0;
    for (let i = 0; i < 100_000; i++) {
      const key = randomKey(next);
      hashPartitionKeyInto(key, out, 4);
      const ref = refWords(key);
      const utf8 = Buffer.from(key, 'utf8');
      if (utf8.length !== key.length) nonAscii++;
      if (utf8.length > 55) multiBlock++;
      if (hexOf(out, 4) !== hexOf(ref)) assert.fail(`key #${i} ${JSON.stringify(key)}: got ${hexOf(out, 4)}, want ${hexOf(ref)}`);
      if (i % 10 === 0) {
        const n = encodeUtf8Into(key, bytes);
        assert.ok(utf8.equals(bytes.subarray(0, n)), `UTF-8 of key #${i} ${JSON.stringify(key)}`);
      }
    }
    assert.ok(out[0] === 0 && out[1] === 0 && out[2] === 0 && out[3] === 0, 'words before offset untouched');
    assert.ok(nonAscii > 30_000 && multiBlock > 20_000, `coverage: ${nonAscii} non-ASCII, ${multiBlock} multi-block`);
  });

  it('is exact around the one-block boundary (55/56 bytes) and at 119/120 bytes', () => {
    const out = new Uint32Array(4);
    const units = ['a', 'é', '€', '😀', '\ud800', '\udfff'];
    for (let bytes = 40; bytes <= 130; bytes++) {
      for (const u of units) {
        const ub = Buffer.byteLength(u, 'utf8');
        if (ub > bytes) continue;
        const key = 'k'.repeat(bytes - ub) + u; // exactly `bytes` UTF-8 bytes, ends in a multi-byte char
        assert.equal(Buffer.byteLength(key, 'utf8'), bytes);
        hashPartitionKeyInto(key, out, 0);
        assert.equal(hexOf(out), hexOf(refWords(key)), `${bytes} bytes ending in ${JSON.stringify(u)}`);
      }
    }
  });

  it('encodes lone surrogates as U+FFFD like Buffer.from', () => {
    const bytes = new Uint8Array(64);
    for (const key of ['\ud800', '\udc00', 'a\ud83d', '\ude00b', '\ude00\ud83d', '\ud83d\ud83d\ude00', 'x\udbff\udfffy']) {
      const n = encodeUtf8Into(key, bytes);
      assert.deepEqual([...bytes.subarray(0, n)], [...Buffer.from(key, 'utf8')], JSON.stringify(key));
    }
    assert.deepEqual([...bytes.subarray(0, encodeUtf8Into('\ud800', bytes))], [0xef, 0xbf, 0xbd]);
  });

  it('hashes keys longer than 256 characters too (buffer grows once)', () => {
    const out = new Uint32Array(4);
    for (const key of ['x'.repeat(257), '€'.repeat(1000), '😀'.repeat(700) + '\ud800']) {
      hashPartitionKeyInto(key, out, 0);
      assert.equal(hexOf(out), hexOf(refWords(key)));
    }
  });

  it('md5Words matches node:crypto for raw bytes 0–300 long and leaves its input intact', () => {
    const next = rng(42);
    const out = new Uint32Array(4);
    for (let len = 0; len <= 300; len++) {
      const bytes = Uint8Array.from({ length: len }, () => Math.floor(next() * 256));
      const copy = bytes.slice();
      md5Words(bytes, len, out, 0);
      assert.equal(hexOf(out), createHash('md5').update(bytes).digest('hex'), `len ${len}`);
      assert.deepEqual(bytes, copy);
    }
    assert.throws(() => md5Words(new Uint8Array(3), 4, out, 0), RangeError);
    assert.throws(() => md5Buffer(createMd5Buffer(10), 60, out, 0), RangeError);
    assert.throws(() => md5Block(new Int32Array(8), out, 0), RangeError);
  });

  it('rejects an output slot with fewer than 4 words', () => {
    assert.throws(() => hashPartitionKeyInto('k', new Uint32Array(7), 4), RangeError);
    assert.throws(() => hashPartitionKeyInto('k', new Uint32Array(8), 1.5), RangeError);
    assert.throws(() => hashPartitionKeyInto('k', new Uint32Array(8), -1), RangeError);
  });
});

describe('explicit hash keys', () => {
  const parsesTo: [string, bigint][] = [
    ['0', 0n],
    ['1', 1n],
    ['4294967295', 0xffffffffn],
    ['4294967296', 0x100000000n],
    ['18446744073709551616', 1n << 64n],
    ['170141183460469231731687303715884105728', 1n << 127n],
    ['340282366920938463463374607431768211455', MAX],
  ];
  for (const [text, value] of parsesTo) {
    it(`parses ${text}`, () => {
      assert.equal(parseExplicitHashKey(text), value);
      const out = new Uint32Array(4);
      explicitHashKeyInto(text, out, 0);
      assert.equal(wordsToBigInt(out, 0), value);
    });
  }

  const rejects: [string, string][] = [
    ['', 'got an empty string'],
    ['340282366920938463463374607431768211456', 'exceeds 2^128−1'], // 2^128
    ['999999999999999999999999999999999999999', 'exceeds 2^128−1'], // 39 nines
    ['1000000000000000000000000000000000000000', '40 digits exceed'],
    ['007', 'leading zeros'],
    ['00', 'leading zeros'],
    ['+1', 'a sign ("+") is not allowed'],
    ['-1', 'a sign ("-") is not allowed'],
    [' 1', 'character " " at index 0 is not a digit'],
    ['1 ', 'character " " at index 1 is not a digit'],
    ['12a', 'character "a" at index 2 is not a digit'],
    ['1.0', 'character "." at index 1'],
    ['1e3', 'character "e" at index 1'],
    ['0x10', 'character "x" at index 1'],
    ['١٢', 'at index 0 is not a digit'], // Arabic-Indic digits
  ];
  for (const [text, why] of rejects) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assertCode(() => parseExplicitHashKey(text), 'E_EXPLICIT_HASH_KEY', why);
      assertCode(() => explicitHashKeyInto(text, new Uint32Array(4), 0), 'E_EXPLICIT_HASH_KEY', why);
    });
  }

  it('writes a precise message', () => {
    assert.throws(() => parseExplicitHashKey('12a'), {
      message: 'explicit hash key "12a": expected a decimal integer 0…2^128−1; character "a" at index 2 is not a digit',
    });
  });

  it('rejects non-strings', () => {
    for (const v of [5, 5n, null, {}]) assertCode(() => parseExplicitHashKey(v as unknown as string), 'E_EXPLICIT_HASH_KEY', 'as a string');
  });

  it('agrees with BigInt for 20,000 random values of every length', () => {
    const next = rng(7);
    const out = new Uint32Array(4);
    const ref = new Uint32Array(4);
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(next() * 39);
      let text = String(1 + Math.floor(next() * 9));
      while (text.length < digits) text += String(Math.floor(next() * 10));
      const value = BigInt(text);
      if (value > MAX) {
        assertCode(() => explicitHashKeyInto(text, out, 0), 'E_EXPLICIT_HASH_KEY', 'exceeds');
        continue;
      }
      explicitHashKeyInto(text, out, 0);
      bigIntToWords(value, ref, 0);
      assert.deepEqual(out, ref, text);
      assert.equal(parseExplicitHashKey(text), value);
    }
  });
});

describe('words, bigint and decimal', () => {
  const edges = [0n, 1n, 0xffffffffn, 1n << 32n, (1n << 64n) - 1n, 1n << 64n, 1n << 96n, 1n << 127n, MAX];

  it('round-trips words ↔ bigint ↔ decimal', () => {
    const next = rng(99);
    const values = [...edges];
    for (let i = 0; i < 5000; i++) {
      let v = 0n;
      for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(Math.floor(next() * 0x100000000));
      values.push(v >> BigInt(Math.floor(next() * 128))); // every magnitude
    }
    const w = new Uint32Array(12);
    const back = new Uint32Array(4);
    for (const v of values) {
      w.fill(0xdeadbeef);
      bigIntToWords(v, w, 4);
      assert.equal(w[3], 0xdeadbeef);
      assert.equal(w[8], 0xdeadbeef);
      assert.equal(wordsToBigInt(w, 4), v);
      const dec = hashKeyToDecimal(w, 4);
      assert.equal(dec, v.toString(10));
      explicitHashKeyInto(dec, back, 0);
      assert.equal(compareHashKeys(back, 0, w, 4), 0);
    }
    assert.equal(bigIntToWords(MAX, back, 0), undefined);
    assert.deepEqual([...back], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
  });

  it('rejects bigints outside 0…2^128−1', () => {
    assert.throws(() => bigIntToWords(-1n, new Uint32Array(4), 0), RangeError);
    assert.throws(() => bigIntToWords(MAX + 1n, new Uint32Array(4), 0), RangeError);
  });

  it('compares as unsigned 128-bit integers', () => {
    const next = rng(3);
    const a = new Uint32Array(8);
    const b = new Uint32Array(4);
    const pick = (): bigint => {
      const r = next();
      if (r < 0.3) return edges[Math.floor(next() * edges.length)] as bigint;
      let v = 0n;
      for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(next() < 0.2 ? 0x80000000 : Math.floor(next() * 0x100000000));
      return v;
    };
    for (let i = 0; i < 5000; i++) {
      const x = pick();
      const y = next() < 0.1 ? x : next() < 0.2 ? x ^ 1n : pick();
      bigIntToWords(x, a, 4);
      bigIntToWords(y, b, 0);
      const want = x < y ? -1 : x > y ? 1 : 0;
      assert.equal(compareHashKeys(a, 4, b, 0), want, `${x} vs ${y}`);
      assert.equal(compareHashKeys(b, 0, a, 4), want === 0 ? 0 : -want);
    }
    assert.throws(() => compareHashKeys(a, 6, b, 0), RangeError);
  });
});

describe('partition key validation', () => {
  it('accepts 1…256 UTF-16 code units', () => {
    for (const key of ['a', 'x'.repeat(256), '😀'.repeat(128), '\ud800', 'é'.repeat(256)]) {
      assert.equal(validatePartitionKey(key), undefined);
    }
  });

  it('rejects empty, too long and non-string keys with E_PARTITION_KEY', () => {
    assertCode(() => validatePartitionKey(''), 'E_PARTITION_KEY', 'got an empty string');
    assertCode(() => validatePartitionKey('x'.repeat(257)), 'E_PARTITION_KEY', 'got 257');
    assertCode(() => validatePartitionKey('😀'.repeat(129)), 'E_PARTITION_KEY', 'got 258');
    for (const v of [123, null, undefined, ['a']]) {
      assertCode(() => validatePartitionKey(v as unknown as string), 'E_PARTITION_KEY', 'expected a string');
    }
    assertCode(() => hashPartitionKeyInto(7 as unknown as string, new Uint32Array(4), 0), 'E_PARTITION_KEY');
  });
});

describe('recordHashKeyInto', () => {
  it('uses the explicit hash key when present, else MD5 of the partition key', () => {
    const out = new Uint32Array(4);
    recordHashKeyInto({ partitionKey: 'device-1', explicitHashKey: '42' }, out, 0);
    assert.equal(wordsToBigInt(out, 0), 42n);
    recordHashKeyInto({ partitionKey: 'device-1' }, out, 0);
    assert.equal(hexOf(out), hash('md5', 'device-1'));
    recordHashKeyInto({ partitionKey: 'device-1', explicitHashKey: undefined }, out, 0);
    assert.equal(hexOf(out), hash('md5', 'device-1'));
  });

  it('validates both keys', () => {
    const out = new Uint32Array(4);
    assertCode(() => recordHashKeyInto({ partitionKey: 'd', explicitHashKey: '01' }, out, 0), 'E_EXPLICIT_HASH_KEY');
    assertCode(() => recordHashKeyInto({ partitionKey: '', explicitHashKey: '1' }, out, 0), 'E_PARTITION_KEY');
    assertCode(() => recordHashKeyInto({ partitionKey: 'x'.repeat(300) }, out, 0), 'E_PARTITION_KEY');
  });
});
