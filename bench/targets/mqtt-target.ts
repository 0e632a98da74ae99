/**
 * `mqtt://HOST:PORT/TOPIC-TEMPLATE?…` (mqtt-url.ts): publishes each record's payload to the topic
 * rendered for its device, over a pool of connections (or one connection per device), with the
 * mqtt npm client. Publishes are pipelined: a whole batch is written without waiting, and each
 * record's ack (QoS 1: its PUBACK; QoS 0: written to the socket) lands in the batch as it comes.
 *
 * No per-record closures: each (in-flight slot, record index) owns one callback, made once and
 * reused. Payloads are Buffer views into the batch (valid until `send` resolves, which waits for
 * every ack). No shards: `shard[i]` is −1.
 */
import net from 'node:net';
import tls from 'node:tls';
import { MqttClient } from 'mqtt';
import type { IClientOptions, IClientPublishOptions } from 'mqtt';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { STATUS_FAILED, STATUS_OK } from '../engine/record-batch.ts';
import type { RecordBatch } from '../engine/record-batch.ts';
import { localAddressOf } from './mqtt-url.ts';
import type { MqttTargetOptions } from './mqtt-url.ts';
import type { Target, TargetCapabilities, TargetContext, TargetDescription, TargetStats } from './target.ts';

const SLOT = 512;

interface Slot {
  readonly index: number;
  batch: RecordBatch | null;
  remaining: number;
  /** One ack callback per record index, bound to this slot, made once. */
  readonly acks: ((err?: Error) => void)[];
  resolve: () => void;
}

export class MqttTarget implements Target {
  readonly capabilities: TargetCapabilities = { needsPayload: true, maxBatchRecords: 500, virtualTime: false };
  private ctx: TargetContext | undefined;
  private readonly clients: (MqttClient | undefined)[] = [];
  /** Source address of each connection once connected (kept after close). */
  private readonly addresses: (string | undefined)[] = [];
  private readonly slots: Slot[] = [];
  private readonly freeSlots: number[] = [];
  private readonly publishOptions: IClientPublishOptions;
  private opened = 0;
  private clientErrors = 0;
  private publishErrors = 0;
  private lastError: string | undefined;

  constructor(
    readonly options: MqttTargetOptions,
    /** This worker's share: pool size and per-device limit are divided by `parts`. */
    private readonly parts = 1,
  ) {
    this.publishOptions = { qos: options.qos };
  }

  async open(ctx: TargetContext): Promise<void> {
    this.ctx = ctx;
    if (this.options.perDevice) return; // per-device connections open when each device first sends
    const n = Math.max(1, Math.ceil(this.options.connections / this.parts));
    const ready: Promise<void>[] = [];
    for (let c = 0; c < n; c++) {
      const client = this.connect(c, `${this.options.clientId}-${process.pid}-${Math.random().toString(36).slice(2, 8)}-${c}`);
      this.clients[c] = client;
      ready.push(connected(client, c));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  describe(): TargetDescription {
    return { url: this.options.url.replace(/:[^:@/]*@/, ':****@'), kind: 'mqtt', shards: [], aggregation: false };
  }

  send(batch: RecordBatch): Promise<void> {
    const ctx = this.ctx as TargetContext;
    const slot = this.takeSlot(batch);
    const n = batch.length;
    slot.remaining = n;
    const done = new Promise<void>((resolve) => (slot.resolve = resolve));
    const data = batch.data;
    const topic = this.options.topic;
    for (let i = 0; i < n; i++) {
      const d = batch.device[i] as number;
      batch.shard[i] = -1;
      batch.status[i] = STATUS_FAILED;
      const start = batch.dataStart[i] as number;
      const payload = Buffer.from(data.buffer, data.byteOffset + start, (batch.dataStart[i + 1] as number) - start);
      let t = topic[0] as string;
      for (let k = 1; k < topic.length; k += 2) {
        t += topic[k] === 'device' ? ctx.deviceIdOf(d) : ctx.keys.partitionKeyOf(d, batch.seq[i] as number);
        t += topic[k + 1] as string;
      }
      const ack = slot.acks[i] as (err?: Error) => void;
      try {
        this.clientFor(d).publish(t, payload, this.publishOptions, ack);
      } catch (e) {
        ack(e as Error);
      }
    }
    return done;
  }

  stats(): TargetStats {
    return {
      throttledAttempts: 0,
      perShard: {},
      counters: { connectionsOpened: this.opened, clientErrors: this.clientErrors, publishErrors: this.publishErrors },
    };
  }

  /** Local (source) address of each connection that connected, by connection index (tests, diagnostics). */
  connectionAddresses(): (string | undefined)[] {
    return [...this.addresses];
  }

  /** The last client error seen (connection refused, TLS, …), for messages. */
  get lastClientError(): string | undefined {
    return this.lastError;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => (c === undefined ? undefined : new Promise<void>((resolve) => c.end(false, {}, () => resolve())))));
    this.clients.length = 0;
  }

