/**
 * Printing a validated configuration without its secrets. Masking follows the schema (fields
 * declared `secret: true`), never key names; passwords inside URLs (`mqtt://u:p@host`) are
 * masked too. Durations and sizes print in their human form, so the output reloads as is.
 */
import { stringify } from 'yaml';
import type { AnyNode } from './schema.ts';
import { maskUrlCredentials } from './issues.ts';
import { formatDuration, formatSize } from './units.ts';

export const MASK = '****';

function isMapping(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function render(n: AnyNode, v: unknown, human: boolean): unknown {
  if (v === undefined) return undefined;
  if (n.secret) return MASK;
  switch (n.kind) {
    case 'string':
      return typeof v === 'string' ? maskUrlCredentials(v) : v;
    case 'duration':
      return human && typeof v === 'number' ? formatDuration(v) : v;
    case 'size':
      return human && typeof v === 'number' ? formatSize(v) : v;
    case 'array':
      return Array.isArray(v) ? v.map((item) => render(n.item, item, human)) : v;
    case 'record': {
      if (!isMapping(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = render(n.value, item, human);
      return out;
    }
    case 'object':
    case 'union': {
      if (!isMapping(v)) return v;
      const variant = n.kind === 'object' ? n : n.variants[String(v[n.key])];
      if (variant === undefined) return MASK; // not a validated value: show nothing
      const out: Record<string, unknown> = n.kind === 'union' ? { [n.key]: v[n.key] } : {};
      for (const [k, field] of Object.entries(variant.fields)) {
        const r = render(field, v[k], human);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    case 'oneOf': {
      if (!isMapping(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, field] of Object.entries(n.options)) if (v[k] !== undefined) out[k] = render(field, v[k], human);
      return out;
    }
    default:
      return v;
  }
}

/** A deep copy of a validated value with every secret replaced by `****` (numbers stay numbers). */
export function maskSecrets(schema: AnyNode, value: unknown): unknown {
  return render(schema, value, false);
}

/** YAML text of a validated configuration, secrets masked: what `--check` prints. */
export function formatConfigYaml(schema: AnyNode, value: unknown): string {
  return stringify(render(schema, value, true), { lineWidth: 0 });
}

/**
 * Paths of every secret field, in pino `redact` syntax (`sources[*].password`,
 * `sink.credentials.secretAccessKey`), for loggers that may be handed config objects.
 */
export function secretPaths(schema: AnyNode): string[] {
  const out = new Set<string>();
  const walk = (n: AnyNode, path: string): void => {
    if (n.secret) {
      out.add(path);
      return;
    }
    const join = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? (path === '' ? k : `${path}.${k}`) : `${path}[${JSON.stringify(k)}]`);
    switch (n.kind) {
      case 'array':
        return walk(n.item, `${path}[*]`);
      case 'record':
        return walk(n.value, path === '' ? '*' : `${path}.*`);
      case 'object':
        for (const [k, f] of Object.entries(n.fields)) walk(f, join(k));
        return;
      case 'union':
        for (const variant of Object.values(n.variants)) walk(variant, path);
        return;
      case 'oneOf':
        for (const [k, f] of Object.entries(n.options)) walk(f, join(k));
        return;
      default:
        return;
    }
  };
  walk(schema, '');
  return [...out];
}
