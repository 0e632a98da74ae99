/**
 * MQTT source: subscribes to topic filters on one broker and hands messages downstream, acking
 * QoS 1/2 messages only after `Downstream.accept` resolved (intake.ts, client-hooks.ts).
 *
 * Connection life cycle: one mqtt.js client per connection attempt, mqtt.js's own reconnect off;
 * after a failed or lost connection the next attempt waits an exponential, jittered delay
 * (backoff.ts). Subscriptions are (re)sent on every connection; with clean=false the broker keeps
 * the session, and the QoS 1/2 messages it queued, while we are away.
 */
import type { IClientOptions, IConnackPacket, IDisconnectPacket, ISubscriptionMap, MqttClient, Packet } from 'mqtt';
import { ShardwiseError } from '../../core/errors.ts';
import type { Downstream, Source, SourceHealth } from '../source.ts';
import { AckQueue } from './ack-queue.ts';
import { reconnectDelay } from './backoff.ts';
import { installAckHooks } from './client-hooks.ts';
import { deviceIdExtractor } from './device-id.ts';
import { Intake, type Link } from './intake.ts';
import { MessageDecoder } from './message-decoder.ts';
import { MQTT_SOURCE_DEFAULTS, clientOptions, redactUrl, scrubSecrets, type MqttSourceOptions } from './mqtt-options.ts';
import { buildStats, type ConnectionCounters, type MqttSourceStats } from './mqtt-stats.ts';
import { silentLog, type SourceLog } from './source-log.ts';
import { FilterIndex, isSharedFilter } from './topic-filter.ts';

type MqttConnect = (typeof import('mqtt'))['connect'];

type State = 'idle' | 'connecting' | 'subscribing' | 'up' | 'backoff' | 'stopping' | 'stopped';

export type { MqttSourceStats } from './mqtt-stats.ts';

export class MqttSource implements Source {
  readonly kind = 'mqtt';
  readonly name: string;
  private readonly opts: MqttSourceOptions;
  private readonly log: SourceLog;
  private readonly where: string;
  private clientOpts: IClientOptions | null = null;
  private mqttConnect: MqttConnect | undefined;
  private intake: Intake | null = null;
  private client: MqttClient | null = null;
  private link: Link | null = null;
  private state: State = 'idle';
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastError = '';
  private errorLogged = false;
  private firstOutcome: (() => void) | null = null;
  private starting: Promise<void> | null = null;
  private readonly n: ConnectionCounters = { connectAttempts: 0, connects: 0, connectionLosses: 0, clientErrors: 0 };

  constructor(opts: MqttSourceOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.log = opts.log ?? silentLog;
    this.where = redactUrl(opts.url);
  }

  /**
   * Resolves once the first connection is subscribed, or once it failed (retries go on in the
   * background). Throws `E_CONFIG` for unusable options. A second call returns the first one's promise.
   */
  start(downstream: Downstream): Promise<void> {
    this.starting ??= this.begin(downstream);
    return this.starting;
  }

