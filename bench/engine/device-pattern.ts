/**
 * Device ids from a pattern such as `meter-{n:08}` (zero-padded to 8 digits) or `dev{n}`:
 * generated on demand from the device index, never stored.
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import type { DeviceNamer } from '../../agent/keying/device-keys.ts';

const SLOT = /\{n(?::(0?)(\d+))?\}/;

export class DevicePattern implements DeviceNamer {
  readonly prefix: string;
  readonly suffix: string;
  readonly width: number;
  private readonly prefixBytes: Uint8Array;
  private readonly suffixBytes: Uint8Array;
  private readonly pad: string;
  /** Length of every id when the width covers the largest index, else −1. */
  private readonly fixedBytes: number;

  constructor(
    readonly pattern: string,
    readonly count: number,
    /** Index of the first device (a worker's slice of the fleet still names devices globally). */
    readonly first = 0,
  ) {
    const m = SLOT.exec(pattern);
    if (!m) throw new ShardwiseError('E_CONFIG', `fleet.idPattern ${JSON.stringify(pattern)}: expected a {n} or {n:08} slot`);
    this.prefix = pattern.slice(0, m.index);
    this.suffix = pattern.slice(m.index + m[0].length);
    this.width = m[2] === undefined ? 0 : Number(m[2]);
    this.pad = m[1] === '0' ? '0' : ' ';
    if (this.width > 20) throw new ShardwiseError('E_CONFIG', `fleet.idPattern: width ${this.width} exceeds 20`);
    this.prefixBytes = Buffer.from(this.prefix, 'utf8');
    this.suffixBytes = Buffer.from(this.suffix, 'utf8');
    const maxDigits = digitCount(first + count - 1);
    this.fixedBytes = maxDigits <= this.width ? this.prefixBytes.length + this.width + this.suffixBytes.length : -1;
    if (!Number.isInteger(count) || count < 1) throw new ShardwiseError('E_CONFIG', `fleet.devices: expected an integer ≥ 1, got ${count}`);
  }

  idOf(device: number): string {
    return this.prefix + String(this.first + device).padStart(this.width, this.pad) + this.suffix;
  }

  /** Writes the UTF-8 id of `device` at `buf[offset]`; returns the bytes written. Allocation-free. */
  writeId(device: number, buf: Uint8Array, offset: number): number {
    let p = offset;
    buf.set(this.prefixBytes, p);
    p += this.prefixBytes.length;
    const n = this.first + device;
    const digits = digitCount(n);
    const padChar = this.pad.charCodeAt(0);
    for (let k = digits; k < this.width; k++) buf[p++] = padChar;
    let v = n;
    for (let k = digits - 1; k >= 0; k--) {
      buf[p + k] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    p += digits;
    buf.set(this.suffixBytes, p);
    return p + this.suffixBytes.length - offset;
  }

  /** UTF-8 length of the id of `device`. */
  idBytes(device: number): number {
    if (this.fixedBytes >= 0) return this.fixedBytes;
    const n = this.first + device;
    return this.prefixBytes.length + Math.max(digitCount(n), this.width) + this.suffixBytes.length;
  }
}

function digitCount(n: number): number {
  let d = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) d++;
  return d;
}
