/** Field access for parsed lines: a (possibly dotted) field path, device id and event time coercion. */

export class FieldPath {
  readonly path: string;
  private readonly parts: readonly string[];
  constructor(path: string) {
    this.path = path;
    this.parts = path.split('.');
  }
  /** The value at the path; a key that itself contains dots is tried whole first. */
  get(obj: Readonly<Record<string, unknown>>): unknown {
    const direct = obj[this.path];
    if (direct !== undefined || this.parts.length === 1) return direct;
    let cur: unknown = obj;
    for (const p of this.parts) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
  }
}

/** A non-empty string, or a finite number written as a string; anything else is no id. */
export function toDeviceId(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Numbers are ms since the epoch; strings are parsed as dates (ISO 8601); anything else is none. */
export function toEventTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
