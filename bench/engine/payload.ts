/**
 * Payload encoders. Every payload carries the device id, the per-device seq and the intended send
 * time (µs since the epoch) so a consumer can check loss, duplicates and order and measure
 * end-to-end latency.
 *
 * - json: a precompiled template with slots — literal bytes copied, numbers written digit by digit,
 *   strings pre-encoded — no JSON.stringify and no string per record:
 *   `{"device":"meter-00000042","seq":7,"ts":1700000000123456,"temp":21.53,…}`
 *   With padToBytes the object gets a `"pad":"xxx…"` field up to that size.
 * - bytes: `S W 01 idLen | seq u32 LE | intended µs f64 LE | id | filler`, size fixed or uniform in [min, max].
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { writeFixed, writeUint } from './ascii-writer.ts';
import type { DeviceAttributes } from './attributes.ts';
import type { PayloadConfig, ValueGen } from './config.ts';
import type { DevicePattern } from './device-pattern.ts';
import type { Prng } from './prng.ts';

export interface PayloadEncoder {
  /** Largest payload this encoder writes (bytes). */
  readonly maxBytes: number;
  /** Writes record `seq` of `device`, due at `intendedUs`, at buf[offset]; returns its length. buf needs maxBytes free. */
  encode(device: number, seq: number, intendedUs: number, buf: Uint8Array, offset: number): number;
  /**
   * The length `encode` would return, drawing the same random values, without writing bytes (for
   * targets that only need sizes: the model). Same distribution of sizes as `encode`.
   */
  sizeOf(device: number, seq: number, intendedUs: number): number;
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');

const K_UNIFORM = 0;
const K_NORMAL = 1;
const K_SINE = 2;
const K_CHOICE = 3;
const K_CONST = 4;
const K_ATTR = 5;

interface CompiledField {
  readonly prefix: Uint8Array; // ,"name":
  readonly kind: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly decimals: number;
  /** Pre-encoded literals (choice values, const, attribute values). */
  readonly literals: readonly Uint8Array[];
  readonly cumulative: Float64Array;
  readonly attr: number;
}

export function createPayloadEncoder(config: PayloadConfig, ids: DevicePattern, attrs: DeviceAttributes, rng: Prng): PayloadEncoder {
  return config.kind === 'json' ? new JsonPayload(config, ids, attrs, rng) : new BytesPayload(config.minBytes, config.maxBytes, ids, rng);
}

export class JsonPayload implements PayloadEncoder {
  readonly maxBytes: number;
  private readonly fields: CompiledField[];
  private readonly head = enc('{"device":"');
  private readonly seqLit = enc('","seq":');
  private readonly tsLit = enc(',"ts":');
  private readonly padLit = enc(',"pad":"');
  private readonly padTo: number;
  private readonly fixedBytes: number;

  constructor(
    config: Extract<PayloadConfig, { kind: 'json' }>,
    private readonly ids: DevicePattern,
    private readonly attrs: DeviceAttributes,
    private readonly rng: Prng,
  ) {
    this.fields = config.fields.map((f, i) => compileField(f.name, f.value, attrs, `payload.fields[${i}]`));
    this.padTo = config.padToBytes ?? 0;
    this.fixedBytes = this.head.length + this.seqLit.length + this.tsLit.length;
    const longestLiteral = (f: CompiledField): number => f.literals.reduce((m, l) => Math.max(m, l.length), 0);
    const fieldMax = this.fields.reduce((s, f) => s + f.prefix.length + Math.max(longestLiteral(f), 24), 0);
    this.maxBytes = Math.max(this.padTo, 64 + ids.idBytes(ids.count - 1) + 8 + fieldMax) + 16;
  }

