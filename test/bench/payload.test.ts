import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFixed, writeUint } from '../../bench/engine/ascii-writer.ts';
import { DeviceAttributes } from '../../bench/engine/attributes.ts';
import { DEFAULT_PAYLOAD } from '../../bench/engine/config.ts';
import type { PayloadConfig } from '../../bench/engine/config.ts';
import { DevicePattern } from '../../bench/engine/device-pattern.ts';
import { BytesPayload, JsonPayload, digits } from '../../bench/engine/payload.ts';
import { Prng } from '../../bench/engine/prng.ts';

const ids = new DevicePattern('meter-{n:08}', 1000);
const attrs = new DeviceAttributes([{ name: 'site', values: ['north', 'south'] }], 1, 0);
const text = (b: Uint8Array, n: number): string => Buffer.from(b.subarray(0, n)).toString('utf8');

test('number writers match toFixed / String for many values', () => {
  const buf = new Uint8Array(64);
  const rng = new Prng(3);
  for (let i = 0; i < 20_000; i++) {
    const n = Math.floor(rng.next() * 2 ** (rng.next() * 53));
    assert.equal(text(buf, writeUint(buf, 0, n)), String(n));
    assert.equal(digits(n), String(n).length);
    const x = (rng.next() - 0.5) * 10 ** (rng.next() * 6);
    const d = i % 5;
    const expected = (Math.sign(x) * Math.round(Math.abs(x) * 10 ** d)) / 10 ** d;
    assert.equal(Number(text(buf, writeFixed(buf, 0, x, d))), expected === 0 ? 0 : expected, `${x} with ${d} decimals`);
  }
  assert.equal(text(buf, writeFixed(buf, 0, -0.0001, 2)), '0.00');
  assert.equal(text(buf, writeFixed(buf, 0, 21.5, 2)), '21.50');
});

test('JSON payload: valid JSON with device id, seq, intended µs and the configured fields', () => {
  const config: PayloadConfig = {
    kind: 'json',
    fields: [
      ...(DEFAULT_PAYLOAD as Extract<PayloadConfig, { kind: 'json' }>).fields,
      { name: 'site', value: { kind: 'attribute', name: 'site' } },
      { name: 'fw', value: { kind: 'const', value: '1.2.3' } },
      { name: 'wave', value: { kind: 'sine', mean: 10, amplitude: 2, periodMs: 60_000, decimals: 1 } },
    ],
  };
  const enc = new JsonPayload(config as Extract<PayloadConfig, { kind: 'json' }>, ids, attrs, new Prng(1));
  const buf = new Uint8Array(enc.maxBytes);
  for (const [d, seq] of [[0, 0], [42, 7], [999, 123456]] as const) {
    const n = enc.encode(d, seq, 1_700_000_000_123_456, buf, 0);
    const o = JSON.parse(text(buf, n)) as Record<string, unknown>;
    assert.equal(o.device, ids.idOf(d));
    assert.equal(o.seq, seq);
    assert.equal(o.ts, 1_700_000_000_123_456);
    assert.equal(typeof o.temp, 'number');
    assert.ok((o.humidity as number) >= 20 && (o.humidity as number) <= 80);
    assert.ok(['ok', 'warn', 'fault'].includes(o.status as string));
    assert.equal(o.site, attrs.value('site', d));
    assert.equal(o.fw, '1.2.3');
    assert.ok(Math.abs((o.wave as number) - 10) <= 2.05);
  }
});

test('sizeOf draws the same values as encode: same seed → the same sizes', () => {
  const cfg = DEFAULT_PAYLOAD as Extract<PayloadConfig, { kind: 'json' }>;
  const a = new JsonPayload(cfg, ids, attrs, new Prng(9));
  const b = new JsonPayload(cfg, ids, attrs, new Prng(9));
  const buf = new Uint8Array(a.maxBytes);
  for (let i = 0; i < 5000; i++) assert.equal(b.sizeOf(i % 1000, i, 1.7e15 + i), a.encode(i % 1000, i, 1.7e15 + i, buf, 0));
});

test('padToBytes pads the JSON to exactly that size', () => {
  const enc = new JsonPayload({ kind: 'json', fields: [], padToBytes: 300 }, ids, attrs, new Prng(1));
  const buf = new Uint8Array(enc.maxBytes);
  const n = enc.encode(5, 1, 1.7e15, buf, 0);
  assert.equal(n, 300);
  assert.equal((JSON.parse(text(buf, n)) as { device: string }).device, 'meter-00000005');
  assert.equal(enc.sizeOf(5, 1, 1.7e15), 300);
});

test('bytes payload: header carries id, seq and intended µs; sizes within [min, max]', () => {
  const enc = new BytesPayload(64, 128, ids, new Prng(4));
  const buf = new Uint8Array(128);
  const sizes = new Set<number>();
  for (let i = 0; i < 500; i++) {
    const n = enc.encode(77, 4000 + i, 1.7e15 + i, buf, 0);
    assert.ok(n >= 64 && n <= 128);
    sizes.add(n);
    const v = new DataView(buf.buffer, 0, n);
    assert.equal(v.getUint8(0), 0x53);
    assert.equal(v.getUint32(4, true), 4000 + i);
    assert.equal(v.getFloat64(8, true), 1.7e15 + i);
    assert.equal(text(buf.subarray(16), v.getUint8(3)), 'meter-00000077');
  }
  assert.ok(sizes.size > 30);
});
