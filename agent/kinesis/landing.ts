import type { Pending, PendingTable } from './pending.ts';
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
  table: PendingTable<T>,
  records: readonly Pending[],
  landedShardId: string,
): Promise<{ inRange: Pending[]; outOfRange: Pending[] }> {
  // Either way the map is stale: refresh it (once) so later records are routed by the new one.
  let refreshed = false;
  let info = cache.shardInfo(landedShardId);
  if (!info && records.length > 1) {
    await cache.refresh();
    refreshed = true;
    info = cache.shardInfo(landedShardId);
  }
  // A single record was routed by the service from its own hash key: it is where it belongs.
  let allInside = true;
  if (records.length > 1 && info) {
    const bounds = new Uint32Array(8);
    bigIntToWords(info.startingHashKey, bounds, 0);
    bigIntToWords(info.endingHashKey, bounds, 4);
    const w = new Uint32Array(4);
    allInside = records.every((p) => {
      table.hashWords(p, w);
      return compareHashKeys(w, 0, bounds, 0) >= 0 && compareHashKeys(w, 0, bounds, 4) <= 0;
    });
  }
  if (!refreshed) await cache.refresh().catch(() => undefined);
  return allInside ? { inRange: [...records], outOfRange: [] } : { inRange: [], outOfRange: [...records] };
}
