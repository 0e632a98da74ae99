/**
 * Engine configuration: the resolved form every engine part reads. `resolveEngineConfig` fills
 * defaults and reports every problem at once (`path: expected …, got …`) as E_CONFIG.
 * (The scenario YAML schema is built on agent/config/schema.ts later and produces this shape.)
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import type { KeyingConfig } from '../../agent/keying/create-keying.ts';

/** How traffic is shared among devices (weights normalised to mean 1). */
export type Popularity =
  | { readonly kind: 'uniform' }
  /** Device of popularity rank r sends ∝ r^−s; ranks are a seeded shuffle of the devices. */
  | { readonly kind: 'zipf'; readonly s: number }
  /** `devices` (fraction) of the devices send `traffic` (fraction) of the records. */
  | { readonly kind: 'hot-set'; readonly devices: number; readonly traffic: number }
  /** Rates lognormally distributed across devices (σ of the underlying normal). */
  | { readonly kind: 'lognormal'; readonly sigma: number };

/** Per-device arrivals: evenly spaced (random phase) or a Poisson process. */
export type Arrivals = 'constant' | 'poisson';

export interface RatePoint {
  readonly atMs: number;
  readonly recordsPerSec: number;
}

export interface OfflineWindow {
  readonly atMs: number;
  readonly durationMs: number;
  /** Fraction of devices that go silent; they burst their backlog when the window ends. */
  readonly fraction: number;
}

/** A categorical per-device attribute (site, country, tenant), usable in key templates and payloads. */
export interface DeviceAttribute {
  readonly name: string;
  readonly values: readonly string[];
  /** Share of devices per value (default equal). */
  readonly weights?: readonly number[] | undefined;
}

export type ValueGen =
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number; readonly decimals?: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly sd: number; readonly decimals?: number }
  | { readonly kind: 'sine'; readonly mean: number; readonly amplitude: number; readonly periodMs: number; readonly decimals?: number }
  | { readonly kind: 'choice'; readonly values: readonly (string | number | boolean)[]; readonly weights?: readonly number[] }
  | { readonly kind: 'const'; readonly value: string | number | boolean }
  | { readonly kind: 'attribute'; readonly name: string };

export type PayloadConfig =
  /** JSON telemetry: `{"device","seq","ts"(µs),…fields}`, optionally padded to a size. */
  | { readonly kind: 'json'; readonly fields: readonly { readonly name: string; readonly value: ValueGen }[]; readonly padToBytes?: number }
  /** Opaque bytes: a small binary header (id, seq, intended µs) then filler; fixed or ranged size. */
  | { readonly kind: 'bytes'; readonly minBytes: number; readonly maxBytes: number };

export interface EngineConfig {
  readonly seed: number;
  readonly fleet: {
    readonly devices: number;
    readonly idPattern: string;
    readonly attributes: readonly DeviceAttribute[];
    /** This engine's devices are global indices first … first+devices−1 (worker slices). */
    readonly first: number;
    /** Devices in the whole fleet (≥ first + devices); attributes and popularity use global indices. */
    readonly total: number;
  };
  readonly rate: {
    /** Records/s of the WHOLE fleet (all workers together) at the peak of the profile. */
    readonly recordsPerSec: number;
    readonly arrivals: Arrivals;
    readonly popularity: Popularity;
    /** Piecewise-linear rate over time (ramp-up); empty = constant recordsPerSec. */
    readonly profile: readonly RatePoint[];
  };
  readonly durationMs: number;
  readonly maxRecords: number;
  readonly offline: readonly OfflineWindow[];
  readonly payload: PayloadConfig;
  readonly keying: KeyingConfig;
  /** `real`: wall-clock, open loop. `virtual`: as fast as possible, simulated time (model target). */
  readonly mode: 'real' | 'virtual';
  readonly batchRecords: number;
  /** Bound on concurrent requests (batches) in flight. */
  readonly maxInFlight: number;
  /** How long a partly filled batch may wait for more records (0 = send at every scheduler step). */
  readonly lingerMs: number;
  /** A record still queued this long after its intended time is dropped (counted as late). */
  readonly maxLatenessMs: number;
  /** Queued records beyond this are dropped on arrival (counted as backlog drops). */
  readonly maxBacklogRecords: number;
  /** Scheduler step: real mode sleeps this long between steps; virtual mode advances by it. */
  readonly stepMs: number;
  /** After generation ends, how long to wait for in-flight requests. */
  readonly drainTimeoutMs: number;
  /** Keep per-device record counts (4 bytes/device) for the keying replay. */
  readonly perDeviceCounts: boolean;
}

type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type EngineInput = DeepPartial<EngineConfig>;

export const DEFAULT_PAYLOAD: PayloadConfig = {
  kind: 'json',
  fields: [
    { name: 'temp', value: { kind: 'normal', mean: 21, sd: 3, decimals: 2 } },
    { name: 'humidity', value: { kind: 'uniform', min: 20, max: 80, decimals: 1 } },
    { name: 'status', value: { kind: 'choice', values: ['ok', 'warn', 'fault'], weights: [0.96, 0.03, 0.01] } },
  ],
};

