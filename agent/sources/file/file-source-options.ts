/**
 * Options of one `kind: 'file'` source. Values arrive validated from agent/config (ms, bytes);
 * `resolveFileOptions` only fills defaults and checks the combinations that config cannot see.
 */
import { ShardwiseError } from '../../core/errors.ts';

export type DeviceIdRule =
  | { readonly fromField: string }
  | { readonly fromPath: string }
  | { readonly fixed: string };

export interface CsvOptions {
  /** One character, e.g. `,` or `;` or `\t`. */
  readonly delimiter: string;
  /**
   * `true`: the first line of every file is a header line. It names the columns unless `columns`
   * is given (then it is skipped and `columns` wins). `false`: every line is a row; `columns` is
   * required.
   */
  readonly header: boolean;
  /** Column names: required with `header: false`; with `header: true` they override the header line. */
  readonly columns?: readonly string[];
  /** `line` (default): payload is the row's bytes; `json`: payload is the row as a JSON object. */
  readonly payload?: 'line' | 'json';
}

export interface FileSourceOptions {
  readonly name: string;
  /** Glob patterns (fast-glob syntax), absolute or relative to the working directory. */
  readonly paths: readonly string[];
  readonly format: 'jsonl' | 'csv' | 'raw';
  readonly csv?: CsvOptions;
  readonly deviceId: DeviceIdRule;
  /** Where to start in files found at the first scan that have no checkpoint. Files that appear later are always read from 0. */
  readonly startAt: 'beginning' | 'end';
  readonly pollIntervalMs: number;
  /** JSON file holding the offset per (dev, inode). */
  readonly checkpointPath: string;
  /** Longer lines are rejected as `too-large` (without buffering them). */
  readonly maxLineBytes: number;
  /** jsonl/csv: field holding the event time (number = ms since epoch, string = ISO 8601). Default: none. */
  readonly eventTimeField?: string;
  /** jsonl: parse every line even when no field is needed (full validation, `fields` passed on). Default false: a cheap structural check only. */
  readonly validateJson?: boolean;
  /** jsonl: hand the parsed fields on (keying by field or template needs them). Default false: lines are only scanned. */
  readonly keepFields?: boolean;
  /** Empty lines: `skip` (default) or `reject` with reason `empty`. */
  readonly emptyLines?: 'skip' | 'reject';
  /** Minimum time between checkpoint writes; 0 = after every accepted batch. Default 1000. */
  readonly checkpointIntervalMs?: number;
  /** A file renamed away or deleted is read until it has been idle this long, then closed. Default 5000. */
  readonly rotateWaitMs?: number;
  /** Bytes per read() call. Default 1 MiB (raised to 2 × maxLineBytes if smaller). */
  readonly readChunkBytes?: number;
  /** Records per `accept` call. Default 500. */
  readonly batchMaxRecords?: number;
  /** Payload bytes per `accept` call. Default 4 MiB. */
  readonly batchMaxBytes?: number;
}

export interface ResolvedFileOptions extends FileSourceOptions {
  readonly emptyLines: 'skip' | 'reject';
  readonly checkpointIntervalMs: number;
  readonly rotateWaitMs: number;
  readonly readChunkBytes: number;
  readonly batchMaxRecords: number;
  readonly batchMaxBytes: number;
}

export function resolveFileOptions(o: FileSourceOptions): ResolvedFileOptions {
  const bad = (why: string): ShardwiseError => new ShardwiseError('E_CONFIG', `sources.${o.name}: ${why}`);
  if (o.paths.length === 0) throw bad('paths must list at least one glob');
  if ('fromField' in o.deviceId && o.format === 'raw') throw bad('deviceId.fromField needs format jsonl or csv');
  if (o.format === 'csv' && (o.csv === undefined || o.csv.delimiter.length !== 1)) {
    throw bad('format csv needs csv.delimiter (one character)');
  }
  const csv = o.csv;
  if (o.format === 'csv' && csv !== undefined) {
    if (!csv.header && (csv.columns === undefined || csv.columns.length === 0)) throw bad('csv.columns: required when csv.header is false');
    if (csv.columns !== undefined && new Set(csv.columns).size !== csv.columns.length) throw bad('csv.columns: names must be unique');
    if (csv.columns?.some((c) => c.length === 0)) throw bad('csv.columns: names must not be empty');
  }
  if (o.eventTimeField !== undefined && o.format === 'raw') throw bad('eventTimeField needs format jsonl or csv');
  const maxLine = Math.max(1, Math.floor(o.maxLineBytes));
  return {
    ...o,
    emptyLines: o.emptyLines ?? 'skip',
    checkpointIntervalMs: o.checkpointIntervalMs ?? 1000,
    rotateWaitMs: o.rotateWaitMs ?? 5000,
    readChunkBytes: Math.max(o.readChunkBytes ?? 1024 * 1024, 2 * maxLine, 4096),
    batchMaxRecords: Math.max(1, o.batchMaxRecords ?? 500),
    batchMaxBytes: Math.max(maxLine, o.batchMaxBytes ?? 4 * 1024 * 1024),
    maxLineBytes: maxLine,
  };
}
