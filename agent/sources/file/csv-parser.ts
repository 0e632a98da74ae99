/**
 * CSV rows → records. With a header (`header: true`, the default) the first line of each file
 * names the columns, or is skipped when `columns` overrides it; a later line equal to the header (a
 * writer that re-writes it after copytruncate) is skipped. Without a header (`header: false`)
 * every line is a row and `columns` names the cells. A row whose number of cells differs from the
 * number of columns is rejected as `malformed-csv` with both counts. Quoted cells follow RFC 4180
 * (`"a,b"`, `""` for a quote) within one line; a quoted cell spanning lines is not supported (the
 * source is line-based) and is rejected as `malformed-csv`.
 */
import type { SourceRecord } from '../source.ts';
import type { LineParser, LineRejector } from './line-parser.ts';
import { toDeviceId, toEventTime } from './fields.ts';
import type { FieldPath } from './fields.ts';

/** Where the column names come from (see the file comment). */
export interface CsvLayout {
  readonly header: boolean;
  readonly columns?: readonly string[] | undefined;
}

export class CsvParser implements LineParser {
  private readonly delimiter: string;
  private readonly payloadMode: 'line' | 'json';
  private readonly fileDeviceId: string | undefined;
  private readonly idField: FieldPath | undefined;
  private readonly timeField: FieldPath | undefined;
  private readonly rejector: LineRejector;
  private readonly headerLine: boolean;
  /** From `csv.columns`: fixed names (header line skipped, or none at all). */
  private readonly fixedColumns: readonly string[] | undefined;
  private columns: readonly string[] | undefined;
  private headerBytes: Buffer | undefined;
  private readonly cells: string[] = [];

  constructor(
    delimiter: string,
    payloadMode: 'line' | 'json',
    fileDeviceId: string | undefined,
    idField: FieldPath | undefined,
    timeField: FieldPath | undefined,
    rejector: LineRejector,
    layout: CsvLayout = { header: true },
  ) {
    this.headerLine = layout.header;
    this.fixedColumns = layout.columns;
    if (!layout.header && layout.columns === undefined) throw new RangeError('csv: columns are required without a header line');
    this.columns = layout.header ? undefined : layout.columns;
    this.delimiter = delimiter;
    this.payloadMode = payloadMode;
    this.fileDeviceId = fileDeviceId;
    this.idField = idField;
    this.timeField = timeField;
    this.rejector = rejector;
  }

  /** The column names are known (header line seen, or fixed by `columns`). */
  get hasHeader(): boolean {
    return this.columns !== undefined;
  }

  /**
   * Takes `line` as the header (first line of the file; also used when resuming mid-file). Without
   * a header line this does nothing; with `columns` the line is only remembered (to skip it).
   */
  setHeader(line: Buffer): boolean {
    if (!this.headerLine) return true;
    const cells: string[] = [];
    if (!splitCsv(line.toString('utf8'), this.delimiter, cells) || cells.length === 0) return false;
    this.columns = this.fixedColumns ?? cells;
    this.headerBytes = Buffer.from(line);
    return true;
  }

  parse(chunk: Buffer, start: number, end: number): SourceRecord | undefined {
    const line = chunk.subarray(start, end);
    if (this.columns === undefined) {
      if (!this.setHeader(line)) this.rejector.reject('malformed-csv', line, 'unbalanced quotes in the header');
      return undefined;
    }
    if (this.headerBytes !== undefined && line.equals(this.headerBytes)) return undefined;
    const cells = this.cells;
    cells.length = 0;
    if (!splitCsv(chunk.toString('utf8', start, end), this.delimiter, cells)) {
      this.rejector.reject('malformed-csv', line, 'unbalanced quotes');
      return undefined;
    }
    const cols = this.columns;
    if (cells.length !== cols.length) {
      const expected = this.fixedColumns === undefined ? `header has ${cols.length}` : `csv.columns has ${cols.length}`;
      this.rejector.reject('malformed-csv', line, `${cells.length} columns, ${expected}`);
      return undefined;
    }
    const fields: Record<string, unknown> = {};
    for (let i = 0; i < cols.length; i++) fields[cols[i] as string] = cells[i];
    const deviceId = this.idField === undefined ? this.fileDeviceId : toDeviceId(this.idField.get(fields));
    if (deviceId === undefined) {
      const why = this.idField === undefined ? 'the file path does not fit deviceId.fromPath' : `empty or missing column "${this.idField.path}"`;
      this.rejector.reject('no-device-id', line, why);
      return undefined;
    }
    const eventTime = this.timeField === undefined ? undefined : toEventTime(this.timeField.get(fields));
    const payload = this.payloadMode === 'line' ? line : Buffer.from(JSON.stringify(fields));
    return { deviceId, eventTime, payload, fields };
  }
}

/** Splits one CSV line into `out`; false when a quote is not closed. */
export function splitCsv(line: string, delimiter: string, out: string[]): boolean {
  if (line.indexOf('"') < 0) {
    let from = 0;
    for (;;) {
      const at = line.indexOf(delimiter, from);
      if (at < 0) break;
      out.push(line.slice(from, at));
      from = at + 1;
    }
    out.push(line.slice(from));
    return true;
  }
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return false;
        cell += line.slice(j, q);
        if (line[q + 1] === '"') {
          cell += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(cell);
      if (i >= n) return true;
      if (line[i] !== delimiter) return false;
      i++;
    } else {
      const at = line.indexOf(delimiter, i);
      if (at < 0) {
        out.push(line.slice(i));
        return true;
      }
      out.push(line.slice(i, at));
      i = at + 1;
    }
    if (i === n) {
      out.push('');
      return true;
    }
  }
}
