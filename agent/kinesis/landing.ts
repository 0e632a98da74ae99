import { hashWordsOf, type Pending } from './pending.ts';
import type { ShardMapCache } from './shard-map-cache.ts';
import { bigIntToWords, compareHashKeys } from './hash-key.ts';

/**
 * After an entry landed on a shard we did not predict (a reshard we had not seen yet), decides which
 * of its user records a KCL reader will see. The KCL (AggregatorUtil.deaggregate) drops a WHOLE
 * aggregate as soon as one sub-record falls outside the shard's hash range, so either every record
 * is delivered (`inRange`) or every record must be sent again (`outOfRange`).
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
  const allInside = records.every((p) => {
    hashWordsOf(p, w);
    return compareHashKeys(w, 0, bounds, 0) >= 0 && compareHashKeys(w, 0, bounds, 4) <= 0;
  });
  // Refresh so later records are routed by the new map.
  await cache.refresh().catch(() => undefined);
  return allInside ? { inRange: [...records], outOfRange: [] } : { inRange: [], outOfRange: [...records] };
}
