/**
 * Per-device state of the balanced strategy as a struct of typed arrays (20 bytes per device, plus
 * 16 bytes of hash words on the agent path where no fleet table exists). Grows by doubling when
 * the agent meets new device ids; a bench fleet allocates its exact size once.
 */

import type { DecayClock } from './shard-loads.ts';

export class DeviceState {
  capacity: number;
  count = 0;
  /** Assigned shard index per device, -1 when unassigned. */
  shard: Int32Array;
  /** Decayed record and byte counters, valid as of `epoch`. */
  records: Float32Array;
  bytes: Float32Array;
  epoch: Int32Array;
  /** Records keyed but not yet acknowledged. */
  inflight: Int32Array;
  /** MD5(device id) words (agent path only; the bench uses its fleet's table). */
  hash: Uint32Array;

  constructor(
    capacity: number,
    private readonly ownHashes: boolean,
  ) {
    this.capacity = Math.max(1, capacity);
    this.shard = new Int32Array(this.capacity).fill(-1);
    this.records = new Float32Array(this.capacity);
    this.bytes = new Float32Array(this.capacity);
    this.epoch = new Int32Array(this.capacity);
    this.inflight = new Int32Array(this.capacity);
    this.hash = new Uint32Array(ownHashes ? this.capacity * 4 : 0);
  }

  /** Makes room for `n` devices (agent path). */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    let cap = this.capacity;
    while (cap < n) cap *= 2;
    const grow = <T extends Int32Array | Float32Array | Uint32Array>(a: T, make: (len: number) => T, per = 1): T => {
      const b = make(cap * per);
      b.set(a);
      return b;
    };
    const shard = grow(this.shard, (l) => new Int32Array(l));
    shard.fill(-1, this.capacity);
    this.shard = shard;
    this.records = grow(this.records, (l) => new Float32Array(l));
    this.bytes = grow(this.bytes, (l) => new Float32Array(l));
    this.epoch = grow(this.epoch, (l) => new Int32Array(l));
    this.inflight = grow(this.inflight, (l) => new Int32Array(l));
    if (this.ownHashes) this.hash = grow(this.hash, (l) => new Uint32Array(l), 4);
    this.capacity = cap;
  }

  /** Brings device d's counters to epoch `e` (lazy exponential decay). */
  decay(d: number, e: number, clock: DecayClock): void {
    const last = this.epoch[d] as number;
    if (last !== e) {
      const f = clock.factor(e - last);
      this.records[d] = (this.records[d] as number) * f;
      this.bytes[d] = (this.bytes[d] as number) * f;
      this.epoch[d] = e;
    }
  }

  bytesPerDevice(): number {
    return 4 + 4 + 4 + 4 + 4 + (this.ownHashes ? 16 : 0);
  }
}
