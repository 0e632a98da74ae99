/**
 * The envelope stage: (source name, SourceRecord) → Envelope, stamping ingest time and the
 * per-device sequence number (device-sequencer.ts) and building the bytes that will be sent.
 *
 * - `raw`: the payload is the source's bytes, the very same Uint8Array (no copy).
 * - `enriched`: one JSON object per record,
 *     {"gatewayId":…,"source":…,"deviceId":…,"seq":…,"eventTime":…,"ingestTime":…,"data":<JSON>}
 *   where `data` is the payload itself when it is valid JSON (checked by a byte scanner here, or
 *   already by the source (`SourceRecord.json`), or known from `jsonSources`), spliced in as is:
 *   no JSON.parse, no JSON.stringify; else the source's parsed `fields` (e.g. a CSV row; one
 *   JSON.stringify); else the payload as base64 with
 *   `"encoding":"base64"` before `data`.
 *   Times are milliseconds since the epoch; `eventTime` is the ingest time when the input had none.
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import type { SourceRecord } from '../sources/source.ts';
import type { DeviceSequencer } from './device-sequencer.ts';
import { enrichedHead, writeEnriched } from './enriched-writer.ts';
import { isJsonText } from '../core/json-check.ts';

export type EnvelopeMode = 'raw' | 'enriched';

export interface Envelope {
  readonly deviceId: string;
  readonly source: string;
  /** ms since the epoch: the input's own time, or ingestTime. */
  readonly eventTime: number;
  /** ms since the epoch when the agent took the record in. */
  readonly ingestTime: number;
  /** Per-device, strictly increasing within this gateway, also across restarts. */
  readonly seq: number;
  /** What is sent: the source's bytes (raw) or the enriched JSON. */
  readonly payload: Uint8Array;
  /** The source's parsed fields, passed on for keying. */
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

export interface EnvelopeOptions {
  /** From `gatewayId`. */
  readonly gatewayId: string;
  /** From `envelope.payload`. */
  readonly mode: EnvelopeMode;
  /** Started before the first record (a lifecycle part). */
  readonly sequencer: DeviceSequencer;
  readonly clock?: Clock | undefined;
  /**
   * Sources whose payload bytes are the JSON text their `fields` were parsed from (MQTT with
   * `payload: json` or a JSON device id, file sources with `format: jsonl`, CSV with JSON payloads):
   * when such a record has fields, the JSON check is skipped. Never list a CSV source sending lines.
   */
  readonly jsonSources?: Iterable<string> | undefined;
}

/** Per (stage, source): a slot's cached head is valid for the token it was built for. */
interface SourceToken {
  readonly trusted: boolean;
}

export class EnvelopeStage {
  readonly mode: EnvelopeMode;
  private readonly seqr: DeviceSequencer;
  private readonly clock: Clock;
  private readonly gatewayId: string;
  private jsonSources: ReadonlySet<string>;
  private readonly tokens = new Map<string, SourceToken>();
  private lastSource: string | undefined;
  private lastToken: SourceToken = { trusted: false };

  constructor(opts: EnvelopeOptions) {
    this.mode = opts.mode;
    this.seqr = opts.sequencer;
    this.clock = opts.clock ?? systemClock;
    this.gatewayId = opts.gatewayId;
    this.jsonSources = new Set(opts.jsonSources ?? []);
  }

  /** A reload changed the sources: call between stopping the old ones and starting the new ones. */
  setJsonSources(names: Iterable<string>): void {
    this.jsonSources = new Set(names);
    this.tokens.clear(); // new tokens: cached heads built for the old ones are rebuilt
    this.lastSource = undefined;
  }

  /** Wraps one record; `ingestTime` defaults to now. */
  wrap(source: string, rec: SourceRecord, ingestTime: number = this.clock.wallNow()): Envelope {
    const slot = this.seqr.slot(rec.deviceId);
    const seq = this.seqr.next(slot);
    const et = rec.eventTime;
    const eventTime = et !== undefined && Number.isFinite(et) ? et : ingestTime;
    let payload = rec.payload;
    if (this.mode === 'enriched') {
      const token = this.tokenFor(source);
      if (slot.headFor !== token || slot.head === undefined) {
        slot.head = enrichedHead(this.gatewayId, source, rec.deviceId);
        slot.headFor = token;
      }
      payload = enrich(slot.head, seq, eventTime, ingestTime, rec, token.trusted);
    }
    return { deviceId: slot.id, source, eventTime, ingestTime, seq, payload, fields: rec.fields };
  }

  private tokenFor(source: string): SourceToken {
    if (source === this.lastSource) return this.lastToken;
    let t = this.tokens.get(source);
    if (!t) this.tokens.set(source, (t = { trusted: this.jsonSources.has(source) }));
    this.lastSource = source;
    this.lastToken = t;
    return t;
  }

  /** Wraps a batch from one source with one clock reading. */
  wrapAll(source: string, records: readonly SourceRecord[]): Envelope[] {
    const now = this.clock.wallNow();
    const out = new Array<Envelope>(records.length);
    for (let i = 0; i < records.length; i++) out[i] = this.wrap(source, records[i] as SourceRecord, now);
    return out;
  }
}

function enrich(head: Uint8Array, seq: number, eventTime: number, ingestTime: number, rec: SourceRecord, trusted: boolean): Uint8Array {
  const data = rec.payload;
  if (rec.json === true || (trusted && rec.fields !== undefined) || isJsonText(data)) return writeEnriched(head, seq, eventTime, ingestTime, data);
  // Not JSON (rarer, slower): build the text once. The head ends with `"seq":`.
  const text = `${Buffer.from(head.buffer, head.byteOffset, head.length).toString('utf8')}${seq},"eventTime":${eventTime},"ingestTime":${ingestTime},`;
  if (rec.fields !== undefined) return Buffer.from(`${text}"data":${JSON.stringify(rec.fields)}}`, 'utf8');
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64');
  return Buffer.from(`${text}"encoding":"base64","data":"${b64}"}`, 'utf8');
}
