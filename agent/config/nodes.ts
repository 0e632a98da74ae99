/**
 * The node types of the configuration-schema library (see schema.ts for the builders) and the
 * type-level inference: `Infer<typeof node>` is the validated TypeScript type.
 */

/** Phantom slot carrying a node's output type; never present at run time. */
declare const OUT: unique symbol;

/** Whether an absent field is an error (`required`), stays absent (`optional`) or gets a default. */
export type Presence = 'required' | 'optional' | 'default';

/** A path segment: an object key or an array index. */
export type PathSegment = string | number;

/** Reports a problem found by a `check`; `relPath` is relative to the checked node. */
export type IssueReporter = (message: string, ...relPath: PathSegment[]) => void;

/** A default computed once the whole configuration is validated (e.g. from `stateDir`). */
export interface DerivedDefault {
  readonly derived: true;
  /** How the docs show it, e.g. `<stateDir>/spool`. */
  readonly doc: string;
  /** `root` is the validated configuration; `parent` the object holding the field. */
  readonly compute: (root: unknown, parent: Readonly<Record<string, unknown>>) => unknown;
}


/** What every node carries at run time. */
interface Base {
  readonly kind: string;
  readonly description: string;
  readonly presence: Presence;
  /** Masked as `****` when printed and never echoed in error messages (nor are its children). */
  readonly secret: boolean;
  /** Input-form default, or a derived one. */
  readonly default?: unknown;
  /** Semantic or cross-field check run on the validated value (derived defaults not yet filled in). */
  readonly check?: ((value: never, report: IssueReporter) => void) | undefined;
}

/** A node whose validated value has type `T` and whose absence is handled per `P`. */
export interface NodeBase<T, P extends Presence> extends Base {
  readonly [OUT]: T;
  readonly presence: P;
}

export interface StringSpec extends Base {
  readonly kind: 'string';
  readonly minLength?: number | undefined;
  readonly maxLength?: number | undefined;
  readonly pattern?: RegExp | undefined;
  /** Human wording of `pattern` for messages and docs, e.g. "an mqtt://, mqtts://, ws:// or wss:// URL". */
  readonly patternHint?: string | undefined;
  readonly enum?: readonly string[] | undefined;
}

export interface NumberSpec extends Base {
  readonly kind: 'number';
  readonly integer: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
}

export interface BooleanSpec extends Base {
  readonly kind: 'boolean';
}

/** Durations are written `100ms`, `30s`, `5m`, `1h`, `1d`, `1m30s` or as a number of ms; the value is ms. */
export interface DurationSpec extends Base {
  readonly kind: 'duration';
  readonly min?: number;
  readonly max?: number;
}

/** Byte sizes are written `512B`, `64KiB`, `1MiB`, `256MB` (KB = 1000, KiB = 1024) or as a number of bytes. */
export interface SizeSpec extends Base {
  readonly kind: 'size';
  readonly min?: number;
  readonly max?: number;
}

export type Literal = string | number | boolean;

export interface EnumSpec extends Base {
  readonly kind: 'enum';
  readonly values: readonly Literal[];
}

export interface ArraySpec extends Base {
  readonly kind: 'array';
  readonly item: AnyNode;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export type Fields = Readonly<Record<string, AnyNode>>;

export interface ObjectSpec extends Base {
  readonly kind: 'object';
  readonly fields: Fields;
}

export interface RecordSpec extends Base {
  readonly kind: 'record';
  readonly value: AnyNode;
  readonly keyPattern?: RegExp;
  readonly keyHint?: string;
}

export type Variants = Readonly<Record<string, ObjectSpec & Typed>>;

/** Objects told apart by a key such as `type`; each variant has its own fields. */
export interface UnionSpec extends Base {
  readonly kind: 'union';
  readonly key: string;
  readonly variants: Variants;
  /** Variant used when the key is absent (none: the key is required). */
  readonly defaultVariant?: string;
}

/** An object with exactly one of several keys, e.g. `{ fromTopic: … }` or `{ fromField: … }`. */
export interface OneOfSpec extends Base {
  readonly kind: 'oneOf';
  readonly options: Fields;
}

interface Typed {
  readonly [OUT]: unknown;
}

/** Any node, whatever its value type. */
export type AnyNode = (
  | StringSpec
  | NumberSpec
  | BooleanSpec
  | DurationSpec
  | SizeSpec
  | EnumSpec
  | ArraySpec
  | ObjectSpec
  | RecordSpec
  | UnionSpec
  | OneOfSpec
) &
  Typed;

export type StringNode<P extends Presence = Presence, T extends string = string> = StringSpec & NodeBase<T, P>;
export type NumberNode<P extends Presence = Presence> = NumberSpec & NodeBase<number, P>;
export type BooleanNode<P extends Presence = Presence> = BooleanSpec & NodeBase<boolean, P>;
export type DurationNode<P extends Presence = Presence> = DurationSpec & NodeBase<number, P>;
export type SizeNode<P extends Presence = Presence> = SizeSpec & NodeBase<number, P>;
export type EnumNode<P extends Presence = Presence, T extends Literal = Literal> = EnumSpec &
  NodeBase<T, P> & { readonly values: readonly T[] };
export type ArrayNode<P extends Presence = Presence, I extends AnyNode = AnyNode> = ArraySpec &
  NodeBase<readonly Infer<I>[], P> & { readonly item: I };
export type ObjectNode<P extends Presence = Presence, F extends Fields = Fields> = ObjectSpec &
  NodeBase<InferFields<F>, P> & { readonly fields: F };
export type RecordNode<P extends Presence = Presence, V extends AnyNode = AnyNode> = RecordSpec &
  NodeBase<Readonly<Record<string, Infer<V>>>, P> & { readonly value: V };
export type UnionNode<P extends Presence = Presence, K extends string = string, V extends Variants = Variants> = UnionSpec &
  NodeBase<InferUnion<K, V>, P> & { readonly key: K; readonly variants: V };
export type OneOfNode<P extends Presence = Presence, V extends Fields = Fields> = OneOfSpec &
  NodeBase<InferOneOf<V>, P> & { readonly options: V };

// ---------------------------------------------------------------------------------------------
// Type inference

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The validated TypeScript type of a schema node. */
export type Infer<N> = N extends { readonly [OUT]: infer T } ? T : never;

type OptionalKeys<F> = { [K in keyof F]: F[K] extends { readonly presence: 'optional' } ? K : never }[keyof F];
export type RequiredKeys<F> = { [K in keyof F]: F[K] extends { readonly presence: 'required' } ? K : never }[keyof F];

export type InferFields<F> = Simplify<
  { readonly [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & { readonly [K in OptionalKeys<F>]?: Infer<F[K]> }
>;

export type InferUnion<K extends string, V> = {
  [Name in keyof V]: Simplify<{ readonly [Key in K]: Name } & Infer<V[Name]>>;
}[keyof V];

export type InferOneOf<V> = Expand<{ [Name in keyof V]: { readonly [Key in Name]: Infer<V[Name]> } }[keyof V]>;

/** Spells a union of objects out in editor tooltips. */
type Expand<T> = T extends unknown ? { [K in keyof T]: T[K] } : never;
