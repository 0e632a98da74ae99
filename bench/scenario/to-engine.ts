/**
 * Scenario (+ CLI overrides) → the engine's input and what the CLI needs around it.
 *
 * Overrides (`--devices`, `--rate`, `--duration`, `--seed`, `--records`):
 * - `--devices N` resizes the fleet; a rate given per device (`perDevice`, `every`) scales with
 *   it, a fleet rate (`total`, `profile`) does not.
 * - `--rate R` sets the fleet's peak records/s (a profile is scaled so its peak is R).
 * - `--duration D` sets the run length and stretches or compresses every time in the scenario
 *   (profile points, offline windows) by the same factor, so a 1 s run still has the scenario's shape.
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import type { KeyingConfig } from '../../agent/keying/create-keying.ts';
import type { Infer } from '../../agent/config/schema.ts';
import type { DeviceAttribute, EngineInput, PayloadConfig, ValueGen } from '../engine/config.ts';
import { fraction } from './schema-parts.ts';
import type { valueGenerator } from './schema-parts.ts';
import type { Scenario, ScenarioKeying, ScenarioPayload, ScenarioStream } from './schema.ts';

export interface ScenarioOverrides {
  readonly devices?: number | undefined;
  readonly rate?: number | undefined;
  readonly durationMs?: number | undefined;
  readonly seed?: number | undefined;
  readonly records?: number | undefined;
}

export interface ScenarioPlan {
  readonly name: string;
  readonly input: EngineInput;
  /** The target URL: --target, else the scenario's. */
  readonly targetUrl: string;
  readonly stream: ScenarioStream;
  /** 0…1 */
  readonly targetUtilisation: number;
  readonly keying: KeyingConfig;
  readonly assignmentsFile: string | undefined;
  /** What the keying replay needs to rebuild the fleet's keys. */
  readonly fleet: { readonly idPattern: string; readonly attributes: readonly DeviceAttribute[]; readonly seed: number };
}

type Gen = Infer<typeof valueGenerator>;

export function planScenario(s: Scenario, o: ScenarioOverrides = {}, targetUrl?: string): ScenarioPlan {
  const problems: string[] = [];
  const check = (flag: string, v: number | undefined, ok: (x: number) => boolean, what: string): void => {
    if (v !== undefined && !(typeof v === 'number' && ok(v))) problems.push(`${flag}: expected ${what}, got ${String(v)}`);
  };
  const int = (x: number): boolean => Number.isInteger(x);
  check('--devices', o.devices, (x) => int(x) && x >= 1 && x < 2 ** 31, 'an integer ≥ 1');
  check('--rate', o.rate, (x) => x > 0 && Number.isFinite(x), 'records/s > 0');
  check('--duration', o.durationMs, (x) => x > 0 && Number.isFinite(x), 'a duration > 0');
  check('--seed', o.seed, (x) => int(x) && x >= 0 && x < 2 ** 32, 'an integer 0…4294967295');
  check('--records', o.records, (x) => int(x) && x >= 1, 'an integer ≥ 1');
  if (problems.length > 0) throw new ShardwiseError('E_CONFIG', `invalid options:\n  ${problems.join('\n  ')}`);

  const devices = o.devices ?? s.fleet.devices;
  const durationMs = o.durationMs ?? s.duration;
  const stretch = durationMs / s.duration;
  const r = s.rate;
  let profile = (r.profile ?? []).map((p) => ({ atMs: p.at * stretch, recordsPerSec: p.rate }));
  let total = r.total ?? (r.perDevice !== undefined ? r.perDevice * devices : r.every !== undefined ? (devices * 1000) / r.every : 0);
  if (profile.length > 0) total = Math.max(...profile.map((p) => p.recordsPerSec));
  if (o.rate !== undefined) {
    const k = o.rate / total;
    profile = profile.map((p) => ({ atMs: p.atMs, recordsPerSec: p.recordsPerSec * k }));
    total = o.rate;
  }
  const url = targetUrl ?? s.target;
  const mode = s.engine.mode === 'auto' ? (url.startsWith('model:') ? 'virtual' : 'real') : s.engine.mode;
  const keying = keyingConfig(s.stream.keying);
  const attributes = s.fleet.attributes.map((a) => ({ name: a.name, values: a.values, weights: a.weights }));
  const seed = o.seed ?? s.seed;
  const input: EngineInput = {
    seed,
    fleet: { devices, idPattern: s.fleet.idPattern, attributes },
    rate: { recordsPerSec: total, arrivals: r.arrivals, popularity: popularityOf(r.popularity), profile },
    durationMs,
    maxRecords: o.records ?? s.records ?? Infinity,
    offline: s.offline.map((w) => ({ atMs: w.at * stretch, durationMs: w.duration * stretch, fraction: fraction(w.devices) })),
    payload: payloadConfig(s.payload),
    keying,
    mode,
    batchRecords: s.engine.batchRecords,
    maxInFlight: s.engine.maxInFlight,
    lingerMs: s.engine.linger,
    maxLatenessMs: s.engine.maxLateness,
    maxBacklogRecords: s.engine.maxBacklog,
    stepMs: s.engine.step,
    drainTimeoutMs: s.engine.drainTimeout,
  };
  return {
    name: s.name ?? 'scenario',
    input,
    targetUrl: url,
    stream: s.stream,
    targetUtilisation: fraction(s.stream.targetUtilisation),
    keying,
    assignmentsFile: s.stream.keying.kind === 'balanced' ? s.stream.keying.assignmentsFile : undefined,
    fleet: { idPattern: s.fleet.idPattern, attributes, seed },
  };
}

