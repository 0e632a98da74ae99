/**
 * Markdown reference generated from a schema: one table per top-level section (key, type,
 * default, range, description), one sub-table per variant of a `type`-discriminated union.
 * Output is deterministic so a test can check the committed file is current.
 */
import { t } from './schema.ts';
import type { AnyNode, DerivedDefault, ObjectSpec, UnionSpec } from './schema.ts';
import { kindText, rangeText } from './describe.ts';
import { formatDuration, formatSize } from './units.ts';

export interface DocsOptions {
  readonly title: string;
  /** Markdown placed under the title. */
  readonly intro?: string;
  /** Shown in the "generated" comment, e.g. the command that regenerates the file. */
  readonly generatedBy?: string;
}

export const VALUE_FORMATS = `## Value formats

- **duration**: \`100ms\`, \`30s\`, \`5m\`, \`1h\`, \`1d\` or compounds such as \`1m30s\` (largest unit first); a bare number means milliseconds.
- **size**: \`512B\`, \`64KiB\`, \`1MiB\`, \`256MB\`; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB powers of 1024 (units are case-insensitive); a bare number means bytes.
- **environment variables**: \`\${NAME}\` and \`\${NAME:-default}\` are expanded in every string value before validation (the default applies when the variable is unset or empty; \`$\${\` writes a literal \`\${\`). An unset variable without a default is an error naming the key. \`port: \${PORT}\` works: numbers and booleans may come from a variable. Inside YAML flow collections (\`{ … }\`, \`[ … ]\`) quote such values, and templates with \`{device}\`: \`{ port: "\${PORT}" }\`.
- **secret** fields are printed as \`****\` by \`shardwise-agent --check\` and never appear in error messages; a password inside a URL (\`mqtt://user:password@host\`) is masked too.
- Unknown keys are errors (with the list of valid keys); every problem in a file is reported at once, with its path and line.
- An empty value (\`key:\` with nothing after it) counts as absent: the default applies.
`;

interface Row {
  readonly path: string;
  readonly node: AnyNode;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);

function isDerived(d: unknown): d is DerivedDefault {
  return typeof d === 'object' && d !== null && (d as { derived?: unknown }).derived === true;
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${showValue(x)}`)
      .join(', ')} }`;
  }
  return String(v);
}

function defaultText(n: AnyNode): string {
  if (n.presence === 'required') return '**required**';
  if (n.presence === 'optional') return '';
  const d = n.default;
  if (isDerived(d)) return cell(d.doc.includes(' ') ? d.doc : code(d.doc));
  if (n.kind === 'object') return '';
  if (n.kind === 'duration' && typeof d === 'number') return code(formatDuration(d));
  if (n.kind === 'size' && typeof d === 'number' && formatSize(d) !== `${d}B`) return `${code(String(d))} (${formatSize(d)})`;
  return cell(code(showValue(d)));
}

function rangeCell(n: AnyNode): string {
  if (n.kind === 'enum') return n.values.map((v) => code(String(v))).join(', ');
  if (n.kind === 'string' && n.enum !== undefined) return n.enum.map((v) => code(v)).join(', ');
  if (n.kind === 'oneOf') return `exactly one of ${Object.keys(n.options).map(code).join(', ')}`;
  return cell(rangeText(n));
}

function typeCell(n: AnyNode): string {
  return `${cell(kindText(n))}${n.secret ? ', **secret**' : ''}`;
}

function table(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  const lines = ['| Key | Type | Default | Range | Description |', '| --- | --- | --- | --- | --- |'];
  for (const { path, node } of rows) {
    lines.push(`| ${code(path)} | ${typeCell(node)} | ${defaultText(node)} | ${rangeCell(node)} | ${cell(node.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** Rows for a node and everything below it; the node's own row only when `self`. */
function rows(n: AnyNode, path: string, self: boolean): Row[] {
  const out: Row[] = self ? [{ path, node: n }] : [];
  switch (n.kind) {
    case 'object':
      for (const [k, f] of Object.entries(n.fields)) out.push(...rows(f, join(path, k), true));
      break;
    case 'oneOf':
      for (const [k, f] of Object.entries(n.options)) out.push(...rows(f, join(path, k), true));
      break;
    case 'array':
      if (n.item.kind === 'object' || n.item.kind === 'oneOf') out.push(...rows(n.item, `${path}[]`, false));
      break;
    case 'record':
      if (n.value.kind === 'object') out.push(...rows(n.value, `${path}.<name>`, false));
      break;
    case 'union':
      for (const [name, v] of Object.entries(n.variants)) {
        for (const r of rows(v, path, false)) out.push({ path: `${r.path} (${n.key}: ${name})`, node: r.node });
      }
      break;
    default:
      break;
  }
  return out;
}

function unionOf(n: AnyNode): { union: UnionSpec; path: string } | undefined {
  if (n.kind === 'union') return { union: n, path: '' };
  if (n.kind === 'array' && n.item.kind === 'union') return { union: n.item, path: '[]' };
  return undefined;
}

function section(key: string, n: AnyNode): string {
  const parts = [`## \`${key}\`\n`, `${n.description}\n`];
  const u = unionOf(n);
  if (u === undefined) {
    if (n.kind !== 'object') parts.push(table([{ path: key, node: n }]));
    parts.push(table(rows(n, key, false)));
    return parts.join('\n');
  }
  const base = `${key}${u.path}`;
  const what = `Selects the kind of ${key === 'sources' ? 'source' : key}.`;
  const names = Object.keys(u.union.variants);
  const dv = u.union.defaultVariant;
  const tag: AnyNode = dv === undefined ? t.enumOf(what, names) : t.enumOf(what, names, { default: dv });
  parts.push(table([...(n.kind === 'array' ? [{ path: key, node: n }] : []), { path: join(base, u.union.key), node: tag }]));
  for (const [name, variant] of Object.entries(u.union.variants)) {
    parts.push(`### \`${u.union.key}: ${name}\`\n`, `${variant.description}\n`, table(rows(variant, base, false)));
  }
  return parts.join('\n');
}

const isSection = (n: AnyNode): boolean => n.kind === 'object' || unionOf(n) !== undefined || (n.kind === 'array' && n.item.kind === 'object');

/** The whole reference for a root object schema. */
export function renderReference(schema: ObjectSpec, options: DocsOptions): string {
  const parts: string[] = [];
  if (options.generatedBy !== undefined) parts.push(`<!-- Generated by ${options.generatedBy}. Do not edit by hand. -->\n`);
  parts.push(`# ${options.title}\n`);
  if (options.intro !== undefined) parts.push(`${options.intro.trim()}\n`);
  parts.push(VALUE_FORMATS);
  const top = Object.entries(schema.fields).filter(([, f]) => !isSection(f));
  if (top.length > 0) parts.push('## Top level\n', table(top.map(([k, f]) => ({ path: k, node: f }))));
  for (const [k, f] of Object.entries(schema.fields)) if (isSection(f)) parts.push(section(k, f));
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
