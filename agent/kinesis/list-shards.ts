import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { ShardInfo } from './shard-map.ts';
import { streamParams, type StreamRef } from './stream-ref.ts';

/** Every shard of the stream, open and closed, following NextToken pages. */
export async function listAllShards(client: KinesisClient, stream: StreamRef, pageSize = 1000): Promise<ShardInfo[]> {
  const out: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    // With NextToken the service rejects StreamName: the token carries the stream.
    const page = await client.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken, MaxResults: pageSize } : { ...streamParams(stream), MaxResults: pageSize }),
    );
    for (const s of page.Shards ?? []) out.push(toShardInfo(s));
    nextToken = page.NextToken;
  } while (nextToken);
  return out;
}

export function toShardInfo(s: Shard): ShardInfo {
  const range = s.HashKeyRange;
  if (!s.ShardId || !range?.StartingHashKey || !range.EndingHashKey) {
    throw new TypeError(`ListShards returned a shard without id or hash key range: ${JSON.stringify(s)}`);
  }
  return {
    shardId: s.ShardId,
    startingHashKey: BigInt(range.StartingHashKey),
    endingHashKey: BigInt(range.EndingHashKey),
    parentShardId: s.ParentShardId,
    adjacentParentShardId: s.AdjacentParentShardId,
    open: s.SequenceNumberRange?.EndingSequenceNumber === undefined,
  };
}