  encode(device: number, seq: number, intendedUs: number, buf: Uint8Array, offset: number): number {
    let p = offset;
    buf.set(this.head, p);
    p += this.head.length;
    p += this.ids.writeId(device, buf, p);
    buf.set(this.seqLit, p);
    p = writeUint(buf, p + this.seqLit.length, seq);
    buf.set(this.tsLit, p);
    p = writeUint(buf, p + this.tsLit.length, Math.floor(intendedUs));
    const rng = this.rng;
    for (let k = 0; k < this.fields.length; k++) {
      const f = this.fields[k] as CompiledField;
      buf.set(f.prefix, p);
      p += f.prefix.length;
      switch (f.kind) {
        case K_UNIFORM:
          p = writeFixed(buf, p, f.a + (f.b - f.a) * rng.next(), f.decimals);
          break;
        case K_NORMAL:
          p = writeFixed(buf, p, f.a + f.b * rng.normal(), f.decimals);
          break;
        case K_SINE:
          p = writeFixed(buf, p, f.a + f.b * Math.sin((2 * Math.PI * intendedUs) / (f.c * 1000) + device * 2.399963), f.decimals);
          break;
        case K_CHOICE: {
          const u = rng.next();
          let i = 0;
          while (i < f.cumulative.length - 1 && u >= (f.cumulative[i] as number)) i++;
          const lit = f.literals[i] as Uint8Array;
          buf.set(lit, p);
          p += lit.length;
          break;
        }
        case K_CONST: {
          const lit = f.literals[0] as Uint8Array;
          buf.set(lit, p);
          p += lit.length;
          break;
        }
        default: {
          const lit = f.literals[this.attrs.valueIndex(f.attr, device)] as Uint8Array;
          buf.set(lit, p);
          p += lit.length;
        }
      }
    }
    const padding = this.padTo - (p - offset) - this.padLit.length - 2;
    if (padding > 0) {
      buf.set(this.padLit, p);
      p += this.padLit.length;
      buf.fill(120, p, p + padding); // 'x'
      p += padding;
      buf[p++] = 34; // '"'
    }
    buf[p++] = 125; // '}'
    return p - offset;
  }

  sizeOf(device: number, seq: number, intendedUs: number): number {
    let n = this.fixedBytes + this.ids.idBytes(device) + digits(seq) + digits(Math.floor(intendedUs));
    const rng = this.rng;
    for (let k = 0; k < this.fields.length; k++) {
      const f = this.fields[k] as CompiledField;
      n += f.prefix.length;
      switch (f.kind) {
        case K_UNIFORM:
          n += fixedLength(f.a + (f.b - f.a) * rng.next(), f.decimals);
          break;
        case K_NORMAL:
          n += fixedLength(f.a + f.b * rng.normal(), f.decimals);
          break;
        case K_SINE:
          n += fixedLength(f.a + f.b * Math.sin((2 * Math.PI * intendedUs) / (f.c * 1000) + device * 2.399963), f.decimals);
          break;
        case K_CHOICE: {
          const u = rng.next();
          let i = 0;
          while (i < f.cumulative.length - 1 && u >= (f.cumulative[i] as number)) i++;
          n += (f.literals[i] as Uint8Array).length;
          break;
        }
        case K_CONST:
          n += (f.literals[0] as Uint8Array).length;
          break;
        default:
          n += (f.literals[this.attrs.valueIndex(f.attr, device)] as Uint8Array).length;
      }
    }
    const padding = this.padTo - n - this.padLit.length - 2;
    return padding > 0 ? this.padTo : n + 1;
  }
}

/** Decimal digits of a non-negative integer below 10^17 (a comparison ladder, no division). */
export function digits(n: number): number {
  if (n < 1e8) {
    if (n < 1e4) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : 4;
    return n < 1e6 ? (n < 1e5 ? 5 : 6) : n < 1e7 ? 7 : 8;
  }
  if (n < 1e12) return n < 1e10 ? (n < 1e9 ? 9 : 10) : n < 1e11 ? 11 : 12;
  return n < 1e14 ? (n < 1e13 ? 13 : 14) : n < 1e15 ? 15 : n < 1e16 ? 16 : 17;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000] as const;

/** Length of writeFixed(x, decimals). */
function fixedLength(x: number, decimals: number): number {
  const scale = POW10[decimals] as number;
  const scaled = Math.round(Math.abs(x) * scale);
  return (x < 0 && scaled !== 0 ? 1 : 0) + digits(Math.floor(scaled / scale)) + (decimals > 0 ? decimals + 1 : 0);
}

