/**
 * Key templates such as `{site}-{device}`: literal text with `{name}` slots. `{device}` is the
 * device id; any other name is a field of the record (agent) or an attribute of the device (bench).
 * `{{` and `}}` write literal braces.
 */
import { ShardwiseError } from '../core/errors.ts';

export interface KeyTemplate {
  readonly source: string;
  /** Slot names in order of appearance (may repeat). */
  readonly slots: readonly string[];
  /** Renders the template; `lookup` returns undefined for a missing value. Returns undefined when any slot is missing. */
  render(lookup: (name: string) => string | undefined): string | undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function compileKeyTemplate(source: string): KeyTemplate {
  const literals: string[] = [];
  const slots: string[] = [];
  let lit = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if ((c === '{' || c === '}') && source[i + 1] === c) {
      lit += c;
      i++;
      continue;
    }
    if (c === '}') throw templateError(source, `unmatched '}' at index ${i}`);
    if (c !== '{') {
      lit += c;
      continue;
    }
    const end = source.indexOf('}', i + 1);
    if (end < 0) throw templateError(source, `unclosed '{' at index ${i}`);
    const name = source.slice(i + 1, end).trim();
    if (!NAME.test(name)) throw templateError(source, `slot name ${JSON.stringify(name)} at index ${i} is not a field name`);
    literals.push(lit);
    slots.push(name);
    lit = '';
    i = end;
  }
  literals.push(lit);
  if (slots.length === 0) throw templateError(source, 'expected at least one {field} slot (a constant key sends everything to one shard)');
  return {
    source,
    slots,
    render(lookup) {
      let out = literals[0] as string;
      for (let k = 0; k < slots.length; k++) {
        const v = lookup(slots[k] as string);
        if (v === undefined) return undefined;
        out += v + (literals[k + 1] as string);
      }
      return out;
    },
  };
}

/** String form of a field value for a key: strings as is, finite numbers and booleans via String(); others missing. */
export function fieldText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

function templateError(source: string, why: string): ShardwiseError {
  return new ShardwiseError('E_CONFIG', `keying.template ${JSON.stringify(source)}: ${why}`);
}
