/**
 * Helpers for the MQTT source tests: a recording downstream, a publisher, bounded waits.
 */
import { connectAsync } from 'mqtt';
import type { Downstream, RejectReason, SourceRecord } from '../../agent/sources/source.ts';
import { MqttSource } from '../../agent/sources/mqtt/mqtt-source.ts';
import type { MqttSourceOptions } from '../../agent/sources/mqtt/mqtt-options.ts';

export type AcceptMode = 'resolve' | 'never' | 'reject-first';

export interface Rejected {
  readonly reason: RejectReason;
  readonly detail: string;
  readonly bytes: number;
}

export class RecordingDownstream implements Downstream {
  readonly records: SourceRecord[] = [];
  readonly rejects: Rejected[] = [];
  calls = 0;
  constructor(private readonly mode: AcceptMode = 'resolve') {}

  accept(_source: string, records: readonly SourceRecord[]): Promise<void> {
    this.calls++;
    this.records.push(...records);
    if (this.mode === 'never') return new Promise<void>(() => undefined);
    if (this.mode === 'reject-first' && this.calls === 1) return Promise.reject(new Error('spool full (test)'));
    return Promise.resolve();
  }

  reject(_source: string, reason: RejectReason, raw: Uint8Array | string, detail?: string): void {
    this.rejects.push({ reason, detail: detail ?? '', bytes: typeof raw === 'string' ? raw.length : raw.byteLength });
  }

  payloads(): string[] {
    return this.records.map((r) => Buffer.from(r.payload).toString('utf8'));
  }
}

/** Polls `cond` every 10 ms; throws (naming `what`) if it is still false after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type Message = readonly [topic: string, payload: string | Buffer, qos: 0 | 1 | 2];

/** Publishes every message (pipelined) and waits for the broker's acks. */
export async function publish(url: string, messages: readonly Message[], protocolVersion: 4 | 5 = 4): Promise<void> {
  const c = await connectAsync(url, { protocolVersion, clean: true, reconnectPeriod: 0 });
  try {
    await Promise.all(messages.map(([topic, payload, qos]) => c.publishAsync(topic, payload, { qos })));
  } finally {
    await c.endAsync();
  }
}

let ids = 0;
/** A client id no other test uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++ids}`;
}

/** Starts a source and waits until it is connected and subscribed. */
export async function startSource(opts: MqttSourceOptions, down: Downstream): Promise<MqttSource> {
  const src = new MqttSource({ reconnect: { minMs: 50, maxMs: 200 }, stopTimeoutMs: 300, ...opts });
  await src.start(down);
  await waitFor(() => src.health().up, `${opts.name} to connect`);
  return src;
}
