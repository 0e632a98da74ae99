/**
 * `device`: partition key = device id.
 *
 * Ordering: per device. All records of a device hash to one shard and keep their order there
 * (as long as the shard map does not change; after a split a device's key follows its child).
 * Load: spreads devices uniformly over the hash space, but only on average: one chatty device
 * makes its shard hot, and nothing can split it.
 */
import type { DeviceKeys } from './device-keys.ts';
import type { KeyInput, KeyResult, KeyingStrategy } from './strategy.ts';

export class DeviceKeying implements KeyingStrategy {
  readonly kind = 'device' as const;
  readonly ordering = 'per-device' as const;

  /** `keys`: the bench fleet (device ids and their hash words); not needed on the agent path. */
  constructor(private readonly keys?: DeviceKeys) {}

  keyFor(input: KeyInput): KeyResult {
    return { partitionKey: input.deviceId };
  }

  keyInto(device: number, _seq: number, _bytes: number, out: Uint32Array, offset: number): number {
    return copyKeyWords(requireKeys(this.keys, this.kind), device, out, offset);
  }

  partitionKeyOf(device: number): string {
    return requireKeys(this.keys, this.kind).idOf(device);
  }

  explicitHashKeyOf(): undefined {
    return undefined;
  }
}

/** Writes the precomputed hash key of `device` into out[offset..offset+3]; returns its key's UTF-8 length. */
export function copyKeyWords(keys: DeviceKeys, device: number, out: Uint32Array, offset: number): number {
  const w = keys.words;
  const i = device * 4;
  out[offset] = w[i] as number;
  out[offset + 1] = w[i + 1] as number;
  out[offset + 2] = w[i + 2] as number;
  out[offset + 3] = w[i + 3] as number;
  return keys.keyLength(device);
}

/** The bench path needs the fleet's key table; the agent path never calls it. */
export function requireKeys(keys: DeviceKeys | undefined, kind: string): DeviceKeys {
  if (keys === undefined) throw new TypeError(`${kind} keying: the indexed (bench) path needs a DeviceKeys table`);
  return keys;
}