function popularityOf(p: Scenario['rate']['popularity']): NonNullable<NonNullable<EngineInput['rate']>['popularity']> {
  switch (p.kind) {
    case 'uniform':
      return { kind: 'uniform' };
    case 'zipf':
      return { kind: 'zipf', s: p.s };
    case 'hot-set':
      return { kind: 'hot-set', devices: fraction(p.devices), traffic: fraction(p.traffic) };
    case 'lognormal':
      return { kind: 'lognormal', sigma: p.sigma };
  }
}

export function keyingConfig(k: ScenarioKeying): KeyingConfig {
  switch (k.kind) {
    case 'device':
    case 'random':
      return { kind: k.kind };
    case 'field':
      return { kind: 'field', field: k.field, onMissing: k.onMissing };
    case 'template':
      return { kind: 'template', template: k.template, onMissing: k.onMissing };
    case 'salted':
      return { kind: 'salted', buckets: k.buckets };
    case 'balanced':
      return { kind: 'balanced', halfLifeMs: k.halfLife, threshold: k.threshold, moveAfterMs: k.moveAfter };
  }
}

function valueGen(g: Gen): ValueGen {
  switch (g.kind) {
    case 'uniform':
      return { kind: 'uniform', min: g.min, max: g.max, decimals: g.decimals };
    case 'normal':
      return { kind: 'normal', mean: g.mean, sd: g.sd, decimals: g.decimals };
    case 'sine':
      return { kind: 'sine', mean: g.mean, amplitude: g.amplitude, periodMs: g.period, decimals: g.decimals };
    case 'choice':
      return g.weights === undefined ? { kind: 'choice', values: g.values } : { kind: 'choice', values: g.values, weights: g.weights };
    case 'const':
      return { kind: 'const', value: g.value };
    case 'flag':
      return { kind: 'choice', values: [true, false], weights: [g.probability, 1 - g.probability] };
    case 'attribute':
      return { kind: 'attribute', name: g.name };
  }
}

function fieldsOf(fields: Readonly<Record<string, Gen>>): { name: string; value: ValueGen }[] {
  return Object.entries(fields).map(([name, g]) => ({ name, value: valueGen(g) }));
}

export function payloadConfig(p: ScenarioPayload): PayloadConfig {
  switch (p.kind) {
    case 'json':
      return p.padTo === undefined ? { kind: 'json', fields: fieldsOf(p.fields) } : { kind: 'json', fields: fieldsOf(p.fields), padToBytes: p.padTo };
    case 'bytes':
      return { kind: 'bytes', minBytes: p.size ?? (p.min as number), maxBytes: p.size ?? (p.max as number) };
    case 'video-chunk': {
      const meanBytes = (p.bitrateKbps * 1000 * p.chunk) / 8 / 1000;
      return {
        kind: 'json',
        fields: [
          { name: 'chunkMs', value: { kind: 'const', value: p.chunk } },
          { name: 'bytes', value: { kind: 'normal', mean: meanBytes, sd: meanBytes * 0.1, decimals: 0 } },
          { name: 'codec', value: { kind: 'const', value: p.codec } },
          { name: 'resolution', value: { kind: 'const', value: p.resolution } },
          { name: 'keyframe', value: { kind: 'choice', values: [true, false], weights: [0.98, 0.02] } },
          ...fieldsOf(p.fields),
        ],
      };
    }
  }
}
