import type { KinesisClient, ListShardsCommandInput, ListShardsCommandOutput, Shard } from '@aws-sdk/client-kinesis';
import { KinesisEndpoint, type Transport } from './kinesis-endpoint.ts';
import { loadKinesisSdk } from './sdk-client.ts';
import type { ShardInfo } from './shard-map.ts';
import { streamParams, type StreamRef } from './stream-ref.ts';

type ListShardsPage = (input: ListShardsCommandInput) => Promise<Pick<ListShardsCommandOutput, 'Shards' | 'NextToken'>>;

/**
 * Every shard of the stream, open and closed, following NextToken pages. Through an endpoint, the
 * requests go direct (JSON over HTTP, signed like PutRecords, errors shaped like the SDK's) for a
 * stream named by `streamName` in a region the endpoint reaches, unless `transport` is `sdk`;
 * otherwise (and with an SDK client) through the SDK.
 */
export async function listAllShards(
  via: KinesisClient | KinesisEndpoint,
  stream: StreamRef,
  pageSize = 1000,
  transport: Transport = 'direct',
): Promise<ShardInfo[]> {
  const page = await pagerFor(via, stream, transport);
  const out: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    // With NextToken the service rejects StreamName: the token carries the stream.
    const res = await page(nextToken ? { NextToken: nextToken, MaxResults: pageSize } : { ...streamParams(stream), MaxResults: pageSize });
    for (const s of res.Shards ?? []) out.push(toShardInfo(s));
    nextToken = res.NextToken ?? undefined;
  } while (nextToken);
  return out;
}

async function pagerFor(via: KinesisClient | KinesisEndpoint, stream: StreamRef, transport: Transport): Promise<ListShardsPage> {
  if (via instanceof KinesisEndpoint && (await via.goesDirect(stream, transport))) {
    // With the SDK client's connection timeout, as when ListShards went through it (direct PutRecords never had one).
    return async (input) => (await via.post('Kinesis_20131202.ListShards', Buffer.from(JSON.stringify(input)), via.connectionTimeoutMs)) as ListShardsCommandOutput;
  }
  const [{ ListShardsCommand }, client] = await Promise.all([loadKinesisSdk(), via instanceof KinesisEndpoint ? via.sdkClient() : via]);
  return (input) => client.send(new ListShardsCommand(input));
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
    // `?? undefined`: a JSON answer read without the SDK could carry nulls.
    parentShardId: s.ParentShardId ?? undefined,
    adjacentParentShardId: s.AdjacentParentShardId ?? undefined,
    open: (s.SequenceNumberRange?.EndingSequenceNumber ?? undefined) === undefined,
  };
}
