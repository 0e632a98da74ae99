import { KINESIS_LIMITS } from '../core/limits.ts';
import type { Clock } from '../core/clock.ts';
import type { EnvelopeStage } from '../envelope/envelope.ts';
import type { KeyingStrategy } from '../keying/strategy.ts';
import type { AcceptOptions, Downstream, RejectReason, SourceRecord } from '../sources/source.ts';
import type { AppendResult, Spool, SpoolEntry } from '../spool/spool.ts';

/** What the intake tells the rest of the agent (metrics, dead letters). */
export interface IntakeHooks {
  received(source: string, count: number): void;
  keyed(count: number): void;
  rejected(source: string, reason: RejectReason, raw: Uint8Array | string, detail?: string): void;
  /** The spool dropped records (onFull drop policies, disk errors); it counts the reasons itself. */
  spoolDropped(count: number): void;
}

/**
 * The `Downstream` every source feeds: envelope (per-device seq, payload), keying (partition key or
 * explicit hash key), then the spool. `accept` resolves once the spool holds the records as
 * durably as configured: only then may a source acknowledge upstream (MQTT PUBACK, file checkpoint).
 * Bad records never throw: they are rejected with a reason and the rest flows on.
 */
export class Intake implements Downstream {
  constructor(
    private readonly envelope: EnvelopeStage,
    private readonly keying: Pick<KeyingStrategy, "keyFor">,
    private readonly spool: Spool,
    private readonly hooks: IntakeHooks,
    private readonly clock: Clock,
  ) {}

  /**
   * Not an async function on purpose: it takes the records synchronously, and the promise it
   * returns references neither them nor their entries. Records kept alive until the append settled
   * (a suspended async frame keeps its locals) lived through the send stage's work that runs in
   * between, and were promoted out of a small young generation (docs/in-flight-records.md).
   */
  accept(source: string, records: readonly SourceRecord[], opts?: AcceptOptions): Promise<void> {
    this.hooks.received(source, records.length);
    const entries: SpoolEntry[] = [];
    const now = this.clock.wallNow();
    for (const rec of records) {
      if (rec.payload.length === 0) {
        this.hooks.rejected(source, 'empty', rec.payload, `device ${rec.deviceId}`);
        continue;
      }
      if (rec.payload.length > KINESIS_LIMITS.maxRecordBytes) {
        this.hooks.rejected(source, 'too-large', rec.payload, `${rec.payload.length} bytes`);
        continue;
      }
      const env = this.envelope.wrap(source, rec, now);
      let key;
      try {
        key = this.keying.keyFor({ deviceId: env.deviceId, fields: env.fields, seq: env.seq, bytes: env.payload.length });
      } catch (err) {
        this.hooks.rejected(source, 'no-partition-key', rec.payload, (err as Error).message);
        continue;
      }
      if (env.payload.length + Buffer.byteLength(key.partitionKey) > KINESIS_LIMITS.maxRecordBytes) {
        this.hooks.rejected(source, 'too-large', env.payload, `${env.payload.length} bytes after the envelope`);
        continue;
      }
      entries.push({ partitionKey: key.partitionKey, explicitHashKey: key.explicitHashKey, data: env.payload, deviceId: env.deviceId, ingestTime: now });
    }
    this.hooks.keyed(entries.length);
    if (entries.length === 0) return Promise.resolve();
    return this.spool.append(entries, opts).then(this.appended);
  }

  private readonly appended = (res: AppendResult): void => {
    if (res.dropped > 0) this.hooks.spoolDropped(res.dropped);
  };

  ready(opts?: AcceptOptions): Promise<void> | undefined {
    return this.spool.whenRoom?.(opts);
  }

  reject(source: string, reason: RejectReason, raw: Uint8Array | string, detail?: string): void {
    this.hooks.rejected(source, reason, raw, detail);
  }
}
