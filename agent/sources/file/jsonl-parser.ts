/**
 * JSON Lines. Lines whose device id or event time comes from a top-level field are validated by a
 * byte scanner that also locates those fields (agent/core/json-check.ts): no string per line, no
 * object, no JSON.parse. JSON.parse runs only when something downstream needs the parsed fields
 * (`keepFields`: field/template keying), for dotted field paths, and for the rare line the scanner
 * cannot take as is (invalid JSON, for its error message; escaped keys or ids).
 * Without any field rule a line gets a cheap structural check only (first/last non-blank byte
 * `{…}` or `[…]`) unless `validateJson` asks for a full parse (fields passed on).
 */
import { JsonCapture, scanJson } from '../../core/json-check.ts';
import { Utf8Interner } from '../../core/utf8-interner.ts';
import type { SourceRecord } from '../source.ts';
import type { LineParser, LineRejector } from './line-parser.ts';
import { toDeviceId, toEventTime } from './fields.ts';
import type { FieldPath } from './fields.ts';

const SP = 0x20;
const TAB = 0x09;
const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const ID = 0;
const TIME = 1;

export class JsonlParser implements LineParser {
  private readonly fileDeviceId: string | undefined;
  private readonly idField: FieldPath | undefined;
  private readonly timeField: FieldPath | undefined;
  private readonly parseAll: boolean;
  private readonly rejector: LineRejector;
  /** Set when the scanner may stand in for JSON.parse (no fields kept, top-level paths only). */
  private readonly capture: JsonCapture | undefined;
  /** Device ids read from a field: one string per distinct id (utf8-interner.ts). */
  private readonly ids: Utf8Interner;

  constructor(
    fileDeviceId: string | undefined,
    idField: FieldPath | undefined,
    timeField: FieldPath | undefined,
    validate: boolean,
    rejector: LineRejector,
    keepFields = false,
    ids: Utf8Interner = new Utf8Interner(),
  ) {
    this.ids = ids;
    this.fileDeviceId = fileDeviceId;
    this.idField = idField;
    this.timeField = timeField;
    this.parseAll = validate || keepFields || idField !== undefined || timeField !== undefined;
    this.rejector = rejector;
    const topLevel = (f: FieldPath | undefined): boolean => f === undefined || !f.path.includes('.');
    this.capture = !keepFields && !validate && topLevel(idField) && topLevel(timeField) ? new JsonCapture([idField?.path ?? '', timeField?.path ?? '']) : undefined;
  }

  parse(chunk: Buffer, start: number, end: number): SourceRecord | undefined {
    if (!this.parseAll) return this.unparsed(chunk, start, end);
    return (this.capture !== undefined && this.scanned(chunk, start, end, this.capture)) || this.parsed(chunk, start, end);
  }

  /** The fast path; undefined hands the line to `parsed` (which also words every rejection). */
  private scanned(chunk: Buffer, start: number, end: number, c: JsonCapture): SourceRecord | undefined {
    if (!scanJson(chunk, start, end, c) || c.escapedKey) return undefined;
    let a = start;
    while (chunk[a] === SP || chunk[a] === TAB || chunk[a] === NL || chunk[a] === CR) a++;
    if (chunk[a] !== LBRACE) return undefined;
    let deviceId = this.fileDeviceId;
    if (this.idField !== undefined) {
      const v = scalarAt(chunk, c.start[ID] as number, c.end[ID] as number, this.ids);
      if (v === ESCAPED) return undefined;
      deviceId = toDeviceId(v);
    }
    if (deviceId === undefined) return undefined;
    let eventTime: number | undefined;
    if (this.timeField !== undefined) {
      const v = scalarAt(chunk, c.start[TIME] as number, c.end[TIME] as number);
      if (v === ESCAPED) return undefined;
      eventTime = toEventTime(v);
    }
    return { deviceId, eventTime, payload: chunk.subarray(start, end), fields: undefined, json: true };
  }

  private parsed(chunk: Buffer, start: number, end: number): SourceRecord | undefined {
    let value: unknown;
    try {
      value = JSON.parse(chunk.toString('utf8', start, end));
    } catch (e) {
      this.rejector.reject('malformed-json', chunk.subarray(start, end), (e as Error).message);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.rejector.reject('malformed-json', chunk.subarray(start, end), 'line is not a JSON object');
      return undefined;
    }
    const fields = value as Record<string, unknown>;
    const deviceId = this.idField === undefined ? this.fileDeviceId : toDeviceId(this.idField.get(fields));
    if (deviceId === undefined) {
      const why = this.idField === undefined ? 'the file path does not fit deviceId.fromPath' : `no usable "${this.idField.path}" field`;
      this.rejector.reject('no-device-id', chunk.subarray(start, end), why);
      return undefined;
    }
    const eventTime = this.timeField === undefined ? undefined : toEventTime(this.timeField.get(fields));
    return { deviceId, eventTime, payload: chunk.subarray(start, end), fields, json: false };
  }

  private unparsed(chunk: Buffer, start: number, end: number): SourceRecord | undefined {
    let a = start;
    let b = end - 1;
    while (a < b && (chunk[a] === SP || chunk[a] === TAB)) a++;
    while (b > a && (chunk[b] === SP || chunk[b] === TAB)) b--;
    const first = chunk[a];
    const last = chunk[b];
    if (!((first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d)) || a === b) {
      this.rejector.reject('malformed-json', chunk.subarray(start, end), 'line is not a JSON object or array');
      return undefined;
    }
    if (this.fileDeviceId === undefined) {
      this.rejector.reject('no-device-id', chunk.subarray(start, end), 'the file path does not fit deviceId.fromPath');
      return undefined;
    }
    return { deviceId: this.fileDeviceId, eventTime: undefined, payload: chunk.subarray(start, end), fields: undefined, json: false };
  }
}

/** Marks a string value with escapes: JSON.parse must decode it. */
const ESCAPED = Symbol('escaped');

/**
 * The value whose raw text spans chunk[s, e) (s < 0: absent), as JSON.parse would give it for a
 * string without escapes or a number; undefined for other values (they make no id or time). A
 * string comes from `strings` when given (device ids: one string per distinct id).
 */
function scalarAt(chunk: Buffer, s: number, e: number, strings?: Utf8Interner): string | number | undefined | typeof ESCAPED {
  if (s < 0) return undefined;
  const first = chunk[s] as number;
  if (first === QUOTE) {
    for (let i = s + 1; i < e - 1; i++) if (chunk[i] === BACKSLASH) return ESCAPED;
    return strings === undefined ? chunk.toString('utf8', s + 1, e - 1) : strings.intern(chunk, s + 1, e - 1);
  }
  if (first === 0x2d || (first >= 0x30 && first <= 0x39)) return Number(chunk.toString('latin1', s, e));
  return undefined;
}