function compileField(name: string, v: ValueGen, attrs: DeviceAttributes, path: string): CompiledField {
  const prefix = enc(`,${JSON.stringify(name)}:`);
  const base = { prefix, a: 0, b: 0, c: 0, decimals: 2, literals: [] as Uint8Array[], cumulative: new Float64Array(0), attr: -1 };
  const decimals = (d: number | undefined): number => {
    const x = d ?? 2;
    if (!Number.isInteger(x) || x < 0 || x > 6) throw new ShardwiseError('E_CONFIG', `${path}.value.decimals: expected an integer 0…6, got ${x}`);
    return x;
  };
  switch (v.kind) {
    case 'uniform':
      return { ...base, kind: K_UNIFORM, a: v.min, b: v.max, decimals: decimals(v.decimals) };
    case 'normal':
      return { ...base, kind: K_NORMAL, a: v.mean, b: v.sd, decimals: decimals(v.decimals) };
    case 'sine':
      if (!(v.periodMs > 0)) throw new ShardwiseError('E_CONFIG', `${path}.value.periodMs: expected > 0, got ${v.periodMs}`);
      return { ...base, kind: K_SINE, a: v.mean, b: v.amplitude, c: v.periodMs, decimals: decimals(v.decimals) };
    case 'choice': {
      if (v.values.length === 0) throw new ShardwiseError('E_CONFIG', `${path}.value.values: expected at least one value`);
      const w = v.weights ?? v.values.map(() => 1);
      if (w.length !== v.values.length) throw new ShardwiseError('E_CONFIG', `${path}.value.weights: expected ${v.values.length} weights, got ${w.length}`);
      const total = w.reduce((x, y) => x + y, 0);
      let acc = 0;
      return { ...base, kind: K_CHOICE, literals: v.values.map((x) => enc(JSON.stringify(x))), cumulative: Float64Array.from(w, (x) => (acc += x / total)) };
    }
    case 'const':
      return { ...base, kind: K_CONST, literals: [enc(JSON.stringify(v.value))] };
    case 'attribute': {
      const attr = attrs.indexOfName(v.name);
      if (attr < 0) throw new ShardwiseError('E_CONFIG', `${path}.value.name: no fleet attribute ${JSON.stringify(v.name)}`);
      return { ...base, kind: K_ATTR, attr, literals: attrs.valuesOf(attr).map((x) => enc(JSON.stringify(x))) };
    }
  }
}

export class BytesPayload implements PayloadEncoder {
  readonly maxBytes: number;
  private readonly view = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly minBytes: number,
    maxBytes: number,
    private readonly ids: DevicePattern,
    private readonly rng: Prng,
  ) {
    const header = 16 + ids.idBytes(ids.count - 1);
    if (minBytes < header) throw new ShardwiseError('E_CONFIG', `payload.minBytes: expected ≥ ${header} (header + device id), got ${minBytes}`);
    this.maxBytes = maxBytes;
  }

  encode(device: number, seq: number, intendedUs: number, buf: Uint8Array, offset: number): number {
    const size = this.minBytes === this.maxBytes ? this.minBytes : this.minBytes + this.rng.int(this.maxBytes - this.minBytes + 1);
    buf[offset] = 0x53; // 'S'
    buf[offset + 1] = 0x57; // 'W'
    buf[offset + 2] = 1;
    buf[offset + 4] = seq & 0xff;
    buf[offset + 5] = (seq >>> 8) & 0xff;
    buf[offset + 6] = (seq >>> 16) & 0xff;
    buf[offset + 7] = seq >>> 24;
    this.view.setFloat64(0, intendedUs, true);
    for (let k = 0; k < 8; k++) buf[offset + 8 + k] = this.view.getUint8(k);
    const idLen = this.ids.writeId(device, buf, offset + 16);
    buf[offset + 3] = idLen;
    buf.fill(0x2e, offset + 16 + idLen, offset + size);
    return size;
  }

  sizeOf(): number {
    return this.minBytes === this.maxBytes ? this.minBytes : this.minBytes + this.rng.int(this.maxBytes - this.minBytes + 1);
  }
}
