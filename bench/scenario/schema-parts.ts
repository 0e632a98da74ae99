/**
 * Parts of the scenario schema (schema.ts): the fleet, its rate and key popularity, payloads and
 * their value generators. Built with agent/config's `t.*` library: every problem reported at once
 * with its path, unknown keys rejected with the valid ones.
 */
import { t } from '../../agent/config/schema.ts';
import type { IssueReporter } from '../../agent/config/schema.ts';

const PERCENT = /^\d+(\.\d+)?\s*%$/;

/** A percentage written `10%` or `0.5%` (0 … 100 %); read it with `fraction()`. */
export function percent<const O extends { readonly default?: string; readonly optional?: true }>(description: string, options?: O) {
  return t.string(description, {
    ...(options ?? ({} as O)),
    pattern: PERCENT,
    patternHint: 'a percentage such as 10% or 0.5%',
    check: (v: string, report: IssueReporter) => (parseFloat(v) > 100 ? report('expected at most 100%') : undefined),
  });
}

/** `'10%'` → 0.1. */
export function fraction(p: string): number {
  return parseFloat(p) / 100;
}

const decimals = t.integer('Digits after the decimal point.', { default: 2, min: 0, max: 6 });

export const valueGenerator = t.union('How a telemetry field gets its value, drawn per record.', 'kind', {
  uniform: t.object('Uniform in [min, max].', { min: t.number('Lowest value.'), max: t.number('Highest value.'), decimals }, {
    check: (v, report) => (v.min > v.max ? report('must not exceed max', 'min') : undefined),
  }),
  normal: t.object('Normally distributed.', { mean: t.number('Mean.'), sd: t.number('Standard deviation.', { min: 0 }), decimals }),
  sine: t.object('A sine wave over time (per-device phase), e.g. a daily temperature cycle.', {
    mean: t.number('Centre value.'),
    amplitude: t.number('Amplitude.', { min: 0 }),
    period: t.duration('Period of the wave.', { min: '1ms' }),
    decimals,
  }),
  choice: t.object('One of several strings (written as JSON strings), optionally weighted.', {
    values: t.array('The values.', t.string('A value.'), { minItems: 1 }),
    weights: t.array('Relative weights, one per value (default equal).', t.number('A weight.', { min: 0 }), { optional: true }),
  }, {
    check: (v, report) => (v.weights !== undefined && v.weights.length !== v.values.length ? report(`expected ${v.values.length} weights (one per value), got ${v.weights.length}`, 'weights') : undefined),
  }),
  const: t.object('A constant string.', { value: t.string('The value.') }),
  flag: t.object('true with the given probability, else false.', { probability: t.number('Probability of true.', { min: 0, max: 1 }) }),
  attribute: t.object("The device's value of a fleet attribute (see fleet.attributes).", { name: t.string('Attribute name.', { minLength: 1 }) }),
});

export const fleet = t.object('The simulated devices: a struct of typed arrays, not one object per device.', {
  devices: t.integer('How many devices.', { min: 1, max: 2 ** 31 - 1 }),
  idPattern: t.string('Device ids: a pattern with a {n} or zero-padded {n:08} slot for the device index.', {
    default: 'device-{n:08}',
    pattern: /\{n(:0?\d+)?\}/,
    patternHint: 'a pattern with a {n} or {n:08} slot, e.g. meter-{n:08}',
  }),
  attributes: t.array(
    'Categorical per-device attributes (site, country, tenant), assigned by a seeded weighted draw; usable in keying templates and payload fields.',
    t.object('One attribute.', {
      name: t.string('Attribute name (letters, digits, _).', { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, patternHint: 'letters, digits and _, e.g. country' }),
      values: t.array('Its values.', t.string('A value.', { minLength: 1 }), { minItems: 1 }),
      weights: t.array('Share of devices per value (relative; default equal).', t.number('A weight.', { min: 0 }), { optional: true }),
    }, {
      check: (v, report) => {
        if (v.weights !== undefined && v.weights.length !== v.values.length) report(`expected ${v.values.length} weights (one per value), got ${v.weights.length}`, 'weights');
        else if (v.weights !== undefined && !(v.weights.reduce((a, b) => a + b, 0) > 0)) report('weights must add up to more than 0', 'weights');
      },
    }),
    { default: [] },
  ),
}, {
  check: (v, report) => {
    const names = v.attributes.map((a) => a.name);
    names.forEach((n, i) => (names.indexOf(n) !== i ? report(`duplicate attribute name ${JSON.stringify(n)}`, 'attributes', i, 'name') : undefined));
  },
});

