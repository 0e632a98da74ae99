import { fmix32 } from './mix.ts';

/**
 * Recent load per shard (records/s and bytes/s), exponentially decayed, and the overload state
 * the balanced strategy acts on.
 *
 * Time is cut in epochs of halfLife/8; at each epoch boundary every counter is multiplied by
 * 2^(−epochs × epochMs / halfLife). Per-device counters use the same epochs lazily (decayed when
 * touched), so device and shard loads are directly comparable.
 */

export interface LoadLimits {
  readonly recordsPerSec: number;
  readonly bytesPerSec: number;
}

const EPOCHS_PER_HALF_LIFE = 8;
const EXACT_SCAN_MAX_SHARDS = 64;
const SAMPLED_CANDIDATES = 16;
const MAX_DECAY_EPOCHS = 64 * EPOCHS_PER_HALF_LIFE;

export class DecayClock {
  readonly epochMs: number;
  /** decay[k] = factor after k epochs (0 beyond the table). */
  private readonly decay: Float64Array;
  /** Decayed sum x rateScale = rate per second for a steady stream. */
  readonly rateScale: number;

  constructor(readonly halfLifeMs: number) {
    if (!(halfLifeMs > 0)) throw new RangeError(`halfLifeMs: expected > 0, got ${halfLifeMs}`);
    this.epochMs = halfLifeMs / EPOCHS_PER_HALF_LIFE;
    this.decay = new Float64Array(MAX_DECAY_EPOCHS + 1);
    for (let k = 0; k <= MAX_DECAY_EPOCHS; k++) this.decay[k] = 2 ** (-k / EPOCHS_PER_HALF_LIFE);
    const f = this.decay[1] as number;
    this.rateScale = ((1 - f) * 1000) / this.epochMs;
  }

  epochOf(nowMs: number): number {
    return Math.floor(nowMs / this.epochMs);
  }

  factor(epochs: number): number {
    return epochs <= 0 ? 1 : epochs > MAX_DECAY_EPOCHS ? 0 : (this.decay[epochs] as number);
  }
}

export class ShardLoads {
  readonly records: Float64Array;
  readonly bytes: Float64Array;
  /** Utilisation (max of records and bytes against the limits) at the last evaluation. */
  readonly load: Float64Array;
  /** ms when the shard went over fair share x threshold, NaN while it is not. */
  readonly overSince: Float64Array;
  /** 1 when the shard has been over for at least moveAfterMs: its devices may move. */
  readonly movable: Uint8Array;
  readonly devices: Int32Array;
  private epoch = Number.NaN;
  private sampleSeed = 0;
  fairShare = 0;

  constructor(
    readonly size: number,
    private readonly clock: DecayClock,
    private readonly limits: LoadLimits,
    private readonly threshold: number,
    private readonly moveAfterMs: number,
  ) {
    this.records = new Float64Array(size);
    this.bytes = new Float64Array(size);
    this.load = new Float64Array(size);
    this.overSince = new Float64Array(size).fill(Number.NaN);
    this.movable = new Uint8Array(size);
    this.devices = new Int32Array(size);
  }

  /** Brings counters to `nowMs`'s epoch; re-evaluates the overload state when the epoch changed. */
  advance(nowMs: number): void {
    const e = this.clock.epochOf(nowMs);
    if (e === this.epoch) return;
    if (!Number.isNaN(this.epoch)) {
      const f = this.clock.factor(e - this.epoch);
      for (let s = 0; s < this.size; s++) {
        this.records[s] = (this.records[s] as number) * f;
        this.bytes[s] = (this.bytes[s] as number) * f;
      }
    }
    this.epoch = e;
    this.evaluate(nowMs);
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  add(shard: number, records: number, bytes: number): void {
    this.records[shard] = (this.records[shard] as number) + records;
    this.bytes[shard] = (this.bytes[shard] as number) + bytes;
  }

  /** Utilisation of decayed counters (records, bytes) against the limits. */
  utilisation(records: number, bytes: number): number {
    const k = this.clock.rateScale;
    return Math.max((records * k) / this.limits.recordsPerSec, (bytes * k) / this.limits.bytesPerSec);
  }

  loadOf(shard: number): number {
    return this.utilisation(this.records[shard] as number, this.bytes[shard] as number);
  }

  /** Least-loaded shard now (ties: fewest devices, then lowest index). */
  leastLoaded(): number {
    let best = -1;
    let bestLoad = Infinity;
    let bestDevices = Infinity;
    for (let s = 0; s < this.size; s++) {
      const l = this.loadOf(s);
      const d = this.devices[s] as number;
      if (l < bestLoad || (l === bestLoad && d < bestDevices)) {
        best = s;
        bestLoad = l;
        bestDevices = d;
      }
    }
    return best;
  }

  /**
   * The shard a new (or moving) device should go to: the least-loaded one, by exact scan up to
   * 64 shards; above that the least loaded of 16 shards sampled by a hash of the device (O(1)).
   */
  leastLoadedFor(device: number): number {
    if (this.size <= EXACT_SCAN_MAX_SHARDS) return this.leastLoaded();
    let best = -1;
    let bestLoad = Infinity;
    let h = fmix32(device ^ this.sampleSeed++);
    for (let k = 0; k < SAMPLED_CANDIDATES; k++) {
      const s = h % this.size;
      const l = this.loadOf(s);
      if (l < bestLoad) {
        best = s;
        bestLoad = l;
      }
      h = fmix32(h + k + 1);
    }
    return best;
  }

  /** Recomputes fair share and each shard's overload state. */
  evaluate(nowMs: number): void {
    let total = 0;
    for (let s = 0; s < this.size; s++) {
      const l = this.loadOf(s);
      this.load[s] = l;
      total += l;
    }
    this.fairShare = total / this.size;
    const limit = this.fairShare * this.threshold;
    for (let s = 0; s < this.size; s++) {
      if ((this.load[s] as number) > limit && total > 0) {
        if (Number.isNaN(this.overSince[s] as number)) this.overSince[s] = nowMs;
        this.movable[s] = nowMs - (this.overSince[s] as number) >= this.moveAfterMs ? 1 : 0;
      } else {
        this.overSince[s] = Number.NaN;
        this.movable[s] = 0;
      }
    }
  }

  reset(): void {
    this.records.fill(0);
    this.bytes.fill(0);
    this.devices.fill(0);
    this.overSince.fill(Number.NaN);
    this.movable.fill(0);
  }
}
