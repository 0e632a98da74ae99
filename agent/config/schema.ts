/**
 * A small declarative configuration-schema library: one schema gives the TypeScript type
 * (`Infer<S>`), validation with every problem at once (validate.ts), secret masking (mask.ts)
 * and a Markdown reference (docs.ts). Nodes are plain data built by the `t.*` builders.
 *
 * Defaults are written in input form (e.g. `'30s'`, `'1MiB'`) and go through validation like
 * user input, so the docs show them as a user would write them.
 *
 *   const scenario = t.object('A bench scenario.', {
 *     devices: t.integer('Simulated devices.', { min: 1, default: 1000 }),
 *     duration: t.duration('Run length.', { default: '1m' }),
 *     stream: t.string('Target stream.'),
 *   });
 *   type Scenario = Infer<typeof scenario>; // { readonly devices: number; readonly duration: number; readonly stream: string }
 *   const s = await loadConfigFile(scenario, 'scenario.yaml'); // load.ts; throws ConfigError (E_CONFIG)
 */

import { parseDuration, parseSize } from './units.ts';
import type { UnitResult } from './units.ts';
import type {
  AnyNode,
  ArrayNode,
  BooleanNode,
  DerivedDefault,
  DurationNode,
  EnumNode,
  Fields,
  Infer,
  InferFields,
  InferOneOf,
  InferUnion,
  IssueReporter,
  Literal,
  NumberNode,
  ObjectNode,
  OneOfNode,
  Presence,
  RecordNode,
  RequiredKeys,
  SizeNode,
  StringNode,
  UnionNode,
  Variants,
} from './nodes.ts';

export type * from './nodes.ts';

/** A default computed from the validated configuration, e.g. `derived('<stateDir>/spool', (root) => …)`. */
export function derived(doc: string, compute: DerivedDefault['compute']): DerivedDefault {
  return { derived: true, doc, compute };
}

// ---------------------------------------------------------------------------------------------
// Builders

/** Options every builder takes. `default` makes the field optional in input and present in output. */
export interface CommonOptions {
  readonly default?: unknown;
  readonly optional?: true;
  readonly secret?: boolean;
}
/** The `check` option, kept apart so that TypeScript types its `value` parameter. */
export interface Checked<V> {
  readonly check?: (value: V, report: IssueReporter) => void;
}

type PresenceOf<O> = O extends { readonly default: unknown } ? 'default' : O extends { readonly optional: true } ? 'optional' : 'required';
type ObjectPresence<F, O> = O extends { readonly optional: true }
  ? 'optional'
  : [RequiredKeys<F>] extends [never]
    ? 'default'
    : 'required';

export interface StringOptions extends CommonOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: RegExp;
  readonly patternHint?: string;
  readonly enum?: readonly string[];
}
export interface NumberOptions extends CommonOptions {
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
}
/** `min`/`max` may be written like values: `'1ms'`, `'1MiB'`. */
export interface RangeOptions extends CommonOptions {
  readonly min?: number | string;
  readonly max?: number | string;
}
export interface ArrayOptions extends CommonOptions {
  readonly minItems?: number;
  readonly maxItems?: number;
}
export interface RecordOptions extends CommonOptions {
  readonly keyPattern?: RegExp;
  readonly keyHint?: string;
}
export interface UnionOptions extends CommonOptions {
  readonly defaultVariant?: string;
}

type StringOut<O> = O extends { readonly enum: readonly (infer E extends string)[] } ? E : string;

function node<N>(kind: string, description: string, options: object, extra: object = {}): N {
  const o = options as CommonOptions;
  const presence: Presence = 'default' in o ? 'default' : o.optional === true ? 'optional' : 'required';
  const out: Record<string, unknown> = { kind, description, presence, secret: o.secret === true };
  for (const [k, v] of Object.entries(options)) if (k !== 'optional' && k !== 'secret') out[k] = v;
  return Object.assign(out, extra) as N;
}

