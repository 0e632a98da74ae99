/**
 * `balanced`: shard-aware, sticky keying. Partition key = device id; the shard is chosen by an
 * ExplicitHashKey pinned inside the chosen shard's range (range-pin.ts).
 *
 * - Each NEW device goes to the least-loaded open shard (recent records/s and bytes/s,
 *   exponentially decayed with `halfLifeMs`; exact scan up to 64 shards, best of 16 sampled above).
 * - A device moves only when its shard has stayed over fairShare × `threshold` for `moveAfterMs`,
 *   only when none of its records is in flight (`inFlight`/`onAcked`), and only to a shard that
 *   stays under fairShare × threshold with the device's own load added.
 * - Reshard (`setShardMap`): a device on a shard that is still open stays; one on a closed shard
 *   follows its pinned key into the child that now owns it; one whose key no open shard covers is
 *   re-pinned on its next record.
 * - Assignments persist through an `AssignmentStore` (`snapshot`/`restore`/`persist`).
 *
 * Ordering: per device, between moves. A move happens only with nothing in flight, so the device's
 * earlier records were all accepted by the old shard before the first one goes to the new shard.
 */
import type { Clock } from '../core/clock.ts';
import { ShardwiseError } from '../core/errors.ts';
import { KINESIS_LIMITS } from '../core/limits.ts';
import { hashKeyToDecimal, hashPartitionKeyInto } from '../kinesis/hash-key.ts';
import type { ShardMap } from '../kinesis/shard-map.ts';
import type { AssignmentSnapshot, AssignmentStore } from './assignment-store.ts';
import type { DeviceKeys } from './device-keys.ts';
import { DeviceState } from './device-state.ts';
import { followReshard, savedShardMap, snapshotShards } from './reshard.ts';
import { ShardRanges } from './range-pin.ts';
import { DecayClock, ShardLoads } from './shard-loads.ts';
import type { LoadLimits } from './shard-loads.ts';
import type { AckAware, KeyInput, KeyResult, KeyingStrategy } from './strategy.ts';

export interface BalancedKeyingOptions {
  readonly shardMap: ShardMap;
  readonly clock: Clock;
  /** Per-shard limits the load is measured against (default: the Kinesis write limits). */
  readonly limits?: LoadLimits | undefined;
  /** Half-life of the load measurement (default 30 s). */
  readonly halfLifeMs?: number | undefined;
  /** A shard is over when its load exceeds fair share × threshold (default 1.2). */
  readonly threshold?: number | undefined;
  /** How long a shard must stay over before its devices move (default 60 s). */
  readonly moveAfterMs?: number | undefined;
  /** Bench path: the dense fleet (device index → id and hash words). */
  readonly keys?: DeviceKeys | undefined;
}

export class BalancedKeying implements KeyingStrategy, AckAware {
  readonly kind = 'balanced' as const;
  readonly ordering = 'per-device' as const;
  /** Devices assigned for the first time, moved by the balancer, and re-pinned after a reshard. */
  readonly stats = { assigned: 0, moved: 0, followed: 0, repinned: 0 };

  private ranges: ShardRanges;
  private loads: ShardLoads;
  private readonly decay: DecayClock;
  private readonly dev: DeviceState;
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly ehkCache: (string | undefined)[] = [];
  private readonly scratch = new Uint32Array(4);
  private readonly limits: LoadLimits;
  private readonly threshold: number;
  private readonly moveAfterMs: number;
  /** Bench path: each device's pinned hash key (recomputed when its shard changes). */
  private readonly pinned: Uint32Array | null;
  private dirty = false;

  constructor(private readonly options: BalancedKeyingOptions) {
    this.limits = options.limits ?? { recordsPerSec: KINESIS_LIMITS.shardWriteRecordsPerSec, bytesPerSec: KINESIS_LIMITS.shardWriteBytesPerSec };
    this.threshold = checked('threshold', options.threshold ?? 1.2, 1);
    this.moveAfterMs = checked('moveAfterMs', options.moveAfterMs ?? 60_000, 0);
    this.decay = new DecayClock(checked('halfLifeMs', options.halfLifeMs ?? 30_000, 1));
    this.ranges = new ShardRanges(options.shardMap);
    this.loads = this.newLoads(options.shardMap.size);
    const keys = options.keys;
    this.dev = new DeviceState(keys ? keys.count : 1024, keys === undefined);
    if (keys) this.dev.count = keys.count;
    this.pinned = keys ? new Uint32Array(keys.count * 4) : null;
  }

