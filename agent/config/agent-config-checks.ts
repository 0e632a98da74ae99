/** Semantic checks used by the agent's schema: MQTT topic filters, templates, field paths. */
import { join } from 'node:path';
import { derived } from './schema.ts';
import type { DerivedDefault, IssueReporter } from './schema.ts';

/** A dotted path into a parsed payload: `deviceId`, `meta.device.id`. */
export const FIELD_PATH = /^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/;
export const FIELD_PATH_HINT = 'a dotted field path such as deviceId or meta.device.id';

/** Names: sources, used in metrics and logs. */
export const NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const NAME_HINT = 'lower-case letters, digits, - and _, starting with a letter or digit';

export const ABSOLUTE_PATH = /^\//;

/** Why an MQTT subscription filter is invalid (MQTT 3.1.1 §4.7, MQTT 5 §4.8.2), or undefined. */
export function topicFilterProblem(filter: string): string | undefined {
  let f = filter;
  if (f.startsWith('$share/')) {
    const rest = f.slice('$share/'.length);
    const slash = rest.indexOf('/');
    const group = slash < 0 ? rest : rest.slice(0, slash);
    if (group === '' || /[+#]/.test(group)) return 'a shared subscription is $share/<group>/<filter> with a non-empty group without + or #';
    if (slash < 0 || rest.slice(slash + 1) === '') return 'a shared subscription needs a filter after $share/<group>/';
    f = rest.slice(slash + 1);
  }
  if (f.length === 0) return 'a topic filter cannot be empty';
  if (f.includes('\u0000')) return 'a topic filter cannot contain NUL';
  if (Buffer.byteLength(f) > 65_535) return 'a topic filter is at most 65535 bytes';
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? '';
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '# must be a whole level and the last one (e.g. sensors/#)';
    if (level.includes('+') && level !== '+') return '+ must be a whole level (e.g. devices/+/telemetry)';
  }
  return undefined;
}

export function checkTopicFilter(filter: string, report: IssueReporter): void {
  const p = topicFilterProblem(filter);
  if (p !== undefined) report(`invalid topic filter: ${p}`);
}

/** `{name}` placeholders in a template. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '');
}

/** A path template (agent/sources/file/path-template.ts) needs at least one `{name}` capture. */
export function checkPathTemplate(example: string): (template: string, report: IssueReporter) => void {
  return (template, report) => {
    const names = placeholders(template);
    if (names.length === 0) report(`expected a template with at least one {name} part, e.g. ${example}`);
    else if (names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))) report('placeholder names are letters, digits and _, e.g. {device}');
  };
}

/**
 * MQTT topic template (agent/sources/mqtt/topic-template.ts): exactly one level holds `{device}`
 * (with an optional literal prefix/suffix), `+` is any level, `#` the rest (last level only).
 */
export function checkTopicTemplate(template: string, report: IssueReporter): void {
  const levels = template.split('/');
  const hits = levels.filter((l) => l.includes('{device}')).length;
  if (hits !== 1 || template.split('{device}').length !== 2) {
    report('expected a topic template with {device} in exactly one level, e.g. devices/{device}/telemetry');
  } else if (levels.some((l, i) => l.includes('#') && (l !== '#' || i !== levels.length - 1))) {
    report('# must be a whole level and the last one');
  }
}

const SLOT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Partition-key template (same syntax as agent/keying/key-template.ts): literal text with `{name}`
 * slots; `{device}` is the device id, any other name a (dotted) payload field; `{{`/`}}` are braces.
 */
export function checkKeyTemplate(template: string, report: IssueReporter): void {
  let slots = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      i++;
      continue;
    }
    if (c === '}') return report(`unmatched } at index ${i} (write }} for a literal brace)`);
    if (c !== '{') continue;
    const end = template.indexOf('}', i + 1);
    if (end < 0) return report(`unclosed { at index ${i}`);
    const name = template.slice(i + 1, end).trim();
    if (!SLOT_NAME.test(name)) return report(`slot {${name}} is not a field name; use {device} or {a.payload.field}`);
    slots++;
    i = end;
  }
  if (slots === 0) report('expected at least one slot such as {device} or {site}: a constant key sends everything to one shard');
}

/** A default under the state directory: `<stateDir>/<rel>`. */
export function underStateDir(rel: string): DerivedDefault {
  return derived(`<stateDir>/${rel}`, (root) => join((root as { stateDir: string }).stateDir, rel));
}
