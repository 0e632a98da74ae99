/**
 * Turns one MQTT message (topic + payload bytes) into a SourceRecord, or says why it is refused.
 * Checks, in order: empty payload, payload larger than the limit, JSON (when payload=json or the
 * device id is a field), device id. The payload bytes are passed on untouched; a parsed JSON object
 * travels in `fields` so later stages never parse it again.
 */
import type { RejectReason, SourceRecord } from '../source.ts';
import type { DeviceIdExtractor } from './device-id.ts';

export type PayloadMode = 'raw' | 'json';

export class MessageDecoder {
  private readonly parse: boolean;
  private readonly extractor: DeviceIdExtractor;
  private readonly maxPayloadBytes: number;
  /** Set when `decode` returns null: why, and a short human detail (never the payload itself). */
  lastReason: RejectReason = 'empty';
  lastDetail = '';

  constructor(payload: PayloadMode, extractor: DeviceIdExtractor, maxPayloadBytes: number) {
    this.parse = payload === 'json' || extractor.needsFields;
    this.extractor = extractor;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** The record, or null with `lastReason`/`lastDetail` set. Allocates only the record (and the JSON). */
  decode(topic: string, payload: Buffer): SourceRecord | null {
    const n = payload.length;
    if (n === 0) return this.refuse('empty', `empty payload on topic ${topic}`);
    if (n > this.maxPayloadBytes) {
      return this.refuse('too-large', `payload of ${n} bytes on topic ${topic} exceeds ${this.maxPayloadBytes} bytes`);
    }
    let fields: Record<string, unknown> | undefined;
    if (this.parse) {
      let value: unknown;
      try {
        value = JSON.parse(payload.toString('utf8'));
      } catch (e) {
        return this.refuse('malformed-json', `topic ${topic}: ${(e as Error).message}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return this.refuse('malformed-json', `topic ${topic}: top-level JSON value is ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}, expected an object`);
      }
      fields = value as Record<string, unknown>;
    }
    const deviceId = this.extractor.extract(topic, fields);
    if (deviceId === undefined) return this.refuse('no-device-id', `no device id in topic ${topic} or its payload`);
    return { deviceId, payload, fields }; // one object shape for every record
  }

  private refuse(reason: RejectReason, detail: string): null {
    this.lastReason = reason;
    this.lastDetail = detail;
    return null;
  }
}
