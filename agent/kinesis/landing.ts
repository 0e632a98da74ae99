import { hashWordsOf, type Pending } from './pending.ts';
import type { ShardMapCache } from './shard-map-cache.ts';
import { bigIntToWords, compareHashKeys } from './hash-key.ts';

/**
 * After an entry landed on a shard we did not predict (a reshard we had not seen yet), splits its user
 * records into those inside the landing shard's hash range (delivered: a KCL reader keeps them) and
 * those outside it (a KCL reader would discard them as not belonging to the shard: they must be sent again).
 */
export async function verifyLanding<T>(
  cache: ShardMapCache,
  records: readonly Pending<T>[],
  landedShardId: string,
): Promise<{ inRange: Pending<T>[]; outOfRange: Pending<T>[] }> {
  if (records.length === 1) return { inRange: [...records], outOfRange: [] }; // the service routed it by its own hash key
  let info = cache.shardInfo(landedShardId);
  if (!info) {
    await cache.refresh();
    info = cache.shardInfo(landedShardId);
  }
  if (!info) return { inRange: [...records], outOfRange: [] };
  const bounds = new Uint32Array(8);
  bigIntToWords(info.startingHashKey, bounds, 0);
  bigIntToWords(info.endingHashKey, bounds, 4);
  const w = new Uint32Array(4);
  const inRange: Pending<T>[] = [];
  const outOfRange: Pending<T>[] = [];
  for (const p of records) {
    hashWordsOf(p, w);
    const inside = compareHashKeys(w, 0, bounds, 0) >= 0 && compareHashKeys(w, 0, bounds, 4) <= 0;
    (inside ? inRange : outOfRange).push(p);
  }
  // Refresh so later records are routed by the new map.
  await cache.refresh().catch(() => undefined);
  return { inRange, outOfRange };
}
