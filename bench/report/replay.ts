/**
 * Keying replay: takes a run's per-device record counts and places them on the same shards under
 * other keying strategies, so a report can say which strategy flattens the observed skew.
 * Deterministic and side-effect free.
 *
 * Per strategy, each device's records go where the strategy would send them:
 * - device / template: all to the shard of the device's key (MD5, like the service).
 * - salted(k): split evenly over the k bucket keys (seq mod k).
 * - random: spread evenly over all shards (the expectation of a uniform hash).
 * - balanced: its steady state — devices placed greedily, busiest first, on the least-loaded
 *   shard (what the balancer converges to; a device is never split).
 */
import type { KeyingConfig } from '../../agent/keying/create-keying.ts';
import { hashPartitionKeyInto } from '../../agent/kinesis/hash-key.ts';
import type { ShardMap } from '../../agent/kinesis/shard-map.ts';
import { DeviceAttributes } from '../engine/attributes.ts';
import type { DeviceAttribute } from '../engine/config.ts';
import { DevicePattern } from '../engine/device-pattern.ts';
import { buildKeyTable } from '../engine/key-tables.ts';
import { skewOf } from './summary.ts';

export interface ReplayInput {
  /** Records per device (global index first + i). */
  readonly perDevice: { readonly first: number; readonly records: Uint32Array };
  readonly fleet: { readonly idPattern: string; readonly attributes?: readonly DeviceAttribute[] | undefined; readonly seed: number };
  readonly shardMap: ShardMap;
  readonly strategies: readonly KeyingConfig[];
}

export interface StrategyScore {
  readonly kind: string;
  /** e.g. `salted(4)`, `template({country})`. */
  readonly label: string;
  readonly ordering: 'per-device' | 'per-key' | 'per-bucket' | 'none';
  readonly maxOverMean: number;
  readonly cov: number;
  /** Records per shard under this strategy. */
  readonly shardRecords: readonly number[];
}

const ORDERING: Record<KeyingConfig['kind'], StrategyScore['ordering']> = {
  device: 'per-device',
  field: 'per-key',
  template: 'per-key',
  random: 'none',
  salted: 'per-bucket',
  balanced: 'per-device',
};

export function replayStrategies(input: ReplayInput): StrategyScore[] {
  const { records, first } = input.perDevice;
  const ids = new DevicePattern(input.fleet.idPattern, Math.max(1, records.length), first);
  const attrs = new DeviceAttributes(input.fleet.attributes ?? [], input.fleet.seed, first);
  const map = input.shardMap;
  return input.strategies.map((config) => {
    const load = new Float64Array(map.size);
    switch (config.kind) {
      case 'random':
        spread(records, load);
        break;
      case 'balanced':
        greedy(records, load);
        break;
      case 'salted':
        salted(records, config.buckets, ids, map, load);
        break;
      default: {
        const table = buildKeyTable(config, ids, attrs);
        const words = table?.words as Uint32Array;
        for (let d = 0; d < records.length; d++) {
          const c = records[d] as number;
          if (c === 0) continue;
          const s = map.indexOfWords(words, d * 4);
          if (s >= 0) load[s] = (load[s] as number) + c;
        }
      }
    }
    const shardRecords = Array.from(load);
    return { kind: config.kind, label: labelOf(config), ordering: ORDERING[config.kind], ...skewOf(shardRecords), shardRecords };
  });
}

/** The strategy to recommend: the flattest among those keeping per-device order, unless an orderless one is much (> 10 %) flatter. */
export function bestStrategy(scores: readonly StrategyScore[]): StrategyScore | undefined {
  const byFlat = [...scores].sort((a, b) => a.maxOverMean - b.maxOverMean);
  const ordered = byFlat.find((s) => s.ordering === 'per-device');
  const flattest = byFlat[0];
  if (ordered === undefined || flattest === undefined) return flattest;
  return flattest.maxOverMean < ordered.maxOverMean / 1.1 ? flattest : ordered;
}

export function labelOf(c: KeyingConfig): string {
  switch (c.kind) {
    case 'salted':
      return `salted(${c.buckets})`;
    case 'field':
      return `field(${c.field})`;
    case 'template':
      return `template(${c.template})`;
    default:
      return c.kind;
  }
}

function spread(records: Uint32Array, load: Float64Array): void {
  let total = 0;
  for (let d = 0; d < records.length; d++) total += records[d] as number;
  load.fill(total / load.length);
}

function greedy(records: Uint32Array, load: Float64Array): void {
  const order = Array.from({ length: records.length }, (_, d) => d).filter((d) => (records[d] as number) > 0);
  order.sort((a, b) => (records[b] as number) - (records[a] as number));
  // Min-heap of shard indices by load; ties by index, so the placement is deterministic.
  const n = load.length;
  const heap = Int32Array.from({ length: n }, (_, s) => s);
  const less = (a: number, b: number): boolean => (load[a] as number) < (load[b] as number) || ((load[a] as number) === (load[b] as number) && a < b);
  for (const d of order) {
    const s = heap[0] as number;
    load[s] = (load[s] as number) + (records[d] as number);
    // Sift the root down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && less(heap[l] as number, heap[m] as number)) m = l;
      if (r < n && less(heap[r] as number, heap[m] as number)) m = r;
      if (m === i) break;
      const t = heap[i] as number;
      heap[i] = heap[m] as number;
      heap[m] = t;
      i = m;
    }
  }
}

function salted(records: Uint32Array, k: number, ids: DevicePattern, map: ShardMap, load: Float64Array): void {
  const w = new Uint32Array(4);
  for (let d = 0; d < records.length; d++) {
    const c = records[d] as number;
    if (c === 0) continue;
    const id = ids.idOf(d);
    for (let b = 0; b < k; b++) {
      const share = Math.floor(c / k) + (b < c % k ? 1 : 0);
      if (share === 0) continue;
      hashPartitionKeyInto(`${id}#${b}`, w, 0);
      const s = map.indexOfWords(w, 0);
      if (s >= 0) load[s] = (load[s] as number) + share;
    }
  }
}
