/**
 * JSON Lines. JSON.parse runs only when a field is needed (device id or event time from a field);
 * the parsed object is handed on as `fields` so nothing downstream parses again. Without a field
 * rule a line gets a cheap structural check only (first/last non-blank byte `{…}` or `[…]`)
 * unless `validateJson` asks for a full parse.
 */
import type { SourceRecord } from '../source.ts';
import type { LineParser, LineRejector } from './line-parser.ts';
import { toDeviceId, toEventTime } from './fields.ts';
import type { FieldPath } from './fields.ts';

const SP = 0x20;
const TAB = 0x09;

export class JsonlParser implements LineParser {
  private readonly fileDeviceId: string | undefined;
  private readonly idField: FieldPath | undefined;
  private readonly timeField: FieldPath | undefined;
  private readonly parseAll: boolean;
  private readonly rejector: LineRejector;

  constructor(
    fileDeviceId: string | undefined,
    idField: FieldPath | undefined,
    timeField: FieldPath | undefined,
    validate: boolean,
    rejector: LineRejector,
  ) {
    this.fileDeviceId = fileDeviceId;
    this.idField = idField;
    this.timeField = timeField;
    this.parseAll = validate || idField !== undefined || timeField !== undefined;
    this.rejector = rejector;
  }

  parse(chunk: Buffer, start: number, end: number): SourceRecord | undefined {
    if (!this.parseAll) return this.unparsed(chunk, start, end);
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
    return { deviceId, eventTime, payload: chunk.subarray(start, end), fields };
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
    return { deviceId: this.fileDeviceId, eventTime: undefined, payload: chunk.subarray(start, end), fields: undefined };
  }
}
