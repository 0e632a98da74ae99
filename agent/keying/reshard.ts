/**
 * Shard-map changes for pinned assignments: after a split or merge, a device whose shard is still
 * open stays; one whose shard closed follows its pinned hash key into the shard that now owns it;
 * one whose key no open shard covers (a gap while resharding) becomes unassigned (−1) and is
 * re-pinned on its next record. Also the snapshot form of a shard map.
 */
import { parseExplicitHashKey } from '../kinesis/hash-key.ts';
import { ShardMap } from '../kinesis/shard-map.ts';
import type { AssignmentSnapshot, SnapshotShard } from './assignment-store.ts';
import type { ShardRanges } from './range-pin.ts';

/** Rewrites `shard[0…count)` from indices of `old` to indices of `next`. */
export function followReshard(
  old: ShardRanges,
  next: ShardRanges,
  shard: Int32Array,
  count: number,
  hash: Uint32Array,
): { followed: number; repinned: number } {
  const remap = old.map.shards.map((s) => next.map.indexOfShardId(s.shardId));
  const key = new Uint32Array(4);
  let followed = 0;
  let repinned = 0;
  for (let d = 0; d < count; d++) {
    const s = shard[d] as number;
    if (s < 0) continue;
    let ns = remap[s] as number;
    if (ns < 0) {
      old.pinInto(s, hash, d * 4, key, 0);
      ns = next.map.indexOfWords(key, 0);
      if (ns >= 0) followed++;
      else repinned++;
    }
    shard[d] = ns;
  }
  return { followed, repinned };
}

export function snapshotShards(map: ShardMap): SnapshotShard[] {
  return map.shards.map((s) => ({ id: s.shardId, start: s.startingHashKey.toString(), end: s.endingHashKey.toString() }));
}

/** The shard map a snapshot was taken with, and snapshot shard index → index in that map. */
export function savedShardMap(snap: AssignmentSnapshot): { map: ShardMap; indexOf: number[] } {
  const map = ShardMap.fromShards(
    snap.shards.map((s) => ({ shardId: s.id, startingHashKey: parseExplicitHashKey(s.start), endingHashKey: parseExplicitHashKey(s.end), open: true })),
  );
  return { map, indexOf: snap.shards.map((s) => map.indexOfShardId(s.id)) };
}
