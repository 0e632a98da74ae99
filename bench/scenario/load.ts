/**
 * Scenario YAML → `${ENV}` expansion → shorthands → validation → typed `Scenario`.
 * Through agent/config/load.ts, with one more step (its `normalise` hook): the string shorthands of `stream.keying`
 * (`salted:4`, `field:country`, …) and `rate.popularity` (`uniform`) become their object form
 * before validation, so problems inside them are reported at their full path. Every problem
 * carries its YAML line; the throwing loaders raise one ConfigError (E_CONFIG) listing them all.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../agent/config/config-error.ts';
import { parseConfigText } from '../../agent/config/load.ts';
import type { Env } from '../../agent/config/env-expand.ts';
import { issue } from '../../agent/config/issues.ts';
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


/** Parses, expands, normalises and validates scenario YAML; never throws for bad input. */
export function parseScenarioText(text: string, options: ScenarioLoadOptions = {}): ValidationResult<Scenario> {
  return parseConfigText(scenarioSchema, text, { ...options, normalise });
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
