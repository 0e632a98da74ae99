/**
 * A paced QoS 1 MQTT publisher for agent-level tests, and the check of what reached the stream.
 *
 * Message i goes to device `i mod devices` with per-device sequence `floor(i / devices)`, on topic
 * `dev/<device>/t`; the payload is fixed-size JSON `{"d":"<device>","s":<seq>,"p":"xx…"}`. The
 * publisher paces itself against the wall clock (catching up after a stall, so the offered rate is
 * what was asked), keeps every message in flight it wants (mqtt.js, one connection), and remembers
 * which messages the broker acknowledged (PUBACK).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { ReadRecord } from '../../agent/kinesis/stream-reader.ts';

export interface PublisherOptions {
  readonly url: string;
  readonly devices: number;
  readonly ratePerSec: number;
  /** Exact payload size in bytes (≥ 48). */
  readonly payloadBytes?: number;
  readonly clientId?: string;
}

export interface PublisherStats {
  readonly published: number;
  readonly acked: number;
  readonly seconds: number;
}

export interface Publisher {
  /** Messages handed to the client so far. */
  readonly published: number;
  /** PUBACKs received so far. */
  readonly acked: number;
  /** Stops publishing, waits (bounded) for outstanding PUBACKs, disconnects. */
  stop(ackTimeoutMs?: number): Promise<PublisherStats>;
  /** Whether message (device index, seq) was acknowledged by the broker. */
  isAcked(device: number, seq: number): boolean;
  readonly devices: number;
}

export function deviceName(d: number): string {
  return `d${String(d).padStart(4, '0')}`;
}

export function payloadFor(d: number, seq: number, size: number): Buffer {
  const head = `{"d":"${deviceName(d)}","s":${seq},"p":"`;
  return Buffer.from(`${head}${'x'.repeat(Math.max(0, size - head.length - 2))}"}`);
}

const TICK_MS = 10;

export async function startPublisher(opts: PublisherOptions): Promise<Publisher> {
  const size = opts.payloadBytes ?? 160;
  const client: MqttClient = await mqtt.connectAsync(opts.url, { clientId: opts.clientId ?? `load-${process.pid}-${Date.now()}`, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
  const acked: Uint8Array[] = Array.from({ length: opts.devices }, () => new Uint8Array(1024));
  let published = 0;
  let ackCount = 0;
  let pubError: Error | undefined;
  const t0 = performance.now();
  const onAck = (d: number, seq: number) => (err?: Error) => {
    if (err) {
      pubError ??= err;
      return;
    }
    let a = acked[d] as Uint8Array;
    if (seq >= a.length) {
      const b = new Uint8Array(Math.max(seq + 1, a.length * 2));
      b.set(a);
      acked[d] = a = b;
    }
    if (a[seq] === 0) ackCount++;
    a[seq] = 1;
  };
  const tick = (): void => {
    const due = Math.floor(((performance.now() - t0) / 1000) * opts.ratePerSec);
    // at most 1 s of catch-up per tick after a long stall
    const n = Math.min(due - published, opts.ratePerSec);
    for (let k = 0; k < n; k++) {
      const i = published++;
      const d = i % opts.devices;
      const seq = Math.floor(i / opts.devices);
      client.publish(`dev/${deviceName(d)}/t`, payloadFor(d, seq, size), { qos: 1 }, onAck(d, seq));
    }
  };
  const timer = setInterval(tick, TICK_MS);
  let stopped: Promise<PublisherStats> | undefined;
  return {
    devices: opts.devices,
    get published() {
      return published;
    },
    get acked() {
      return ackCount;
    },
    isAcked(d, seq) {
      return (acked[d]?.[seq] ?? 0) === 1;
    },
    stop: (ackTimeoutMs = 20_000) =>
      (stopped ??= (async () => {
        clearInterval(timer);
        const seconds = (performance.now() - t0) / 1000;
        const deadline = Date.now() + ackTimeoutMs;
        while (ackCount < published && Date.now() < deadline && pubError === undefined) await new Promise((r) => setTimeout(r, 20));
        await client.endAsync();
        return { published, acked: ackCount, seconds };
      })()),
  };
}

export interface DeliveryCheck {
  /** Records read back. */
  readonly read: number;
  /** Distinct published messages found. */
  readonly distinct: number;
  /** Messages the broker acknowledged that are not in the stream. */
  readonly lost: number;
  /** Copies beyond the first. */
  readonly duplicates: number;
  /** Per device, first occurrences that came after a higher sequence's first occurrence. */
  readonly orderViolations: number;
  /** Records that are not a message of this publisher (bad key or payload). */
  readonly foreign: number;
  /** Messages found in the stream that the broker never acknowledged (possible: PUBACK lost at the end). */
  readonly unacked: number;
}

const SEQ = /"s":(\d+)/;

/** Compares what the stream holds with what the publisher got PUBACKs for (partition key = device id). */
export function checkDelivery(records: readonly ReadRecord[], pub: Pick<Publisher, 'devices' | 'isAcked' | 'published'>): DeliveryCheck {
  const seen: Uint8Array[] = Array.from({ length: pub.devices }, () => new Uint8Array(Math.ceil(pub.published / pub.devices) + 1));
  const lastFirst = new Float64Array(pub.devices).fill(-1);
  let distinct = 0;
  let duplicates = 0;
  let orderViolations = 0;
  let foreign = 0;
  let unacked = 0;
  for (const r of records) {
    const d = /^d(\d{4})$/.exec(r.partitionKey) ? Number(r.partitionKey.slice(1)) : -1;
    const m = SEQ.exec(Buffer.from(r.data.buffer, r.data.byteOffset, Math.min(r.data.length, 40)).toString('latin1'));
    const s = seen[d];
    const seq = m?.[1] === undefined ? -1 : Number(m[1]);
    if (s === undefined || seq < 0 || seq >= s.length) {
      foreign++;
      continue;
    }
    if (s[seq] === 1) {
      duplicates++;
      continue;
    }
    s[seq] = 1;
    distinct++;
    if (!pub.isAcked(d, seq)) unacked++;
    if (seq < (lastFirst[d] as number)) orderViolations++;
    else lastFirst[d] = seq;
  }
  let lost = 0;
  for (let i = 0; i < pub.published; i++) {
    const d = i % pub.devices;
    const seq = Math.floor(i / pub.devices);
    if (pub.isAcked(d, seq) && (seen[d] as Uint8Array)[seq] !== 1) lost++;
  }
  return { read: records.length, distinct, lost, duplicates, orderViolations, foreign, unacked };
}