  get shardMap(): ShardMap {
    return this.ranges.map;
  }

  /** Assigned shard index of a device (-1 when unassigned). */
  shardOfIndex(device: number): number {
    return this.dev.shard[device] ?? -1;
  }

  /** Shard index of a device id (-1 when unknown or unassigned). */
  shardOf(deviceId: string): number {
    const d = this.index.get(deviceId);
    return d === undefined ? -1 : this.shardOfIndex(d);
  }

  /** Recent utilisation per shard (records/s and bytes/s against the limits, decayed). */
  shardLoads(): number[] {
    this.loads.advance(this.options.clock.now());
    return Array.from({ length: this.loads.size }, (_, s) => this.loads.loadOf(s));
  }

  bytesPerDevice(): number {
    return this.dev.bytesPerDevice() + (this.pinned === null ? 0 : 16);
  }

  keyFor(input: KeyInput): KeyResult {
    const d = this.intern(input.deviceId);
    const before = this.dev.shard[d];
    const s = this.keyCore(d, input.bytes);
    let ehk = this.ehkCache[d];
    if (ehk === undefined || before !== s) {
      this.ranges.pinInto(s, this.dev.hash, d * 4, this.scratch, 0);
      ehk = hashKeyToDecimal(this.scratch, 0);
      this.ehkCache[d] = ehk;
    }
    return { partitionKey: input.deviceId, explicitHashKey: ehk };
  }

  keyInto(device: number, _seq: number, bytes: number, out: Uint32Array, offset: number): number {
    const keys = this.fleet();
    const pinned = this.pinned as Uint32Array;
    const before = this.dev.shard[device];
    const s = this.keyCore(device, bytes);
    const i = device * 4;
    if (s !== before) this.ranges.pinInto(s, keys.words, i, pinned, i);
    out[offset] = pinned[i] as number;
    out[offset + 1] = pinned[i + 1] as number;
    out[offset + 2] = pinned[i + 2] as number;
    out[offset + 3] = pinned[i + 3] as number;
    return keys.keyLength(device);
  }

  partitionKeyOf(device: number): string {
    return this.fleet().idOf(device);
  }

  /** The pinned key of the device's current shard (its next record's key; undefined when unassigned). */
  explicitHashKeyOf(device: number): string | undefined {
    const s = this.dev.shard[device] ?? -1;
    if (s < 0) return undefined;
    this.ranges.pinInto(s, this.fleet().words, device * 4, this.scratch, 0);
    return hashKeyToDecimal(this.scratch, 0);
  }

  inFlight(device: number): number {
    return this.dev.inflight[device] ?? 0;
  }

  onAckedIndex(device: number, count: number): void {
    const v = (this.dev.inflight[device] as number) - count;
    this.dev.inflight[device] = v > 0 ? v : 0;
  }

  onAcked(deviceId: string, count: number): void {
    const d = this.index.get(deviceId);
    if (d !== undefined) this.onAckedIndex(d, count);
  }

  /** Adopts a new shard map (after a reshard): devices follow their pinned key into child shards. */
  setShardMap(map: ShardMap): void {
    const next = new ShardRanges(map);
    const moved = followReshard(this.ranges, next, this.dev.shard, this.dev.count, this.hashWords());
    this.stats.followed += moved.followed;
    this.stats.repinned += moved.repinned;
    this.ehkCache.length = 0;
    this.ranges = next;
    if (this.pinned !== null) {
      for (let d = 0; d < this.dev.count; d++) {
        const s = this.dev.shard[d] as number;
        if (s >= 0) next.pinInto(s, this.hashWords(), d * 4, this.pinned, d * 4);
      }
    }
    this.rebuildLoads();
    this.dirty = true;
  }

  snapshot(): AssignmentSnapshot {
    return {
      shards: snapshotShards(this.ranges.map),
      deviceIds: this.options.keys ? null : this.ids.slice(),
      shardOfDevice: this.dev.shard.slice(0, this.dev.count),
    };
  }

  /** Loads saved assignments; shards closed since are followed by range, like `setShardMap`. */
  restore(snap: AssignmentSnapshot): void {
    const n = snap.shardOfDevice.length;
    if (snap.deviceIds === null) {
      if (!this.options.keys || n !== this.dev.count) throw new ShardwiseError('E_CONFIG', `balanced keying restore: snapshot of ${n} dense devices does not match this fleet`);
    } else {
      if (snap.deviceIds.length !== n) throw new ShardwiseError('E_CONFIG', 'balanced keying restore: ids and assignments differ in length');
      for (const id of snap.deviceIds) this.intern(id);
    }
    const saved = savedShardMap(snap);
    for (let i = 0; i < n; i++) {
      const d = snap.deviceIds === null ? i : (this.index.get(snap.deviceIds[i] as string) as number);
      const s = snap.shardOfDevice[i] as number;
      this.dev.shard[d] = s >= 0 ? (saved.indexOf[s] ?? -1) : -1;
    }
    const current = this.ranges.map;
    this.ranges = new ShardRanges(saved.map);
    this.setShardMap(current);
  }