  private clientFor(device: number): MqttClient {
    const o = this.options;
    if (!o.perDevice) return this.clients[device % this.clients.length] as MqttClient;
    const c = device % Math.max(1, Math.ceil(o.maxConnections / this.parts));
    let client = this.clients[c];
    if (client === undefined) {
      client = this.connect(c, (this.ctx as TargetContext).deviceIdOf(device));
      this.clients[c] = client;
    }
    return client;
  }

  private connect(c: number, clientId: string): MqttClient {
    const o = this.options;
    const localAddress = localAddressOf(o, c);
    const opts: IClientOptions = {
      clientId,
      username: o.username,
      password: o.password,
      keepalive: o.keepalive,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
    };
    const build = (): net.Socket => {
      const socket = net.connect({ host: o.host, port: o.port, localAddress });
      if (!o.secure) return socket;
      return tls.connect({ socket, rejectUnauthorized: !o.insecure, servername: net.isIP(o.host) === 0 ? o.host : undefined });
    };
    const client = new MqttClient(build as never, opts);
    this.opened++;
    client.on('connect', () => {
      this.addresses[c] = (client.stream as net.Socket | undefined)?.localAddress;
    });
    client.on('error', (e: Error) => {
      this.clientErrors++;
      this.lastError = e.message;
    });
    return client;
  }

  private takeSlot(batch: RecordBatch): Slot {
    const free = this.freeSlots.pop();
    let slot: Slot;
    if (free !== undefined) slot = this.slots[free] as Slot;
    else {
      const index = this.slots.length;
      const acks: ((err?: Error) => void)[] = [];
      slot = { index, batch: null, remaining: 0, acks, resolve: () => undefined };
      for (let i = 0; i < SLOT; i++) acks.push((err?: Error) => this.acked(slot, i, err));
      this.slots.push(slot);
    }
    slot.batch = batch;
    return slot;
  }

  private acked(slot: Slot, i: number, err: Error | undefined): void {
    const b = slot.batch;
    if (b === null) return; // a late second callback (mqtt.js on close): the record already has its outcome
    if (err) {
      this.publishErrors++;
      this.lastError = err.message;
    } else b.status[i] = STATUS_OK;
    const t = (this.ctx as TargetContext).clock.now();
    b.ackMs[i] = t > b.sentAtMs ? t : b.sentAtMs;
    if (--slot.remaining > 0) return;
    let done = b.sentAtMs;
    for (let k = 0; k < b.length; k++) if ((b.ackMs[k] as number) > done) done = b.ackMs[k] as number;
    b.doneAtMs = done;
    b.kinesisCount = -1;
    slot.batch = null;
    this.freeSlots.push(slot.index);
    slot.resolve();
  }
}

function connected(client: MqttClient, c: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no CONNACK within 10 s')), 10_000);
    const ok = (): void => {
      clearTimeout(timer);
      client.off('error', fail);
      resolve();
    };
    function fail(e: Error): void {
      clearTimeout(timer);
      client.off('connect', ok);
      client.off('error', fail);
      reject(new ShardwiseError('E_NETWORK', `mqtt target: connection ${c}: ${e.message}`, { retryable: true, cause: e }));
    }
    client.once('connect', ok);
    client.once('error', fail);
  });
}
