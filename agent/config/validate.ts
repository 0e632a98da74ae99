/**
 * Validation: walks a schema and an input together, collects every problem (never stops at the
 * first), applies defaults and returns the typed value. Unknown keys are rejected with the list
 * of valid ones. Strings from `${ENV}` expansion are accepted where a number or boolean is due.
 */
import type { AnyNode, DerivedDefault, Infer, IssueReporter, ObjectSpec, OneOfSpec, PathSegment, UnionSpec } from './schema.ts';
import { describeValue, didYouMean, issue, listValues } from './issues.ts';
import type { ConfigIssue } from './issues.ts';
import { rangeText } from './describe.ts';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.ts';

export type ValidationResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ConfigIssue[] };

const INVALID: unique symbol = Symbol('invalid');
type Out = unknown;

interface Pending {
  readonly parent: Record<string, unknown>;
  readonly key: string;
  readonly def: DerivedDefault;
}

class Walk {
  readonly issues: ConfigIssue[] = [];
  readonly pending: Pending[] = [];

  fail(path: readonly PathSegment[], message: string): typeof INVALID {
    this.issues.push(issue(path, message));
    return INVALID;
  }

  node(n: AnyNode, v: unknown, path: PathSegment[], secret: boolean): Out {
    return this.checked(n, this.kind(n, v, path, secret || n.secret), path);
  }

  /** Runs the node's own check on a valid value; its findings make the value invalid. */
  private checked(n: AnyNode, out: Out, path: PathSegment[]): Out {
    if (out === INVALID || n.check === undefined) return out;
    const before = this.issues.length;
    const report: IssueReporter = (message, ...rel) => void this.issues.push(issue([...path, ...rel], message));
    (n.check as (value: unknown, r: IssueReporter) => void)(out, report);
    return this.issues.length > before ? INVALID : out;
  }

  private got(v: unknown, secret: boolean): string {
    return `got ${describeValue(v, secret)}`;
  }