  /** Saves the assignments when they changed since the last save. */
  async persist(store: AssignmentStore): Promise<boolean> {
    if (!this.dirty) return false;
    this.dirty = false;
    try {
      await store.save(this.snapshot());
    } catch (e) {
      this.dirty = true;
      throw e;
    }
    return true;
  }

  private keyCore(d: number, bytes: number): number {
    const now = this.options.clock.now();
    const loads = this.loads;
    loads.advance(now);
    const dev = this.dev;
    let s = dev.shard[d] as number;
    if (s < 0) {
      s = this.loads.leastLoadedFor(d);
      dev.shard[d] = s;
      loads.devices[s] = (loads.devices[s] as number) + 1;
      this.stats.assigned++;
      this.dirty = true;
    } else if (loads.movable[s] === 1 && dev.inflight[d] === 0) {
      s = this.maybeMove(d, s);
    }
    this.dev.decay(d, this.loads.currentEpoch, this.decay);
    dev.records[d] = (dev.records[d] as number) + 1;
    dev.bytes[d] = (dev.bytes[d] as number) + bytes;
    loads.add(s, 1, bytes);
    dev.inflight[d] = (dev.inflight[d] as number) + 1;
    return s;
  }

  private maybeMove(d: number, a: number): number {
    const loads = this.loads;
    this.dev.decay(d, this.loads.currentEpoch, this.decay);
    const dev = this.dev;
    const r = dev.records[d] as number;
    const b = dev.bytes[d] as number;
    const own = loads.utilisation(r, b);
    if (!(own > 0)) return a;
    const target = this.loads.leastLoadedFor(d);
    const limit = loads.fairShare * this.threshold;
    if (target === a || loads.loadOf(target) + own > limit) return a;
    loads.add(a, -r, -b);
    loads.add(target, r, b);
    loads.devices[a] = (loads.devices[a] as number) - 1;
    loads.devices[target] = (loads.devices[target] as number) + 1;
    dev.shard[d] = target;
    this.ehkCache[d] = undefined;
    this.stats.moved++;
    this.dirty = true;
    if (loads.loadOf(a) <= limit) {
      loads.movable[a] = 0;
      loads.overSince[a] = Number.NaN;
    }
    return target;
  }

  private rebuildLoads(): void {
    const loads = this.newLoads(this.ranges.size);
    loads.advance(this.options.clock.now());
    this.loads = loads;
    for (let d = 0; d < this.dev.count; d++) {
      const s = this.dev.shard[d] as number;
      if (s < 0) continue;
      this.dev.decay(d, this.loads.currentEpoch, this.decay);
      loads.add(s, this.dev.records[d] as number, this.dev.bytes[d] as number);
      loads.devices[s] = (loads.devices[s] as number) + 1;
    }
    loads.evaluate(this.options.clock.now());
  }

  private newLoads(size: number): ShardLoads {
    return new ShardLoads(size, this.decay, this.limits, this.threshold, this.moveAfterMs);
  }

  private intern(id: string): number {
    let d = this.index.get(id);
    if (d !== undefined) return d;
    d = this.dev.count;
    this.dev.ensure(d + 1);
    this.dev.count = d + 1;
    this.index.set(id, d);
    this.ids.push(id);
    hashPartitionKeyInto(id, this.dev.hash, d * 4);
    this.dev.epoch[d] = this.loads.currentEpoch | 0;
    return d;
  }

  private hashWords(): Uint32Array {
    return this.options.keys ? this.options.keys.words : this.dev.hash;
  }

  private fleet(): DeviceKeys {
    const keys = this.options.keys;
    if (keys === undefined) throw new TypeError('balanced keying: the indexed (bench) path needs a DeviceKeys table');
    return keys;
  }
}

function checked(name: string, v: number, min: number): number {
  if (!(v >= min) || !Number.isFinite(v)) throw new ShardwiseError('E_CONFIG', `keying.${name}: expected a number ≥ ${min}, got ${v}`);
  return v;
}
