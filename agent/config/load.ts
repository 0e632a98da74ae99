/**
 * YAML text or file → `${ENV}` expansion → validation → typed configuration.
 * Problems carry the YAML line number; the throwing loaders raise one `ConfigError`
 * (code `E_CONFIG`) listing them all. YAML parse errors never quote the file's text.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { AnyNode, Infer, PathSegment } from './schema.ts';
import { validate } from './validate.ts';
import type { ValidationResult } from './validate.ts';
import { expandEnv } from './env-expand.ts';
import type { Env } from './env-expand.ts';
import { issue } from './issues.ts';
import type { ConfigIssue } from './issues.ts';
import { ConfigError } from './config-error.ts';

export interface LoadOptions {
  /** Variables for `${NAME}` expansion; default `process.env`. */
  readonly env?: Env;
  /** Name used in messages (the file name for `loadConfigFile`). */
  readonly source?: string;
  /** Rewrites the expanded input before validation (e.g. string shorthands into their object form), so problems inside are reported at their full path. */
  readonly normalise?: (value: unknown) => unknown;
}

function lineOf(doc: Document, lc: LineCounter, segments: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isMap(node) || isSeq(node) || isScalar(node) ? node.range?.[0] : undefined;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (pair === undefined) break;
      if (isScalar(pair.key) && pair.key.range !== undefined && pair.key.range !== null) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!(isMap(item) || isSeq(item) || isScalar(item))) break;
      if (item.range !== undefined && item.range !== null) offset = item.range[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

const isUnder = (i: ConfigIssue, prefix: readonly PathSegment[]): boolean => prefix.every((s, j) => i.segments[j] === s);

/** Parses, expands and validates YAML text; never throws for bad input. */
export function parseConfigText<N extends AnyNode>(schema: N, text: string, options: LoadOptions = {}): ValidationResult<Infer<N>> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    // Only the first error (the rest are usually its echoes), without the quoted source text
    // some messages end with: that text could be a secret.
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
  const result = validate(schema, options.normalise ? options.normalise(expanded.value) : expanded.value);
  if (result.ok && expanded.issues.length === 0) return result;
  const validation = result.ok ? [] : result.errors.filter((i) => !expanded.issues.some((e) => isUnder(i, e.segments)));
  const all = [...expanded.issues, ...validation].map((i) => ({ ...i, line: lineOf(doc, lc, i.segments) }));
  all.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { ok: false, errors: all };
}

/** Like `parseConfigText`, but throws `ConfigError` (code `E_CONFIG`) listing every problem. */
export function loadConfigText<N extends AnyNode>(schema: N, text: string, options: LoadOptions = {}): Infer<N> {
  const r = parseConfigText(schema, text, options);
  if (!r.ok) throw new ConfigError(r.errors, options.source);
  return r.value;
}

/** Reads a YAML file and loads it; throws `ConfigError` when the file is unreadable or invalid. */
export async function loadConfigFile<N extends AnyNode>(schema: N, file: string, options: LoadOptions = {}): Promise<Infer<N>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'read error';
    throw new ConfigError([issue([], `cannot read the configuration file: ${code}`)], file, e);
  }
  return loadConfigText(schema, text, { ...options, source: options.source ?? file });
}
