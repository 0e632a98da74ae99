/**
 * `${NAME}` and `${NAME:-default}` in string values, expanded before validation.
 * - `${NAME}`: the variable's value; unset is an error reported with the value's path.
 * - `${NAME:-default}`: the default when the variable is unset or empty (the default is literal text).
 * - `$${` stands for a literal `${`. Keys are never expanded.
 * Numbers and booleans produced this way (`port: ${PORT}`) are accepted by the validator.
 */
import type { PathSegment } from './schema.ts';
import { issue } from './issues.ts';
import type { ConfigIssue } from './issues.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export type ExpandResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expands one string. */
export function expandString(text: string, env: Env): ExpandResult {
  if (!text.includes('${')) return { ok: true, value: text };
  let out = '';
  const missing: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) return { ok: false, message: 'unterminated ${ (write $${ for a literal ${)' };
    const body = text.slice(i + 2, close);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) return { ok: false, message: `invalid environment variable name ${JSON.stringify(name)} in \${…}` };
    const value = env[name];
    if (sep >= 0) out += value === undefined || value === '' ? body.slice(sep + 2) : value;
    else if (value === undefined) missing.push(name);
    else out += value;
    i = close + 1;
  }
  if (missing.length > 0) {
    const names = missing.join(', ');
    const verb = missing.length === 1 ? 'variable' : 'variables';
    const is = missing.length === 1 ? 'is' : 'are';
    return { ok: false, message: `environment ${verb} ${names} ${is} not set (write \${${missing[0] ?? 'NAME'}:-default} to give a default)` };
  }
  return { ok: true, value: out };
}

/**
 * Expands every string value of a parsed document. Problems come back as issues with the value's
 * path; such a value is left unexpanded (the loader drops validation issues at the same path).
 */
export function expandEnv(input: unknown, env: Env): { readonly value: unknown; readonly issues: readonly ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (v: unknown, path: PathSegment[]): unknown => {
    if (typeof v === 'string') {
      const r = expandString(v, env);
      if (r.ok) return r.value;
      issues.push(issue(path, r.message));
      return v;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  const value = walk(input, []);
  return { value, issues };
}
