/**
 * The simulated fleet as a struct of typed arrays (never one object per device).
 * Engine-owned bytes per device: due 8 + seq 4 + interval 4 + wheel link 4 = 20, plus 6 when
 * offline windows are configured and 4 for per-device counts (keying replay). The keying
 * strategy adds its own (device keying: 16 bytes of hash words; balanced: 16 + 20).
 */
import type { Arrivals, Popularity } from './config.ts';
import { fillWeights } from './popularity.ts';
import type { Prng } from './prng.ts';

export class Fleet {
  readonly count: number;
  /** Next intended send time, in operational ms (see rate-profile.ts). Infinity: never. */
  readonly due: Float64Array;
  /** Next sequence number per device (starts at 0). */
  readonly seq: Uint32Array;
  /** Mean interval between the device's records, operational ms. */
  readonly interval: Float32Array;
  /** Records missed while offline, sent as a burst when the window ends. */
  readonly pending: Uint16Array | null;
  /** After an offline burst: how long after the window's end the device's own schedule resumes. */
  readonly resume: Float32Array | null;
  /** Records generated per device (for the keying replay), or null. */
  readonly generated: Uint32Array | null;

  constructor(options: {
    readonly count: number;
    readonly total: number;
    readonly first: number;
    readonly fleetRecordsPerSec: number;
    readonly popularity: Popularity;
    readonly seed: number;
    readonly offline: boolean;
    readonly perDeviceCounts: boolean;
  }) {
    const n = options.count;
    this.count = n;
    this.due = new Float64Array(n);
    this.seq = new Uint32Array(n);
    this.interval = new Float32Array(n);
    this.pending = options.offline ? new Uint16Array(n) : null;
    this.resume = options.offline ? new Float32Array(n) : null;
    this.generated = options.perDeviceCounts ? new Uint32Array(n) : null;
    // Weights first (into the interval array), then turned into intervals in place.
    fillWeights(options.popularity, options.seed, options.total, options.first, this.interval);
    const perDevice = options.fleetRecordsPerSec / options.total;
    for (let d = 0; d < n; d++) {
      const w = this.interval[d] as number;
      this.interval[d] = w > 0 ? 1000 / (perDevice * w) : Infinity;
    }
  }

  /** Draws every device's first due time: a random phase (constant) or an exponential gap (Poisson). */
  start(arrivals: Arrivals, rng: Prng): void {
    for (let d = 0; d < this.count; d++) {
      const iv = this.interval[d] as number;
      this.due[d] = arrivals === 'constant' ? rng.next() * iv : rng.exp(iv);
    }
  }

  /** Records/s these devices send at rate multiplier 1. */
  recordsPerSec(): number {
    let r = 0;
    for (let d = 0; d < this.count; d++) r += 1000 / (this.interval[d] as number);
    return r;
  }

  /** Engine-owned bytes per device (the wheel link included). */
  bytesPerDevice(): number {
    return 8 + 4 + 4 + 4 + (this.pending ? 2 + 4 : 0) + (this.generated ? 4 : 0);
  }
}
