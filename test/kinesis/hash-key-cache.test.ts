import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HashKeyCache } from '../../agent/kinesis/hash-key-cache.ts';
import { hashPartitionKeyInto } from '../../agent/kinesis/hash-key.ts';

function expected(key: string): number[] {
  const w = new Uint32Array(4);
  hashPartitionKeyInto(key, w, 0);
  return [...w];
}

function got(cache: HashKeyCache, key: string): number[] {
  const out = new Uint32Array(6).fill(7);
  cache.into(key, out, 1);
  assert.equal(out[0], 7, 'writes only its four words');
  assert.equal(out[5], 7, 'writes only its four words');
  return [...out.subarray(1, 5)];
}

test('repeated keys: the same hash key as hashing each time, also once the cache started over', () => {
  const cache = new HashKeyCache(64);
  const keys = Array.from({ length: 100 }, (_, i) => (i % 7 === 0 ? `capteur-température-${i}` : `device-${i}`));
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 300; i++) {
      const key = keys[(i * 37 + round) % (round < 3 ? 50 : keys.length)] as string;
      assert.deepEqual(got(cache, key), expected(key), key);
    }
  }
});

test('keys that never repeat (random keying): right answers through the bypass and after it', () => {
  const cache = new HashKeyCache(16);
  for (let i = 0; i < 16 * 16 + 200; i++) {
    const key = `random-${i}-${(i * 2654435761) >>> 0}`;
    assert.deepEqual(got(cache, key), expected(key), key);
  }
  // caching resumes: repeated keys still right
  for (let i = 0; i < 100; i++) assert.deepEqual(got(cache, `again-${i % 5}`), expected(`again-${i % 5}`));
});