export const popularity = t.union(
  'How traffic is shared among devices (key popularity).',
  'kind',
  {
    uniform: t.object('Every device sends at the same mean rate.', {}),
    zipf: t.object('The device of popularity rank r sends ∝ r^−s (ranks are a seeded shuffle).', { s: t.number('Exponent s.', { min: 0, max: 10 }) }),
    'hot-set': t.object('A hot set of devices sends a share of all traffic.', {
      devices: percent('Share of devices in the hot set, e.g. 1%.'),
      traffic: percent('Share of the traffic they send, e.g. 50%.'),
    }),
    lognormal: t.object('Rates lognormally distributed across devices.', { sigma: t.number('σ of the underlying normal.', { min: 0, max: 10 }) }),
  },
  { default: { kind: 'uniform' } },
);

export const rate = t.object(
  'How often devices send. Give one of `perDevice`, `every` and `total`, or a `profile` (ramp).',
  {
    perDevice: t.number('Records per second per device (mean).', { optional: true, exclusiveMin: 0 }),
    every: t.duration('One record per device every … (mean), e.g. 1m.', { optional: true, min: '1ms' }),
    total: t.number('Records per second of the whole fleet.', { optional: true, exclusiveMin: 0 }),
    profile: t.array(
      'Piecewise-linear fleet rate over time (held before the first point and after the last): a ramp-up or a daily profile.',
      t.object('One point.', {
        at: t.duration('Time since the start.'),
        rate: t.number('Records per second of the whole fleet at that time.', { exclusiveMin: 0 }),
      }),
      { optional: true, minItems: 1 },
    ),
    arrivals: t.enumOf('Per-device arrivals: evenly spaced (random phase) or a Poisson process.', ['poisson', 'constant'], { default: 'poisson' }),
    popularity,
  },
  {
    check: (v, report) => {
      const given = (['perDevice', 'every', 'total', 'profile'] as const).filter((k) => v[k] !== undefined);
      if (given.length === 0) report('required: give one of rate.perDevice, rate.every, rate.total or rate.profile');
      else if (given.length > 1) report(`give only one of rate.perDevice, rate.every, rate.total and rate.profile, got ${given.join(' and ')}`, given[1] as string);
      v.profile?.forEach((p, i) => {
        const prev = v.profile?.[i - 1];
        if (prev !== undefined && p.at < prev.at) report('points must be in time order', 'profile', i, 'at');
      });
    },
  },
);

export const payload = t.union(
  'What each record carries. Every payload holds the device id, its per-device seq and the intended send time (µs), so `verify` can check loss, duplicates, order and latency.',
  'kind',
  {
    json: t.object('JSON telemetry: {"device","seq","ts",…fields}.', {
      fields: t.record('Telemetry fields by name, in order, each with a value generator.', valueGenerator, {
        default: {
          temp: { kind: 'normal', mean: 21, sd: 3 },
          humidity: { kind: 'uniform', min: 20, max: 80, decimals: 1 },
          status: { kind: 'choice', values: ['ok', 'warn', 'fault'], weights: [0.96, 0.03, 0.01] },
        },
        keyPattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/,
        keyHint: 'a field name such as temp or meter.kwh',
      }),
      padTo: t.size('Pad each object with a "pad" field up to this size.', { optional: true, max: '1MiB' }),
    }),
    bytes: t.object('Opaque bytes: a 16-byte binary header (seq, intended time, id length) and the device id, then filler.', {
      size: t.size('Fixed size of every record.', { optional: true, min: 24, max: '1MiB' }),
      min: t.size('Smallest record (sizes uniform in [min, max]).', { optional: true, min: 24, max: '1MiB' }),
      max: t.size('Largest record.', { optional: true, min: 24, max: '1MiB' }),
    }, {
      check: (v, report) => {
        if (v.size === undefined && (v.min === undefined || v.max === undefined)) report('required: give payload.size, or payload.min and payload.max', 'size');
        if (v.size !== undefined && (v.min !== undefined || v.max !== undefined)) report('give either payload.size or payload.min/max, not both', 'size');
        if (v.min !== undefined && v.max !== undefined && v.min > v.max) report('must not exceed payload.max', 'min');
      },
    }),
    'video-chunk': t.object('Video-chunk metadata records (one per chunk a camera uploads elsewhere): chunk length, bytes, codec, resolution, key frame.', {
      chunk: t.duration('Length of one chunk.', { default: '2s', min: '10ms' }),
      bitrateKbps: t.number('Mean video bitrate in kbit/s (the chunk byte count is drawn around it, ±10 % sd).', { default: 4000, exclusiveMin: 0 }),
      codec: t.string('Codec name.', { default: 'h264', minLength: 1 }),
      resolution: t.string('Resolution.', { default: '1920x1080', pattern: /^\d+x\d+$/, patternHint: 'WIDTHxHEIGHT, e.g. 1280x720' }),
      fields: t.record('Extra fields, as for json payloads.', valueGenerator, { default: {}, keyPattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/, keyHint: 'a field name' }),
    }),
  },
  { default: { kind: 'json' } },
);