  private kind(n: AnyNode, v: unknown, path: PathSegment[], secret: boolean): Out {
    switch (n.kind) {
      case 'string': {
        if (typeof v !== 'string') {
          const hint = typeof v === 'number' || typeof v === 'boolean' ? ' (quote the value)' : '';
          return this.fail(path, `expected a string${hint}, ${this.got(v, secret)}`);
        }
        if (n.enum !== undefined) return this.oneOfValues(n.enum, v, path, secret);
        const tooShort = n.minLength !== undefined && v.length < n.minLength;
        const tooLong = n.maxLength !== undefined && v.length > n.maxLength;
        if (tooShort || tooLong) {
          const range = rangeText({ ...n, pattern: undefined, patternHint: undefined });
          const len = range === 'non-empty' ? 'a non-empty string' : range;
          return this.fail(path, `expected ${len}, got ${v.length === 0 ? 'an empty string' : `${v.length} character${v.length === 1 ? '' : 's'}`}`);
        }
        if (n.pattern !== undefined && !n.pattern.test(v)) {
          return this.fail(path, `expected ${n.patternHint ?? `a string matching ${String(n.pattern)}`}, ${this.got(v, secret)}`);
        }
        return v;
      }
      case 'number': {
        const num = typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
        const what = n.integer ? 'an integer' : 'a number';
        const range = rangeText(n);
        const expected = `expected ${what}${range === '' ? '' : ` ${range}`}, ${this.got(v, secret)}`;
        if (typeof num !== 'number' || !Number.isFinite(num) || (n.integer && !Number.isInteger(num))) return this.fail(path, expected);
        if (n.min !== undefined && num < n.min) return this.fail(path, expected);
        if (n.max !== undefined && num > n.max) return this.fail(path, expected);
        if (n.exclusiveMin !== undefined && num <= n.exclusiveMin) return this.fail(path, expected);
        if (n.exclusiveMax !== undefined && num >= n.exclusiveMax) return this.fail(path, expected);
        return num;
      }
      case 'boolean':
        if (v === true || v === 'true') return true;
        if (v === false || v === 'false') return false;
        return this.fail(path, `expected true or false, ${this.got(v, secret)}`);
      case 'duration':
      case 'size': {
        const isDuration = n.kind === 'duration';
        const r = isDuration ? parseDuration(v) : parseSize(v);
        if (!r.ok) return this.fail(path, `${r.message}, ${this.got(v, secret)}`);
        const fmt = isDuration ? formatDuration : formatSize;
        if ((n.min !== undefined && r.value < n.min) || (n.max !== undefined && r.value > n.max)) {
          return this.fail(path, `expected ${rangeText(n)}, got ${secret ? 'a value (secret, not shown)' : fmt(r.value)}`);
        }
        return r.value;
      }
      case 'enum':
        return this.oneOfValues(n.values, v, path, secret);
      case 'array': {
        if (!Array.isArray(v)) return this.fail(path, `expected a list, ${this.got(v, secret)}`);
        const few = n.minItems !== undefined && v.length < n.minItems;
        const many = n.maxItems !== undefined && v.length > n.maxItems;
        if (few || many) this.fail(path, `expected ${rangeText(n)}, got ${v.length}`);
        let ok = !few && !many;
        const out = v.map((item, i) => {
          const r = this.node(n.item, item, [...path, i], secret);
          if (r === INVALID) ok = false;
          return r;
        });
        return ok ? out : INVALID;
      }
      case 'object':
        if (!isMapping(v)) return this.fail(path, `expected a mapping (key: value), ${this.got(v, secret)}`);
        return this.fields(n, v, path, secret, {});
      case 'record': {
        if (!isMapping(v)) return this.fail(path, `expected a mapping (key: value), ${this.got(v, secret)}`);
        let ok = true;
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v)) {
          if (n.keyPattern !== undefined && !n.keyPattern.test(k)) {
            ok = false;
            this.fail([...path, k], `invalid key; expected ${n.keyHint ?? `a key matching ${String(n.keyPattern)}`}`);
            continue;
          }
          const r = this.node(n.value, item, [...path, k], secret);
          if (r === INVALID) ok = false;
          out[k] = r;
        }
        return ok ? out : INVALID;
      }
      case 'union':
        return this.union(n, v, path, secret);
      case 'oneOf':
        return this.oneOf(n, v, path, secret);
      default:
        throw new Error(`schema bug: unknown node kind ${(n as { kind: string }).kind}`);
    }
  }

  private oneOfValues(values: readonly unknown[], v: unknown, path: PathSegment[], secret: boolean): Out {
    const hit = values.find((x) => x === v || (typeof v === 'string' && typeof x !== 'string' && String(x) === v.trim()));
    if (hit !== undefined) return hit;
    const strings = values.filter((x): x is string => typeof x === 'string');
    const near = typeof v === 'string' && !secret ? didYouMean(v, strings) : undefined;
    return this.fail(path, `expected one of ${listValues(values)}, ${this.got(v, secret)}${near === undefined ? '' : `; did you mean "${near}"?`}`);
  }

  /** An absent (undefined or null) field: default, omitted or "required". */
  absent(n: AnyNode, path: PathSegment[], secret: boolean, parent: Record<string, unknown>, key: string): Out {
    if (n.presence === 'required') return this.fail(path, 'required');
    if (n.presence === 'optional') return undefined;
    const d = n.default;
    if (isDerived(d)) {
      this.pending.push({ parent, key, def: d });
      return undefined;
    }
    return this.node(n, d, path, secret);
  }

  /** An object's fields; `head` holds keys placed first (a union's discriminator). */
  private fields(n: ObjectSpec, v: Readonly<Record<string, unknown>>, path: PathSegment[], secret: boolean, head: Record<string, unknown>): Out {
    const known = [...Object.keys(head), ...Object.keys(n.fields)];
    let ok = true;
    // A misspelt required key is reported once, as the unknown key with its suggestion.
    const suggested = new Set<string>();
    for (const k of Object.keys(v)) {
      if (known.includes(k)) continue;
      ok = false;
      const near = didYouMean(k, known);
      if (near !== undefined) suggested.add(near);
      this.fail([...path, k], `unknown key${near === undefined ? '' : ` (did you mean "${near}"?)`}; valid keys: ${known.join(', ')}`);
    }
    const out: Record<string, unknown> = { ...head };
    for (const [k, field] of Object.entries(n.fields)) {
      const raw = v[k];
      const fieldPath = [...path, k];
      const missing = raw === undefined || raw === null;
      if (missing && suggested.has(k) && field.presence === 'required') continue;
      const r = missing ? this.absent(field, fieldPath, secret, out, k) : this.node(field, raw, fieldPath, secret);
      if (r === INVALID) ok = false;
      else if (r !== undefined || (field.presence === 'default' && isDerived(field.default))) out[k] = r;
    }
    return ok ? out : INVALID;
  }

  private union(n: UnionSpec, v: unknown, path: PathSegment[], secret: boolean): Out {
    if (!isMapping(v)) return this.fail(path, `expected a mapping (key: value), ${this.got(v, secret)}`);
    const names = Object.keys(n.variants);
    const tag = v[n.key] ?? n.defaultVariant;
    if (tag === undefined || tag === null) return this.fail([...path, n.key], `required; one of ${names.join(', ')}`);
    const variant = typeof tag === 'string' ? n.variants[tag] : undefined;
    if (variant === undefined) {
      const near = typeof tag === 'string' ? didYouMean(tag, names) : undefined;
      return this.fail([...path, n.key], `expected one of ${names.join(', ')}, ${this.got(tag, false)}${near === undefined ? '' : `; did you mean "${near}"?`}`);
    }
    return this.checked(variant, this.fields(variant, v, path, secret || variant.secret, { [n.key]: tag }), path);
  }

  private oneOf(n: OneOfSpec, v: unknown, path: PathSegment[], secret: boolean): Out {
    const names = Object.keys(n.options);
    if (!isMapping(v)) return this.fail(path, `expected a mapping with one of ${names.join(', ')}, ${this.got(v, secret)}`);
    let ok = true;
    for (const k of Object.keys(v)) {
      if (names.includes(k)) continue;
      ok = false;
      const near = didYouMean(k, names);
      this.fail([...path, k], `unknown key${near === undefined ? '' : ` (did you mean "${near}"?)`}; valid keys: ${names.join(', ')}`);
    }
    const given = names.filter((k) => v[k] !== undefined && v[k] !== null);
    if (given.length !== 1) {
      const got = given.length === 0 ? 'none' : given.join(' and ');
      return this.fail(path, `expected exactly one of ${names.join(', ')}, got ${got}`);
    }
    const key = given[0] as string;
    const r = this.node(n.options[key] as AnyNode, v[key], [...path, key], secret);
    return ok && r !== INVALID ? { [key]: r } : INVALID;
  }
}

function isMapping(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDerived(d: unknown): d is DerivedDefault {
  return typeof d === 'object' && d !== null && (d as { derived?: unknown }).derived === true;
}

/**
 * Validates `input` against `schema`: every problem at once, defaults applied. An absent root
 * (empty file) counts as `{}` so each missing required field is reported by name.
 */
export function validate<N extends AnyNode>(schema: N, input: unknown): ValidationResult<Infer<N>> {
  const walk = new Walk();
  const root = input === undefined || input === null ? (schema.kind === 'object' ? {} : input) : input;
  const holder: Record<string, unknown> = {};
  const value = root === undefined || root === null ? walk.absent(schema, [], false, holder, 'root') : walk.node(schema, root, [], false);
  if (walk.issues.length > 0 || value === INVALID) return { ok: false, errors: walk.issues };
  for (const p of walk.pending) p.parent[p.key] = p.def.compute(value, p.parent);
  return { ok: true, value: value as Infer<N> };
}
