/**
 * Where an MQTT message's device id comes from: a topic level (`fromTopic` template) or a field of
 * the JSON payload (`fromField`, dotted path such as `meta.device`).
 */
import { ShardwiseError } from '../../core/errors.ts';
import { TopicTemplate } from './topic-template.ts';

export type DeviceIdRule = { readonly fromTopic: string } | { readonly fromField: string };

export interface DeviceIdExtractor {
  /** True when the payload must be parsed as JSON to find the id. */
  readonly needsFields: boolean;
  /** The id, or `undefined` when the topic/payload does not carry one. */
  extract(topic: string, fields: Readonly<Record<string, unknown>> | undefined): string | undefined;
}

class FromTopic implements DeviceIdExtractor {
  readonly needsFields = false;
  private readonly template: TopicTemplate;
  constructor(template: string) {
    this.template = TopicTemplate.compile(template);
  }
  extract(topic: string): string | undefined {
    return this.template.match(topic);
  }
}

class FromField implements DeviceIdExtractor {
  readonly needsFields = true;
  private readonly path: readonly string[];
  constructor(path: string) {
    const parts = path.split('.');
    if (parts.some((p) => p.length === 0)) {
      throw new ShardwiseError('E_CONFIG', `deviceId.fromField ${JSON.stringify(path)}: expected a dotted path such as "meta.device"`);
    }
    this.path = parts;
  }
  extract(_topic: string, fields: Readonly<Record<string, unknown>> | undefined): string | undefined {
    let v: unknown = fields;
    for (let i = 0; i < this.path.length; i++) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[this.path[i] as string];
    }
    if (typeof v === 'string') return v.length > 0 ? v : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return undefined;
  }
}

/** Builds the extractor; throws `E_CONFIG` for an unusable template or path. */
export function deviceIdExtractor(rule: DeviceIdRule): DeviceIdExtractor {
  return 'fromTopic' in rule ? new FromTopic(rule.fromTopic) : new FromField(rule.fromField);
}

/** Short human description for logs and reject details. */
export function describeDeviceIdRule(rule: DeviceIdRule): string {
  return 'fromTopic' in rule ? `topic template ${rule.fromTopic}` : `field ${rule.fromField}`;
}
