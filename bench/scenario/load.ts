/**
 * Scenario YAML → `${ENV}` expansion → shorthands → validation → typed `Scenario`.
 * Like agent/config/load.ts, plus one step: the string shorthands of `stream.keying`
 * (`salted:4`, `field:country`, …) and `rate.popularity` (`uniform`) become their object form
 * before validation, so problems inside them are reported at their full path. Every problem
 * carries its YAML line; the throwing loaders raise one ConfigError (E_CONFIG) listing them all.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { ConfigError } from '../../agent/config/config-error.ts';
import { expandEnv } from '../../agent/config/env-expand.ts';
import type { Env } from '../../agent/config/env-expand.ts';
import { issue } from '../../agent/config/issues.ts';
import type { ConfigIssue } from '../../agent/config/issues.ts';
import type { PathSegment } from '../../agent/config/schema.ts';
import { validate } from '../../agent/config/validate.ts';
import type { ValidationResult } from '../../agent/config/validate.ts';
import { scenarioSchema } from './schema.ts';
import type { Scenario } from './schema.ts';

export interface ScenarioLoadOptions {
  readonly env?: Env;
  readonly source?: string;
}

/** `salted:4` → `{kind: salted, buckets: 4}`, `field:country` → `{kind: field, field: country}`, `device` → `{kind: device}`. */
export function keyingShorthand(text: string): Record<string, unknown> {
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim();
  const arg = colon < 0 ? undefined : text.slice(colon + 1).trim();
  if (arg === undefined) return { kind };
  if (kind === 'salted') return { kind, buckets: /^\d+$/.test(arg) ? Number(arg) : arg };
  if (kind === 'field') return { kind, field: arg };
  if (kind === 'template') return { kind, template: arg };
  // An argument the kind does not take: the validator reports the unknown key.
  return { kind, argument: arg };
}

function normalise(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  if (isRecord(out['stream']) && typeof out['stream']['keying'] === 'string') {
    out['stream'] = { ...out['stream'], keying: keyingShorthand(out['stream']['keying']) };
  }
  if (isRecord(out['rate']) && typeof out['rate']['popularity'] === 'string') {
    out['rate'] = { ...out['rate'], popularity: { kind: out['rate']['popularity'] } };
  }
  // A bare number where a percentage is due (`devices: 10`) is ambiguous (10 % or a fraction?):
  // made a string so the validator says "expected a percentage such as 10%".
  const pop = isRecord(out['rate']) ? out['rate']['popularity'] : undefined;
  if (isRecord(pop)) out['rate'] = { ...(out['rate'] as Record<string, unknown>), popularity: numbersToText(pop, ['devices', 'traffic']) };
  if (Array.isArray(out['offline'])) out['offline'] = out['offline'].map((w: unknown) => (isRecord(w) ? numbersToText(w, ['devices']) : w));
  if (isRecord(out['stream'])) out['stream'] = numbersToText(out['stream'], ['targetUtilisation']);
  return out;
}

function numbersToText(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy = { ...o };
  for (const k of keys) if (typeof copy[k] === 'number') copy[k] = String(copy[k]);
  return copy;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** 1-based line of the deepest node of `segments` present in the document. */
function lineOf(doc: Document, lc: LineCounter, segments: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isMap(node) || isSeq(node) || isScalar(node) ? node.range?.[0] : undefined;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (pair === undefined) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!(isMap(item) || isSeq(item) || isScalar(item))) break;
      if (item.range) offset = item.range[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

/** Parses, expands, normalises and validates scenario YAML; never throws for bad input. */
export function parseScenarioText(text: string, options: ScenarioLoadOptions = {}): ValidationResult<Scenario> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lc.linePos(syntax.pos[0]);
    const what = syntax.message.replace(/:\s*".*$/s, '').replace(/\s+at line \d+.*$/s, '');
    return { ok: false, errors: [{ ...issue([], `YAML syntax error at line ${line}, column ${col}: ${what}`), line }] };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, errors: [{ ...issue([], `YAML: ${e instanceof Error ? e.message : String(e)}`), line: undefined }] };
  }
  const expanded = expandEnv(raw, options.env ?? process.env);
  const result = validate(scenarioSchema, normalise(expanded.value));
  if (result.ok && expanded.issues.length === 0) return result;
  const under = (i: ConfigIssue, prefix: readonly PathSegment[]): boolean => prefix.every((s, j) => i.segments[j] === s);
  const validation = result.ok ? [] : result.errors.filter((i) => !expanded.issues.some((e) => under(i, e.segments)));
  const all = [...expanded.issues, ...validation].map((i) => ({ ...i, line: lineOf(doc, lc, i.segments) }));
  all.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { ok: false, errors: all };
}

/** Like parseScenarioText, but throws ConfigError (E_CONFIG) listing every problem. */
export function loadScenarioText(text: string, options: ScenarioLoadOptions = {}): Scenario {
  const r = parseScenarioText(text, options);
  if (!r.ok) throw new ConfigError(r.errors, options.source);
  return r.value;
}

export async function loadScenarioFile(file: string, options: ScenarioLoadOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'read error';
    throw new ConfigError([issue([], `cannot read the scenario file: ${code}`)], file, e);
  }
  return loadScenarioText(text, { ...options, source: options.source ?? file });
}
