/**
 * Target URL → Target: `model://`, `kinesis://`, `mqtt://`/`mqtts://`. Also the worker factory
 * (`createTarget(spec, part)`, see bench/engine/workers.ts): each of N workers gets 1/N of every
 * shared resource (a modelled shard's limits, a producer's per-shard rate, an MQTT pool).
 *
 * The scenario's stream model fills what a model:// URL leaves out (shards, limits, aggregation;
 * URL parameters win) and gives a kinesis:// target its per-shard limits.
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { listAllShards } from '../../agent/kinesis/list-shards.ts';
import { ShardMap } from '../../agent/kinesis/shard-map.ts';
import type { ShardInfo } from '../../agent/kinesis/shard-map.ts';
import { KinesisTarget } from './kinesis-target.ts';
import { benchKinesisClient, parseKinesisUrl } from './kinesis-url.ts';
import { ModelTarget } from './model-target.ts';
import { MqttTarget } from './mqtt-target.ts';
import { parseMqttUrl } from './mqtt-url.ts';
import type { ShardLimits, Target } from './target.ts';

export interface StreamModel {
  readonly shards: number;
  readonly limits: ShardLimits;
  readonly aggregation: boolean;
  /** An existing stream's shards (ListShards), modelled instead of `shards` even ones. */
  readonly shardInfos?: readonly ShardInfo[] | undefined;
}

/** Structured-cloneable: crosses into worker threads. */
export interface TargetSpec {
  readonly url: string;
  readonly stream?: StreamModel | undefined;
}

export interface PartInfo {
  readonly index: number;
  readonly count: number;
}

const WHOLE: PartInfo = { index: 0, count: 1 };

export function targetFromSpec(spec: TargetSpec, part: PartInfo = WHOLE): Target {
  const url = spec.url;
  if (url.startsWith('model:')) return modelTarget(spec, part);
  if (url.startsWith('kinesis:')) {
    const o = parseKinesisUrl(url, { limits: spec.stream?.limits });
    return new KinesisTarget({ ...o, share: 1 / part.count });
  }
  if (url.startsWith('mqtt:') || url.startsWith('mqtts:')) return new MqttTarget(parseMqttUrl(url), part.count);
  throw new ShardwiseError('E_CONFIG', `target: expected a model://, kinesis://, mqtt:// or mqtts:// URL, got ${JSON.stringify(url)}`);
}

/** Worker factory (bench/engine/workers.ts): `spec` is a TargetSpec. */
export function createTarget(spec: unknown, part: PartInfo): Target {
  return targetFromSpec(spec as TargetSpec, part);
}

/** The model:// URL with the stream model's shards, limits and aggregation where the URL gives none. */
export function modelUrl(spec: TargetSpec): string {
  const u = new URL(spec.url);
  const s = spec.stream;
  if (s !== undefined) {
    const q = u.searchParams;
    if (!q.has('shards') && s.shardInfos === undefined) q.set('shards', String(s.shards));
    if (!q.has('recordsPerSec')) q.set('recordsPerSec', String(s.limits.recordsPerSec));
    if (!q.has('bytesPerSec')) q.set('bytesPerSec', String(s.limits.bytesPerSec));
    if (!q.has('aggregate') && s.aggregation) q.set('aggregate', 'true');
  }
  return u.href;
}

function modelTarget(spec: TargetSpec, part: PartInfo): ModelTarget {
  const url = modelUrl(spec);
  const full = ModelTarget.fromUrl(url);
  const infos = spec.stream?.shardInfos;
  const map = infos !== undefined && !new URL(spec.url).searchParams.has('shards') ? ShardMap.fromShards(infos) : full.map;
  const limits = full.describe().limits as ShardLimits;
  if (part.count === 1 && map === full.map) return full;
  return new ModelTarget(
    { ...full.options, shardMap: map, recordsPerSec: limits.recordsPerSec / part.count, bytesPerSec: limits.bytesPerSec / part.count, describeLimits: limits },
    url,
  );
}

/** Reads an existing stream's shards (for `stream.existing` in a scenario). */
export async function readShardInfos(existing: { readonly stream: string; readonly region?: string | undefined; readonly endpoint?: string | undefined }): Promise<ShardInfo[]> {
  const client = benchKinesisClient(existing, 2);
  try {
    return await listAllShards(client, { streamName: existing.stream });
  } finally {
    client.destroy();
  }
}

/**
 * The shard map the keying replay places devices on: the modelled map for model://, the stream's
 * current map for kinesis:// (ListShards), the scenario's stream model for targets without shards.
 */
export async function replayShardMap(spec: TargetSpec): Promise<ShardMap> {
  if (spec.url.startsWith('model:')) return (modelTarget(spec, WHOLE) as ModelTarget).map;
  if (spec.url.startsWith('kinesis:')) {
    const o = parseKinesisUrl(spec.url);
    const client = benchKinesisClient(o, 2);
    try {
      return ShardMap.fromShards(await listAllShards(client, o.stream));
    } finally {
      client.destroy();
    }
  }
  const infos = spec.stream?.shardInfos;
  return infos !== undefined ? ShardMap.fromShards(infos) : ShardMap.uniform(spec.stream?.shards ?? 1);
}