  private async begin(downstream: Downstream): Promise<void> {
    if (this.state !== 'idle') return; // stopped before it started
    const o = this.opts;
    if (o.topics.length === 0) throw new ShardwiseError('E_CONFIG', `mqtt source ${this.name}: no topics`);
    if ((o.protocolVersion ?? MQTT_SOURCE_DEFAULTS.protocolVersion) === 4 && o.topics.some((t) => isSharedFilter(t.filter))) {
      throw new ShardwiseError('E_CONFIG', `mqtt source ${this.name}: $share/ subscriptions need protocolVersion 5`);
    }
    const protocol = urlProtocol(o.url);
    if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(protocol)) {
      throw new ShardwiseError('E_CONFIG', `mqtt source ${this.name}: url ${redactUrl(o.url)}: expected mqtt://, mqtts://, ws:// or wss://`);
    }
    const decoder = new MessageDecoder(
      o.payload ?? MQTT_SOURCE_DEFAULTS.payload,
      deviceIdExtractor(o.deviceId),
      o.maxPayloadBytes ?? MQTT_SOURCE_DEFAULTS.maxPayloadBytes,
    );
    const filters = o.topics.map((t) => t.filter);
    this.clientOpts = await clientOptions(o);
    // mqtt.js is loaded by the first MQTT source only: ~20 MB of memory an agent without one saves.
    this.mqttConnect = (await import('mqtt')).connect;
    if (this.state !== 'idle') return; // stop() came while the TLS files were read
    this.intake = new Intake(
      { name: this.name, maxBatch: o.maxBatch ?? MQTT_SOURCE_DEFAULTS.maxBatch, maxInflight: o.maxInflight ?? MQTT_SOURCE_DEFAULTS.maxInflight },
      downstream,
      decoder,
      new FilterIndex(filters),
      filters.length,
      (err, link) => this.onAcceptFailed(err, link),
    );
    await new Promise<void>((resolve) => {
      this.firstOutcome = resolve;
      this.connect();
    });
  }

  /** Stops taking messages, waits (up to stopTimeoutMs) for pending accepts and their acks, disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasStarted = this.state !== 'idle';
    this.state = 'stopping';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.resolveFirst();
    if (!wasStarted || this.intake === null) {
      this.state = 'stopped';
      return;
    }
    this.intake.close();
    const deadline = Date.now() + (this.opts.stopTimeoutMs ?? MQTT_SOURCE_DEFAULTS.stopTimeoutMs);
    const drained = await this.intake.drain(deadline - Date.now());
    if (drained) await this.qos2FlowsDone(deadline);
    if (!drained) {
      this.log.warn({ source: this.name, pending: this.intake.pendingRecords }, 'mqtt: stop timed out waiting for downstream; unacknowledged messages will be redelivered');
    }
    const client = this.client;
    const link = this.link;
    this.client = null;
    this.link = null;
    if (link !== null) link.alive = false;
    if (client !== null) {
      // a normal DISCONNECT: the broker keeps the session (clean=false) and queues for us
      await new Promise<void>((resolve) => client.end(!drained, {}, () => resolve()));
      client.removeAllListeners();
      client.on('error', noop);
    }
    this.state = 'stopped';
    this.log.info({ source: this.name }, 'mqtt: stopped');
  }

  /** Waits (until `deadline`) for the broker's PUBREL to every PUBREC we sent, so mqtt.js can answer PUBCOMP. */
  private async qos2FlowsDone(deadline: number): Promise<void> {
    const link = this.link;
    if (link === null) return;
    while (link.alive && this.client?.connected === true && link.pubrels < link.acks.pubrecsTaken && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setImmediate(r)); // PUBCOMP is written while the last PUBREL is handled
  }

  health(): SourceHealth {
    switch (this.state) {
      case 'up':
        return { up: true, state: `connected to ${this.where}, subscribed to ${this.opts.topics.length} filter(s)` };
      case 'backoff':
        return { up: false, state: `reconnecting (${this.failures}): ${this.lastError}` };
      default:
        return { up: false, state: this.state };
    }
  }

  stats(): MqttSourceStats {
    return buildStats(this.opts.topics, this.n, this.intake);
  }

  private connect(): void {
    this.timer = null;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const intake = this.intake as Intake;
    this.state = 'connecting';
    this.n.connectAttempts++;
    let client: MqttClient;
    try {
      client = (this.mqttConnect as MqttConnect)(this.opts.url, { ...(this.clientOpts as IClientOptions) });
    } catch (e) {
      // a URL mqtt.js cannot use: configuration, not a transient failure
      this.onClientError(null, e);
      this.connectionDown(null, null);
      return;
    }
    const link: Link = {
      acks: new AckQueue(Math.min(this.opts.maxInflight ?? MQTT_SOURCE_DEFAULTS.maxInflight, 65_536)),
      alive: true,
      pubrels: 0,
      write: (bytes) => {
        const s = client.stream;
        if (!client.connected || s === undefined || s.destroyed) return 0;
        s.write(bytes);
        return bytes.length;
      },
    };
    this.client = client;
    this.link = link;
    installAckHooks(client, intake);
    client.on('packetreceive', (p: Packet) => {
      if (p.cmd === 'publish') {
        if (link.alive) intake.onPublish(p, link);
      } else if (p.cmd === 'pubrel') link.pubrels++;
    });
    client.on('connect', (connack) => this.onConnack(client, connack));
    client.on('error', (e) => this.onClientError(client, e));
    client.on('disconnect', (p: IDisconnectPacket) => this.onServerDisconnect(client, p));
    client.on('close', () => this.connectionDown(client, link));
  }

  private onConnack(client: MqttClient, connack: IConnackPacket): void {
    if (client !== this.client || this.state !== 'connecting') return;
    this.state = 'subscribing';
    const v5 = (this.opts.protocolVersion ?? MQTT_SOURCE_DEFAULTS.protocolVersion) === 5;
    const subs: ISubscriptionMap = {};
    for (const t of this.opts.topics) {
      // MQTT 5: retained messages only for a new subscription, not again on every reconnect
      subs[t.filter] = v5 && !isSharedFilter(t.filter) ? { qos: t.qos, rh: 1 } : { qos: t.qos };
    }
    client.subscribe(subs, (err) => {
      if (client !== this.client || this.state !== 'subscribing') return;
      if (err) {
        const e = new ShardwiseError('E_MQTT_SUBSCRIBE', `mqtt source ${this.name}: ${this.where} refused a subscription: ${scrubSecrets(err.message, this.opts)}`, { retryable: true });
        this.onClientError(client, e);
        client.end(true);
        return;
      }
      this.state = 'up';
      this.n.connects++;
      this.failures = 0;
      this.errorLogged = false;
      this.lastError = '';
      this.log.info({ source: this.name, broker: this.where, sessionPresent: connack.sessionPresent, reconnect: this.n.connects > 1 }, 'mqtt: connected and subscribed');
      this.resolveFirst();
    });
  }

  private onServerDisconnect(client: MqttClient, p: IDisconnectPacket): void {
    if (client !== this.client) return;
    // e.g. 0x8E session taken over: another client uses our clientId
    this.lastError = `server sent DISCONNECT (reason ${p.reasonCode ?? 0})`;
    this.log.warn({ source: this.name, broker: this.where, reasonCode: p.reasonCode }, 'mqtt: broker disconnected us');
  }

  private onClientError(client: MqttClient | null, e: unknown): void {
    if (client !== null && client !== this.client) return; // a late error of a dropped connection
    this.n.clientErrors++;
    const message = scrubSecrets(e instanceof Error ? e.message : String(e), this.opts);
    this.lastError = message;
    if (this.errorLogged) return; // once per burst: until the next successful connection
    this.errorLogged = true;
    const code = e instanceof ShardwiseError ? e.code : (e as { code?: unknown }).code;
    this.log.warn({ source: this.name, broker: this.where, code, error: message }, 'mqtt: connection problem');
  }

  private connectionDown(client: MqttClient | null, link: Link | null): void {
    if (client !== this.client) return;
    const wasUp = this.state === 'up';
    this.client = null;
    this.link = null;
    if (link !== null) (this.intake as Intake).linkDown(link);
    if (client !== null) {
      client.removeAllListeners();
      client.on('error', noop);
      client.end(true);
    }
    if (this.state === 'stopping' || this.state === 'stopped') return;
    if (wasUp) {
      this.n.connectionLosses++;
      this.log.warn({ source: this.name, broker: this.where }, 'mqtt: connection lost');
    }
    this.failures++;
    const delay = reconnectDelay(this.failures, this.opts.reconnect ?? MQTT_SOURCE_DEFAULTS.reconnect, this.opts.random);
    this.state = 'backoff';
    this.timer = setTimeout(() => this.connect(), delay);
    this.resolveFirst();
  }

  private onAcceptFailed(err: unknown, link: Link | null): void {
    // later batches of a connection already dropped are only counted (intake.counters.acceptFailures)
    if (link === null || link !== this.link) return;
    const message = err instanceof Error ? err.message : String(err);
    this.log.error({ source: this.name, error: message }, 'mqtt: downstream refused a batch; reconnecting so the broker redelivers it');
    this.connectionDown(this.client, link);
  }

  private resolveFirst(): void {
    const f = this.firstOutcome;
    this.firstOutcome = null;
    if (f !== null) f();
  }
}

function noop(): void {}

function urlProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
