/** Human wording of a node's type and range, shared by validation messages and the docs. */
import type { AnyNode } from './schema.ts';
import { formatDuration, formatSize } from './units.ts';

function bounds(
  n: { min?: number; max?: number; exclusiveMin?: number; exclusiveMax?: number },
  fmt: (v: number) => string,
): string {
  const lo = n.min !== undefined ? `at least ${fmt(n.min)}` : n.exclusiveMin !== undefined ? `greater than ${fmt(n.exclusiveMin)}` : '';
  const hi = n.max !== undefined ? `at most ${fmt(n.max)}` : n.exclusiveMax !== undefined ? `less than ${fmt(n.exclusiveMax)}` : '';
  if (n.min !== undefined && n.max !== undefined) return `between ${fmt(n.min)} and ${fmt(n.max)}`;
  return [lo, hi].filter((s) => s !== '').join(' and ');
}

/** `non-empty`, `exactly 1 character`, `at least 2 items`, `between 1 and 256 characters`. */
function counted(min: number | undefined, max: number | undefined, unit: string): string {
  const units = (n: number): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (min === undefined && max === undefined) return '';
  if (min === 1 && max === undefined) return unit === 'character' ? 'non-empty' : 'at least 1 item';
  if (min !== undefined && min === max) return `exactly ${units(min)}`;
  if (min !== undefined && max !== undefined) return `between ${min} and ${units(max)}`;
  return min !== undefined ? `at least ${units(min)}` : `at most ${units(max ?? 0)}`;
}

/** E.g. `between 1 and 65535`, `greater than 0 and at most 1`, `at least 1MiB`; '' when unbounded. */
export function rangeText(node: AnyNode): string {
  switch (node.kind) {
    case 'number':
      return bounds(node, String);
    case 'duration':
      return bounds(node, formatDuration);
    case 'size':
      return bounds(node, formatSize);
    case 'string': {
      const parts: string[] = [];
      const len = counted(node.minLength, node.maxLength, 'character');
      if (len !== '') parts.push(len);
      if (node.patternHint !== undefined) parts.push(node.patternHint);
      else if (node.pattern !== undefined) parts.push(`matching ${String(node.pattern)}`);
      return parts.join(', ');
    }
    case 'array':
      return counted(node.minItems, node.maxItems, 'item');
    default:
      return '';
  }
}

/** E.g. `string`, `integer`, `duration`, `list of string`, `map of string`. */
export function kindText(node: AnyNode): string {
  switch (node.kind) {
    case 'number':
      return node.integer ? 'integer' : 'number';
    case 'enum': {
      const types = new Set(node.values.map((v) => (typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v)));
      return types.size === 1 ? [...types][0] ?? 'enum' : 'enum';
    }
    case 'array':
      return `list of ${kindText(node.item)}`;
    case 'record':
      return `map of ${kindText(node.value)}`;
    case 'union':
      return `object by \`${node.key}\``;
    case 'oneOf':
      return 'object, one key';
    default:
      return node.kind;
  }
}
