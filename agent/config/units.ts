/**
 * Durations and byte sizes as people write them in configuration files.
 * Durations: `250ms`, `30s`, `5m`, `1h`, `1d`, compounds such as `1m30s`, or a number of ms.
 * Sizes: `512B`, `64KiB`, `1MiB`, `256MB` (KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of
 * 1024; units are case-insensitive), or a number of bytes. Results are whole numbers.
 */

export type UnitResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string };

const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];
const DURATION_BY_NAME = new Map(DURATION_UNITS);

const SIZE_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['B', 1],
  ['KB', 1e3],
  ['MB', 1e6],
  ['GB', 1e9],
  ['TB', 1e12],
  ['KiB', 1024],
  ['MiB', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['TiB', 1024 ** 4],
];
const SIZE_BY_NAME = new Map(SIZE_UNITS.map(([n, f]) => [n.toLowerCase(), f] as const));

export const DURATION_HINT = 'a duration such as 500ms, 30s, 5m, 1h, 1m30s or a number of milliseconds';
export const SIZE_HINT = 'a size such as 512B, 64KiB, 1MiB, 256MB or a number of bytes';

const fail = (message: string): UnitResult => ({ ok: false, message });

/** `int.frac × factor`, exactly, or undefined when the result is not a whole number. */
function scaled(intPart: string, frac: string, factor: number): number | undefined {
  const whole = Number(intPart) * factor;
  if (frac === '') return whole;
  const fracValue = (Number(frac) * factor) / 10 ** frac.length;
  return Number.isInteger(fracValue) ? whole + fracValue : undefined;
}

function checkNumber(v: number, what: string): UnitResult {
  if (!Number.isFinite(v) || v < 0) return fail(`expected a non-negative, finite number of ${what}`);
  if (!Number.isInteger(v)) return fail(`expected a whole number of ${what}`);
  if (v > Number.MAX_SAFE_INTEGER) return fail(`expected at most ${Number.MAX_SAFE_INTEGER}`);
  return { ok: true, value: v };
}

export function parseDuration(input: unknown): UnitResult {
  if (typeof input === 'number') return checkNumber(input, 'milliseconds');
  if (typeof input !== 'string') return fail(`expected ${DURATION_HINT}`);
  const text = input.trim();
  if (/^\d+$/.test(text)) return checkNumber(Number(text), 'milliseconds');
  const part = /(\d+)(?:\.(\d+))?(ms|s|m|h|d)/y;
  let total = 0;
  let lastFactor = Infinity;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (m === null) return fail(`expected ${DURATION_HINT}`);
    const factor = DURATION_BY_NAME.get(m[3] ?? '') ?? 0;
    if (factor >= lastFactor) return fail('expected units from largest to smallest, each once (e.g. 1h30m)');
    lastFactor = factor;
    const v = scaled(m[1] ?? '0', m[2] ?? '', factor);
    if (v === undefined) return fail('expected a whole number of milliseconds');
    total += v;
    at = part.lastIndex;
  }
  if (at === 0) return fail(`expected ${DURATION_HINT}`);
  return checkNumber(total, 'milliseconds');
}

export function parseSize(input: unknown): UnitResult {
  if (typeof input === 'number') return checkNumber(input, 'bytes');
  if (typeof input !== 'string') return fail(`expected ${SIZE_HINT}`);
  const m = /^(\d+)(?:\.(\d+))?\s*([A-Za-z]*)$/.exec(input.trim());
  if (m === null) return fail(`expected ${SIZE_HINT}`);
  const unit = m[3] ?? '';
  const factor = unit === '' ? 1 : SIZE_BY_NAME.get(unit.toLowerCase());
  if (factor === undefined) {
    return fail(`unknown size unit "${unit}": use B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)`);
  }
  const v = scaled(m[1] ?? '0', m[2] ?? '', factor);
  if (v === undefined) return fail('expected a whole number of bytes');
  return checkNumber(v, 'bytes');
}

/** The shortest exact compound form: 90000 → `1m30s`, 100 → `100ms`, 0 → `0ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) return `${ms}ms`;
  let rest = ms;
  let out = '';
  for (const [name, factor] of DURATION_UNITS) {
    const n = Math.floor(rest / factor);
    if (n > 0) {
      out += `${n}${name}`;
      rest -= n * factor;
    }
  }
  return out;
}

/** The exact form with the smallest number: 51200 → `50KiB`, 2000000 → `2MB`, 1500 → `1500B`. */
export function formatSize(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes <= 0) return `${bytes}B`;
  let best = `${bytes}B`;
  let bestN = bytes;
  for (const [name, factor] of SIZE_UNITS) {
    const n = bytes / factor;
    if (Number.isInteger(n) && n < bestN) {
      best = `${n}${name}`;
      bestN = n;
    }
  }
  return best;
}
