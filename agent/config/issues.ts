/** Configuration problems: paths, value descriptions that never leak secrets, "did you mean". */
import type { PathSegment } from './schema.ts';

export interface ConfigIssue {
  /** E.g. `sources[1].topics[0].qos`; `''` is the whole document. */
  readonly path: string;
  readonly segments: readonly PathSegment[];
  /** E.g. `expected one of 0, 1, 2, got 3`. Never contains the value of a secret field. */
  readonly message: string;
  /** 1-based line in the YAML file, when the loader could locate the path. */
  readonly line?: number | undefined;
}

const IDENT = /^[A-Za-z_$][\w$-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function issue(segments: readonly PathSegment[], message: string): ConfigIssue {
  return { path: formatPath(segments), segments: [...segments], message };
}

/** One line: `sources[0].url: expected …` (with the line number when known). */
export function formatIssue(i: ConfigIssue): string {
  return `${i.path === '' ? '(root)' : i.path}: ${i.message}${i.line === undefined ? '' : ` (line ${i.line})`}`;
}

/** Hides the password of `scheme://user:password@host` wherever it appears in a string. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/]*@/gi, '$1****@');
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/** For `…, got X` in messages. A secret's value is never shown, only its kind. */
export function describeValue(v: unknown, secret: boolean): string {
  if (secret) return `${typeName(v)} (secret, not shown)`;
  if (typeof v === 'string') {
    const shown = maskUrlCredentials(v);
    return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeName(v);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      row[j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate when it is close enough to be a typo (case or a few letters). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD || (d === bestD && best === undefined)) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

export function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : String(v))).join(', ');
}