export function resolveEngineConfig(input: EngineInput): EngineConfig {
  const problems: string[] = [];
  const num = (path: string, v: number | undefined, def: number, min: number, max = Infinity, integer = false): number => {
    const x = v ?? def;
    if (typeof x !== 'number' || Number.isNaN(x) || x < min || x > max || (integer && !Number.isInteger(x))) {
      problems.push(`${path}: expected ${integer ? 'an integer' : 'a number'} ${min}…${max}, got ${JSON.stringify(v)}`);
    }
    return x;
  };
  const devices = num('fleet.devices', input.fleet?.devices, 1000, 1, 2 ** 31 - 1, true);
  const first = num('fleet.first', input.fleet?.first, 0, 0, 2 ** 31 - 1, true);
  const total = num('fleet.total', input.fleet?.total, first + devices, first + devices, 2 ** 31 - 1, true);
  const rate = num('rate.recordsPerSec', input.rate?.recordsPerSec, 1000, Number.MIN_VALUE);
  const popularity = (input.rate?.popularity ?? { kind: 'uniform' }) as Popularity;
  if (popularity.kind === 'zipf') num('rate.popularity.s', popularity.s, 1, 0, 10);
  else if (popularity.kind === 'hot-set') {
    num('rate.popularity.devices', popularity.devices, 0, Number.MIN_VALUE, 1);
    num('rate.popularity.traffic', popularity.traffic, 0, 0, 1);
  } else if (popularity.kind === 'lognormal') num('rate.popularity.sigma', popularity.sigma, 1, 0, 10);
  else if (popularity.kind !== 'uniform') problems.push(`rate.popularity.kind: expected uniform, zipf, hot-set or lognormal, got ${JSON.stringify((popularity as { kind: unknown }).kind)}`);
  const arrivals = input.rate?.arrivals ?? 'poisson';
  if (arrivals !== 'constant' && arrivals !== 'poisson') problems.push(`rate.arrivals: expected constant or poisson, got ${JSON.stringify(arrivals)}`);
  const profile = input.rate?.profile ?? [];
  profile.forEach((p, i) => {
    num(`rate.profile[${i}].atMs`, p.atMs, 0, i === 0 ? 0 : (profile[i - 1]?.atMs ?? 0));
    num(`rate.profile[${i}].recordsPerSec`, p.recordsPerSec, 0, Number.MIN_VALUE);
  });
  const offline = input.offline ?? [];
  offline.forEach((w, i) => {
    num(`offline[${i}].atMs`, w.atMs, 0, 0);
    num(`offline[${i}].durationMs`, w.durationMs, 0, Number.MIN_VALUE);
    num(`offline[${i}].fraction`, w.fraction, 0, 0, 1);
  });
  const payload = (input.payload ?? DEFAULT_PAYLOAD) as PayloadConfig;
  if (payload.kind === 'bytes') {
    const lo = num('payload.minBytes', payload.minBytes, 0, 24, 1024 * 1024, true);
    num('payload.maxBytes', payload.maxBytes, 0, lo, 1024 * 1024, true);
  } else if (payload.kind !== 'json') problems.push(`payload.kind: expected json or bytes, got ${JSON.stringify((payload as { kind: unknown }).kind)}`);
  const mode = input.mode ?? 'virtual';
  if (mode !== 'real' && mode !== 'virtual') problems.push(`mode: expected real or virtual, got ${JSON.stringify(mode)}`);
  const attributes = input.fleet?.attributes ?? [];
  attributes.forEach((a, i) => {
    if (!a.values || a.values.length === 0) problems.push(`fleet.attributes[${i}].values: expected at least one value`);
    if (a.weights && a.weights.length !== a.values.length) problems.push(`fleet.attributes[${i}].weights: expected ${a.values.length} weights, got ${a.weights.length}`);
  });
  const config: EngineConfig = {
    seed: num('seed', input.seed, 1, 0, 2 ** 32 - 1, true),
    fleet: { devices, idPattern: input.fleet?.idPattern ?? 'device-{n:08}', attributes, first, total },
    rate: { recordsPerSec: rate, arrivals, popularity, profile },
    durationMs: num('durationMs', input.durationMs, 10_000, 0),
    maxRecords: num('maxRecords', input.maxRecords, Infinity, 1),
    offline,
    payload,
    keying: (input.keying ?? { kind: 'device' }) as KeyingConfig,
    mode,
    batchRecords: num('batchRecords', input.batchRecords, 500, 1, 100_000, true),
    maxInFlight: num('maxInFlight', input.maxInFlight, 8, 1, 10_000, true),
    lingerMs: num('lingerMs', input.lingerMs, 0, 0),
    maxLatenessMs: num('maxLatenessMs', input.maxLatenessMs, 30_000, 0),
    maxBacklogRecords: num('maxBacklogRecords', input.maxBacklogRecords, 1_000_000, 0, Infinity, true),
    stepMs: num('stepMs', input.stepMs, 1, 0.001, 1000),
    drainTimeoutMs: num('drainTimeoutMs', input.drainTimeoutMs, 30_000, 0),
    perDeviceCounts: input.perDeviceCounts ?? true,
  };
  if (!Number.isFinite(config.durationMs) && !Number.isFinite(config.maxRecords)) problems.push('durationMs/maxRecords: give at least one finite bound');
  if (problems.length > 0) throw new ShardwiseError('E_CONFIG', `bench engine configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
