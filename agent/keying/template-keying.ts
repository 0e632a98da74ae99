/**
 * `field` / `template`: partition key = a record field (`{country}`) or a template over fields and
 * the device id (`{site}-{device}`).
 *
 * Ordering: per key. Records with the same rendered key land on one shard, in order; a device's
 * records stay in order only if its key never changes (a template containing `{device}` and
 * fields that are constant per device). Load: as even as the key's cardinality and popularity: a
 * low-cardinality key (country, tenant) puts a popular value's whole traffic on one shard.
 */
import { RecordValidationError } from '../core/errors.ts';
import type { DeviceKeys } from './device-keys.ts';
import { copyKeyWords, requireKeys } from './device-keying.ts';
import { compileKeyTemplate, fieldText } from './key-template.ts';
import type { KeyTemplate } from './key-template.ts';
import type { KeyInput, KeyResult, KeyingStrategy } from './strategy.ts';

export interface TemplateKeyingOptions {
  /** e.g. `{site}-{device}`; a field strategy is the template `{field}`. */
  readonly template: string;
  /** What to do when a slot's field is missing: reject the record (default) or key by device id. */
  readonly onMissing?: 'error' | 'device' | undefined;
}

export class TemplateKeying implements KeyingStrategy {
  readonly kind = 'template' as const;
  readonly ordering = 'per-key' as const;
  readonly template: KeyTemplate;
  private readonly onMissing: 'error' | 'device';

  /** `keys` (bench path) must be a table whose keyOf(device) renders this template for the device. */
  constructor(
    options: TemplateKeyingOptions,
    private readonly keys?: DeviceKeys,
  ) {
    this.template = compileKeyTemplate(options.template);
    this.onMissing = options.onMissing ?? 'error';
  }

  keyFor(input: KeyInput): KeyResult {
    const fields = input.fields;
    const key = this.template.render((name) => (name === 'device' ? input.deviceId : fieldText(fields?.[name])));
    if (key !== undefined && key.length > 0) return { partitionKey: key };
    if (this.onMissing === 'device') return { partitionKey: input.deviceId };
    const missing = this.template.slots.filter((s) => s !== 'device' && fieldText(fields?.[s]) === undefined);
    throw new RecordValidationError(
      'E_PARTITION_KEY',
      `keying template ${JSON.stringify(this.template.source)}: device ${JSON.stringify(input.deviceId)} has no usable field ${missing.map((m) => JSON.stringify(m)).join(', ') || '(empty key)'}`,
    );
  }

  keyInto(device: number, _seq: number, _bytes: number, out: Uint32Array, offset: number): number {
    return copyKeyWords(requireKeys(this.keys, this.kind), device, out, offset);
  }

  partitionKeyOf(device: number): string {
    return requireKeys(this.keys, this.kind).keyOf(device);
  }

  explicitHashKeyOf(): undefined {
    return undefined;
  }
}
