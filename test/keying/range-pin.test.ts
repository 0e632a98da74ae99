import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigIntToWords, wordsToBigInt } from '../../agent/kinesis/hash-key.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { ShardRanges } from '../../agent/keying/range-pin.ts';
import { mix3 } from '../../agent/keying/mix.ts';

function expected(h: bigint, start: bigint, end: bigint): bigint {
  return start + (((h >> 64n) * (end - start)) >> 64n);
}

test('pinInto equals start + floor(h64 × span / 2^64) exactly and stays inside the range', () => {
  const maps = [ShardMap.uniform(1), ShardMap.uniform(3), ShardMap.uniform(7), ShardMap.uniform(8), ShardMap.uniform(1000)];
  const hash = new Uint32Array(4);
  const out = new Uint32Array(4);
  let checked = 0;
  for (const map of maps) {
    const ranges = new ShardRanges(map);
    for (let i = 0; i < 400; i++) {
      for (let k = 0; k < 4; k++) hash[k] = mix3(i, k, map.size);
      if (i === 0) hash.fill(0xffffffff);
      if (i === 1) hash.fill(0);
      const s = i % map.size;
      ranges.pinInto(s, hash, 0, out, 0);
      const info = map.shards[s]!;
      const got = wordsToBigInt(out, 0);
      assert.equal(got, expected(wordsToBigInt(hash, 0), info.startingHashKey, info.endingHashKey));
      assert.ok(got >= info.startingHashKey && got <= info.endingHashKey);
      assert.equal(map.indexOfWords(out, 0), s);
      checked++;
    }
  }
  assert.equal(checked, 2000);
});

test('pinInto keeps hash order inside a shard (a split divides devices by hash)', () => {
  const map = ShardMap.uniform(3);
  const ranges = new ShardRanges(map);
  const a = new Uint32Array(4);
  const b = new Uint32Array(4);
  const outA = new Uint32Array(4);
  const outB = new Uint32Array(4);
  bigIntToWords(1n << 126n, a, 0);
  bigIntToWords(3n << 126n, b, 0);
  ranges.pinInto(1, a, 0, outA, 0);
  ranges.pinInto(1, b, 0, outB, 0);
  assert.ok(wordsToBigInt(outA, 0) < wordsToBigInt(outB, 0));
});
