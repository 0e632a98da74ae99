/**
 * Per-device record counts of a run, carried in its JSON report (`devices`) so `verify
 * --run-report FILE` can tell records lost at the tail of a device's sequence, not only gaps.
 * Compact: Uint32 little-endian counts, base64 (1 M devices ≈ 5.3 MB of JSON).
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { DevicePattern } from '../engine/device-pattern.ts';

export interface EncodedRunDevices {
  readonly idPattern: string;
  readonly first: number;
  readonly count: number;
  readonly encoding: 'u32le-base64';
  readonly records: string;
}

export interface RunDevices {
  readonly idPattern: string;
  readonly first: number;
  readonly records: Uint32Array;
  /** When the run started (records intended earlier belong to another run). */
  readonly startedAtMs: number;
  forEach(visit: (deviceId: string, count: number) => void): void;
}

export function encodeRunDevices(idPattern: string, perDevice: { readonly first: number; readonly records: Uint32Array }): EncodedRunDevices {
  const r = perDevice.records;
  const bytes = Buffer.alloc(r.length * 4);
  for (let i = 0; i < r.length; i++) bytes.writeUInt32LE(r[i] as number, i * 4);
  return { idPattern, first: perDevice.first, count: r.length, encoding: 'u32le-base64', records: bytes.toString('base64') };
}

/** Reads `devices` and `startedAt` from a parsed run report; E_CONFIG naming what is missing. */
export function runDevicesFromReport(report: unknown, source = 'run report'): RunDevices {
  const r = report as { devices?: Partial<EncodedRunDevices>; startedAt?: unknown } | null;
  const d = r?.devices;
  const problems: string[] = [];
  if (d === undefined || d === null) problems.push('devices: missing (write the report with `shardwise-bench run --report FILE`)');
  else {
    if (typeof d.idPattern !== 'string') problems.push('devices.idPattern: expected a string');
    if (typeof d.first !== 'number') problems.push('devices.first: expected a number');
    if (d.encoding !== 'u32le-base64') problems.push(`devices.encoding: expected u32le-base64, got ${JSON.stringify(d.encoding)}`);
    if (typeof d.records !== 'string') problems.push('devices.records: expected a base64 string');
  }
  const started = typeof r?.startedAt === 'string' ? Date.parse(r.startedAt) : Number.NaN;
  if (Number.isNaN(started)) problems.push('startedAt: expected an ISO time');
  if (problems.length > 0) throw new ShardwiseError('E_CONFIG', `${source}:\n  ${problems.join('\n  ')}`);
  const e = d as EncodedRunDevices;
  const bytes = Buffer.from(e.records, 'base64');
  const records = new Uint32Array(bytes.length >>> 2);
  for (let i = 0; i < records.length; i++) records[i] = bytes.readUInt32LE(i * 4);
  const ids = new DevicePattern(e.idPattern, Math.max(1, records.length), e.first);
  return {
    idPattern: e.idPattern,
    first: e.first,
    records,
    startedAtMs: started,
    forEach(visit) {
      for (let i = 0; i < records.length; i++) visit(ids.idOf(i), records[i] as number);
    },
  };
}