/** `min`/`max` written in input form (`'1ms'`, `'1MiB'`): a schema bug if they do not parse. */
function range(o: RangeOptions, parse: (v: unknown) => UnitResult): { min?: number; max?: number } {
  const out: { min?: number; max?: number } = {};
  for (const k of ['min', 'max'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    const r = parse(v);
    if (!r.ok) throw new Error(`schema bug: ${k} ${String(v)}: ${r.message}`);
    out[k] = r.value;
  }
  return out;
}

type Opts<O, V> = O & Checked<V>;

/** The builders. Each takes a description first; options last. */
export const t = {
  string<const O extends StringOptions = {}>(description: string, options?: Opts<O, StringOut<O>>): StringNode<PresenceOf<O>, StringOut<O>> {
    return node('string', description, options ?? {});
  },
  number<const O extends NumberOptions = {}>(description: string, options?: Opts<O, number>): NumberNode<PresenceOf<O>> {
    return node('number', description, options ?? {}, { integer: false });
  },
  integer<const O extends NumberOptions = {}>(description: string, options?: Opts<O, number>): NumberNode<PresenceOf<O>> {
    return node('number', description, options ?? {}, { integer: true });
  },
  boolean<const O extends CommonOptions = {}>(description: string, options?: Opts<O, boolean>): BooleanNode<PresenceOf<O>> {
    return node('boolean', description, options ?? {});
  },
  duration<const O extends RangeOptions = {}>(description: string, options?: Opts<O, number>): DurationNode<PresenceOf<O>> {
    const o: RangeOptions = options ?? {};
    return node('duration', description, o, range(o, parseDuration));
  },
  size<const O extends RangeOptions = {}>(description: string, options?: Opts<O, number>): SizeNode<PresenceOf<O>> {
    const o: RangeOptions = options ?? {};
    return node('size', description, o, range(o, parseSize));
  },
  enumOf<const T extends Literal, const O extends CommonOptions = {}>(
    description: string,
    values: readonly T[],
    options?: Opts<O, T>,
  ): EnumNode<PresenceOf<O>, T> {
    return node('enum', description, options ?? {}, { values });
  },
  array<const I extends AnyNode, const O extends ArrayOptions = {}>(
    description: string,
    item: I,
    options?: Opts<O, readonly Infer<I>[]>,
  ): ArrayNode<PresenceOf<O>, I> {
    return node('array', description, options ?? {}, { item });
  },
  /** An object; it defaults to `{}` (then to its fields' defaults) when none of its fields is required. */
  object<const F extends Fields, const O extends CommonOptions = {}>(
    description: string,
    fields: F,
    options?: Opts<O, InferFields<F>>,
  ): ObjectNode<ObjectPresence<F, O>, F> {
    const o: CommonOptions = options ?? {};
    const anyRequired = Object.values(fields).some((f) => f.presence === 'required');
    const withDefault = o.optional === true || anyRequired || 'default' in o ? o : { ...o, default: {} };
    return node('object', description, withDefault, { fields });
  },
  record<const V extends AnyNode, const O extends RecordOptions = {}>(
    description: string,
    value: V,
    options?: Opts<O, Readonly<Record<string, Infer<V>>>>,
  ): RecordNode<PresenceOf<O>, V> {
    return node('record', description, options ?? {}, { value });
  },
  union<const K extends string, const V extends Variants, const O extends UnionOptions = {}>(
    description: string,
    key: K,
    variants: V,
    options?: Opts<O, InferUnion<K, V>>,
  ): UnionNode<PresenceOf<O>, K, V> {
    return node('union', description, options ?? {}, { key, variants });
  },
  oneOf<const V extends Fields, const O extends CommonOptions = {}>(
    description: string,
    options: V,
    nodeOptions?: Opts<O, InferOneOf<V>>,
  ): OneOfNode<PresenceOf<O>, V> {
    return node('oneOf', description, nodeOptions ?? {}, { options });
  },
};
