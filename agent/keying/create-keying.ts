/** Builds a keying strategy from its configuration (one place that knows every kind). */
import type { Clock } from '../core/clock.ts';
import { ShardwiseError } from '../core/errors.ts';
import type { ShardMap } from '../kinesis/shard-map.ts';
import { BalancedKeying } from './balanced-keying.ts';
import type { DeviceKeys } from './device-keys.ts';
import { DeviceKeying } from './device-keying.ts';
import { RandomKeying } from './random-keying.ts';
import { SaltedKeying } from './salted-keying.ts';
import type { LoadLimits } from './shard-loads.ts';
import type { KeyingStrategy } from './strategy.ts';
import { TemplateKeying } from './template-keying.ts';

export type KeyingConfig =
  | { readonly kind: 'device' }
  | { readonly kind: 'field'; readonly field: string; readonly onMissing?: 'error' | 'device' }
  | { readonly kind: 'template'; readonly template: string; readonly onMissing?: 'error' | 'device' }
  | { readonly kind: 'random'; readonly seed?: number }
  | { readonly kind: 'salted'; readonly buckets: number }
  | {
      readonly kind: 'balanced';
      readonly halfLifeMs?: number;
      readonly threshold?: number;
      readonly moveAfterMs?: number;
    };

export interface KeyingContext {
  /** Required by `balanced`. */
  readonly shardMap?: ShardMap | undefined;
  /** Required by `balanced` (the bench passes its virtual clock). */
  readonly clock?: Clock | undefined;
  /** Bench path: the fleet's key table (for field/template: a table of rendered template keys). */
  readonly keys?: DeviceKeys | undefined;
  readonly limits?: LoadLimits | undefined;
}

/** The template a config keys by, or undefined when the key is the device id (or random). */
export function templateOf(config: KeyingConfig): string | undefined {
  if (config.kind === 'field') return `{${config.field}}`;
  if (config.kind === 'template') return config.template;
  return undefined;
}

export function createKeying(config: KeyingConfig, ctx: KeyingContext = {}): KeyingStrategy {
  switch (config.kind) {
    case 'device':
      return new DeviceKeying(ctx.keys);
    case 'field':
    case 'template':
      return new TemplateKeying({ template: templateOf(config) as string, onMissing: config.onMissing }, ctx.keys);
    case 'random':
      return new RandomKeying(config.seed);
    case 'salted':
      return new SaltedKeying({ buckets: config.buckets }, ctx.keys);
    case 'balanced': {
      if (!ctx.shardMap || !ctx.clock) throw new ShardwiseError('E_CONFIG', 'keying.kind balanced: needs the shard map and a clock');
      return new BalancedKeying({
        shardMap: ctx.shardMap,
        clock: ctx.clock,
        keys: ctx.keys,
        limits: ctx.limits,
        halfLifeMs: config.halfLifeMs,
        threshold: config.threshold,
        moveAfterMs: config.moveAfterMs,
      });
    }
    default: {
      const kind: unknown = (config as { kind: unknown }).kind;
      throw new ShardwiseError('E_CONFIG', `keying.kind: expected device, field, template, random, salted or balanced, got ${JSON.stringify(kind)}`);
    }
  }
}
