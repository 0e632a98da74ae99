/**
 * Turns one line (bytes `chunk[start, end)`, newline and CR already stripped) into a SourceRecord,
 * or reports it through the rejector. One parser instance per open file (CSV keeps its header).
 */
import { isUtf8 } from 'node:buffer';
import type { RejectReason, SourceRecord } from '../source.ts';
import type { ResolvedFileOptions } from './file-source-options.ts';
import { CsvParser } from './csv-parser.ts';
import { JsonlParser } from './jsonl-parser.ts';
import { FieldPath } from './fields.ts';

export interface LineRejector {
  reject(reason: RejectReason, raw: Uint8Array, detail: string): void;
}

export interface LineParser {
  /** A record, or undefined when the line was rejected (through the rejector) or skipped. */
  parse(chunk: Buffer, start: number, end: number): SourceRecord | undefined;
}

/** Payload is the line itself; the device id comes from the path or is fixed. */
export class RawParser implements LineParser {
  private readonly deviceId: string | undefined;
  private readonly rejector: LineRejector;
  constructor(deviceId: string | undefined, rejector: LineRejector) {
    this.deviceId = deviceId;
    this.rejector = rejector;
  }
  parse(chunk: Buffer, start: number, end: number): SourceRecord | undefined {
    const payload = chunk.subarray(start, end);
    if (this.deviceId === undefined) {
      this.rejector.reject('no-device-id', payload, 'the file path does not fit deviceId.fromPath');
      return undefined;
    }
    return { deviceId: this.deviceId, eventTime: undefined, payload, fields: undefined };
  }
}

/**
 * `fileDeviceId` is the id from `fixed` or `fromPath` (undefined when the path did not fit, or
 * with `fromField`).
 */
export function createLineParser(
  opts: ResolvedFileOptions,
  fileDeviceId: string | undefined,
  rejector: LineRejector,
): LineParser {
  const idField = 'fromField' in opts.deviceId ? new FieldPath(opts.deviceId.fromField) : undefined;
  const timeField = opts.eventTimeField === undefined ? undefined : new FieldPath(opts.eventTimeField);
  switch (opts.format) {
    case 'raw':
      return new RawParser(fileDeviceId, rejector);
    case 'jsonl':
      return new JsonlParser(fileDeviceId, idField, timeField, opts.validateJson === true, rejector, opts.keepFields === true);
    case 'csv': {
      const csv = opts.csv ?? { delimiter: ',', header: true };
      return new CsvParser(csv.delimiter, csv.payload ?? 'line', fileDeviceId, idField, timeField, rejector, csv);
    }
  }
}

/** True when the line holds a NUL byte or is not valid UTF-8 (binary data where text is expected). */
export function isBinaryLine(chunk: Buffer, start: number, end: number): boolean {
  const nul = chunk.indexOf(0, start);
  if (nul >= 0 && nul < end) return true;
  return !isUtf8Range(chunk, start, end);
}

export function isUtf8Range(chunk: Buffer, start: number, end: number): boolean {
  return isUtf8(chunk.subarray(start, end));
}
