import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32c } from '../../agent/spool/crc32c.ts';

/** Bit-by-bit reference (the definition, no tables). */
function reference(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check values (RFC 3720 appendix B.4 and "123456789")', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  it('agrees with the bitwise reference on random data of every length 0..300 and any offset', () => {
    const data = randomBytes(400);
    for (let len = 0; len <= 300; len++) {
      const off = len % 13;
      assert.equal(crc32c(data, off, off + len), reference(data.subarray(off, off + len)), `len ${len}`);
    }
  });

  it('continues a running CRC through the seed argument', () => {
    const data = randomBytes(1000);
    const whole = crc32c(data);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      assert.equal(crc32c(data, cut, data.length, crc32c(data, 0, cut)), whole, `cut at ${cut}`);
    }
  });
});
