/**
 * Per-device precomputed keys for the bench path: device index → key string (on demand) and
 * MD5 hash words (precomputed, 16 bytes per device), so keying a record costs a 4-word copy.
 */
import { encodeUtf8Into, hashPartitionKeyInto } from '../kinesis/hash-key.ts';
import { createMd5Buffer, md5Buffer } from '../kinesis/md5.ts';

/** Names the devices of a dense fleet (indices 0 … count−1); strings are made on demand. */
export interface DeviceNamer {
  readonly count: number;
  /** The device id, e.g. `meter-00000042`. */
  idOf(device: number): string;
  /** Optional fast path: writes the id's UTF-8 bytes at buf[offset] and returns their count (no string). */
  writeId?(device: number, buf: Uint8Array, offset: number): number;
}

/** A fleet's devices with one static key per device (the device id, or a template over its attributes). */
export interface DeviceKeys {
  readonly count: number;
  idOf(device: number): string;
  /** The device's static key. */
  keyOf(device: number): string;
  /** MD5(keyOf(device)) as 4 big-endian words at `words[device * 4]`. */
  readonly words: Uint32Array;
  /** UTF-8 byte length of keyOf(device). */
  keyLength(device: number): number;
}

/** Precomputes the hash words (and UTF-8 lengths) of `keyOf(i)` for every device. */
export class KeyTable implements DeviceKeys {
  readonly count: number;
  readonly words: Uint32Array;
  /** Per-device key lengths, or null when every key has the same length (`fixedLength`). */
  private readonly lengths: Uint16Array | null;
  private readonly fixedLength: number;

  private readonly keyFn: (device: number) => string;

  /** `keyFn`: the device's key (default: its id, hashed straight from bytes when the namer can write them). */
  constructor(
    private readonly namer: DeviceNamer,
    keyFn?: (device: number) => string,
  ) {
    this.keyFn = keyFn ?? ((d) => namer.idOf(d));
    const n = namer.count;
    this.count = n;
    this.words = new Uint32Array(n * 4);
    const scratch = new Uint8Array(256 * 3);
    const md5 = createMd5Buffer(256 * 3);
    const direct = keyFn === undefined && namer.writeId !== undefined;
    let lengths: Uint16Array | null = null;
    let fixed = -1;
    for (let i = 0; i < n; i++) {
      let len: number;
      if (direct) {
        len = (namer.writeId as NonNullable<DeviceNamer['writeId']>)(i, md5.bytes, 0);
        md5Buffer(md5, len, this.words, i * 4);
      } else {
        const key = this.keyFn(i);
        hashPartitionKeyInto(key, this.words, i * 4);
        len = key.length < 128 && isAscii(key) ? key.length : encodeUtf8Into(key, scratch.length >= key.length * 3 ? scratch : new Uint8Array(key.length * 3));
      }
      if (fixed === -1) fixed = len;
      if (len !== fixed && lengths === null) {
        lengths = new Uint16Array(n);
        lengths.fill(fixed, 0, i);
      }
      if (lengths !== null) lengths[i] = len;
    }
    this.lengths = lengths;
    this.fixedLength = Math.max(fixed, 0);
  }

  idOf(device: number): string {
    return this.namer.idOf(device);
  }

  keyOf(device: number): string {
    return this.keyFn(device);
  }

  keyLength(device: number): number {
    return this.lengths === null ? this.fixedLength : (this.lengths[device] as number);
  }

  /** Bytes this table holds per device. */
  bytesPerDevice(): number {
    return 16 + (this.lengths === null ? 0 : 2);
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
