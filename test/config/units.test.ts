import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../agent/config/units.ts';

const ok = (r: ReturnType<typeof parseDuration>): number => {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.value;
};
const bad = (r: ReturnType<typeof parseDuration>): string => {
  assert.equal(r.ok, false);
  return r.ok ? '' : r.message;
};

test('durations: units, compounds, bare numbers', () => {
  assert.equal(ok(parseDuration('100ms')), 100);
  assert.equal(ok(parseDuration('30s')), 30_000);
  assert.equal(ok(parseDuration('5m')), 300_000);
  assert.equal(ok(parseDuration('1h')), 3_600_000);
  assert.equal(ok(parseDuration('2d')), 172_800_000);
  assert.equal(ok(parseDuration('1m30s')), 90_000);
  assert.equal(ok(parseDuration('1h30m15s250ms')), 5_415_250);
  assert.equal(ok(parseDuration('1.5s')), 1500);
  assert.equal(ok(parseDuration('0.1s')), 100);
  assert.equal(ok(parseDuration('1.1s')), 1100); // no floating-point residue
  assert.equal(ok(parseDuration(' 2s ')), 2000);
  assert.equal(ok(parseDuration(250)), 250);
  assert.equal(ok(parseDuration('250')), 250);
  assert.equal(ok(parseDuration(0)), 0);
  assert.equal(ok(parseDuration('0s')), 0);
});

test('durations: rejects what is ambiguous or wrong', () => {
  assert.match(bad(parseDuration('-5s')), /duration/);
  assert.match(bad(parseDuration(-1)), /non-negative/);
  assert.match(bad(parseDuration('1h-5m')), /duration/);
});

test('durations: invalid inputs give a message', () => {
  for (const input of ['', 's', '5 minutes', '5M', '1e3', '5sec', '1s1h', '1s1s', 'abc', '10S']) {
    assert.equal(parseDuration(input).ok, false, `accepted ${JSON.stringify(input)}`);
  }
  assert.match(bad(parseDuration('1s1h')), /largest to smallest/);
  assert.match(bad(parseDuration('0.5ms')), /whole number of milliseconds/);
  assert.match(bad(parseDuration(1.5)), /whole number/);
  assert.match(bad(parseDuration(Number.POSITIVE_INFINITY)), /finite/);
  assert.match(bad(parseDuration(true)), /duration such as/);
  assert.match(bad(parseDuration(null)), /duration such as/);
});

test('sizes: decimal and binary units, case-insensitive, bare numbers', () => {
  assert.equal(ok(parseSize('64KiB')), 65_536);
  assert.equal(ok(parseSize('1MiB')), 1_048_576);
  assert.equal(ok(parseSize('256MB')), 256_000_000);
  assert.equal(ok(parseSize('1GiB')), 1_073_741_824);
  assert.equal(ok(parseSize('1TB')), 1e12);
  assert.equal(ok(parseSize('512B')), 512);
  assert.equal(ok(parseSize('512')), 512);
  assert.equal(ok(parseSize(51_200)), 51_200);
  assert.equal(ok(parseSize('1.5KiB')), 1536);
  assert.equal(ok(parseSize('1.5kb')), 1500);
  assert.equal(ok(parseSize('2 mib')), 2_097_152);
  assert.equal(ok(parseSize('0')), 0);
});

test('sizes: rejects ambiguous units, fractions of a byte, negatives', () => {
  assert.match(bad(parseSize('256M')), /unknown size unit "M".*KiB/);
  assert.match(bad(parseSize('1k')), /unknown size unit/);
  assert.match(bad(parseSize('0.3KiB')), /whole number of bytes/);
  assert.match(bad(parseSize('-1MiB')), /size such as/);
  assert.match(bad(parseSize(-5)), /non-negative/);
  assert.match(bad(parseSize(1.5)), /whole number/);
  assert.match(bad(parseSize('99999999TiB')), /at most/);
  assert.match(bad(parseSize('MiB')), /size such as/);
  assert.match(bad(parseSize([])), /size such as/);
});

test('formatting picks an exact, short form that parses back to the same value', () => {
  assert.equal(formatDuration(100), '100ms');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(86_400_000), '1d');
  assert.equal(formatDuration(0), '0ms');
  assert.equal(formatSize(51_200), '50KiB');
  assert.equal(formatSize(2_000_000), '2MB');
  assert.equal(formatSize(1_048_576), '1MiB');
  assert.equal(formatSize(1500), '1500B');
  assert.equal(formatSize(0), '0B');
  for (const ms of [1, 999, 1000, 61_001, 3_600_000 + 1, 123_456_789]) assert.equal(ok(parseDuration(formatDuration(ms))), ms);
  for (const b of [1, 1000, 1024, 51_200, 65_537, 8 * 1024 ** 3]) assert.equal(ok(parseSize(formatSize(b))), b);
});
