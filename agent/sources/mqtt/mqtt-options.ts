/**
 * Options of one MQTT source instance (values already validated by the config layer; durations in
 * ms unless the name says Sec), their defaults, and the mapping to mqtt.js client options.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import { ShardwiseError } from '../../core/errors.ts';
import type { DeviceIdRule } from './device-id.ts';
import type { PayloadMode } from './message-decoder.ts';
import type { SourceLog } from './source-log.ts';

export interface MqttTopicOption {
  /** Topic filter, wildcards allowed; `$share/{group}/{filter}` for a shared subscription (MQTT 5). */
  readonly filter: string;
  readonly qos: 0 | 1 | 2;
}

export interface MqttReconnectOption {
  /** First delay after a lost or failed connection. */
  readonly minMs: number;
  /** Ceiling of the exponential backoff. */
  readonly maxMs: number;
}

export interface MqttSourceOptions {
  readonly name: string;
  /** mqtt://, mqtts://, ws:// or wss:// URL. Credentials in the URL are used but never logged. */
  readonly url: string;
  readonly protocolVersion?: 4 | 5;
  readonly clientId: string;
  readonly username?: string | undefined;
  /** Secret: never logged, never part of an error message. */
  readonly password?: string | undefined;
  /** PEM contents (string starting with `-----BEGIN` or a Buffer) or a file path. */
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  /** Secret: PEM contents or a file path; the contents are never logged. */
  readonly key?: string | Buffer | undefined;
  readonly rejectUnauthorized?: boolean;
  /** false (default): persistent session, the broker queues QoS 1/2 messages while we are away. */
  readonly clean?: boolean;
  /** MQTT 5: how long the broker keeps the session after a disconnect (ignored when clean). */
  readonly sessionExpirySec?: number;
  readonly keepaliveSec?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnect?: MqttReconnectOption;
  readonly topics: readonly MqttTopicOption[];
  readonly deviceId: DeviceIdRule;
  readonly payload?: PayloadMode;
  /**
   * QoS 1/2 messages received and not yet acknowledged. Sent to MQTT 5 brokers as Receive Maximum
   * (1–65535); for MQTT 3.1.1 the broker's own limit applies (mosquitto `max_inflight_messages`,
   * default 20) and this only bounds the local buffer.
   */
  readonly maxInflight?: number;
  /** Records per `Downstream.accept` call at most. */
  readonly maxBatch?: number;
  /** Larger payloads are refused (`too-large`) and acknowledged. */
  readonly maxPayloadBytes?: number;
  /** How long `stop()` waits for pending `accept` calls before closing without acking them. */
  readonly stopTimeoutMs?: number;
  readonly log?: SourceLog;
  /** [0, 1) random source for the backoff jitter (tests). */
  readonly random?: () => number;
}

export const MQTT_SOURCE_DEFAULTS = {
  protocolVersion: 5 as 4 | 5,
  rejectUnauthorized: true,
  clean: false,
  sessionExpirySec: 86_400,
  keepaliveSec: 30,
  connectTimeoutMs: 10_000,
  reconnect: { minMs: 500, maxMs: 30_000 } as MqttReconnectOption,
  payload: 'raw' as PayloadMode,
  maxInflight: 1000,
  maxBatch: 500,
  maxPayloadBytes: 1024 * 1024,
  stopTimeoutMs: 10_000,
} as const;

/** The URL without user/password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Removes every occurrence of the secrets from a message (belt and braces for third-party errors). */
export function scrubSecrets(message: string, opts: MqttSourceOptions): string {
  let out = message;
  const secrets: string[] = [];
  if (opts.password) secrets.push(opts.password);
  if (typeof opts.key === 'string' && opts.key.length > 0) secrets.push(opts.key);
  try {
    const u = new URL(opts.url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // an unparseable URL has no password we could find
  }
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('****');
  return out;
}

async function pem(what: 'ca' | 'cert' | 'key', value: string | Buffer | undefined): Promise<Buffer | undefined> {
  if (value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value;
  if (value.trimStart().startsWith('-----BEGIN')) return Buffer.from(value);
  try {
    return await readFile(value);
  } catch (e) {
    // the path is configuration, not a secret; the error's own text may only name the path
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ShardwiseError('E_CONFIG', `mqtt ${what}: cannot read ${value} (${code})`);
  }
}

/**
 * mqtt.js options: automatic reconnect off (the source runs its own backoff), no resubscribe, and
 * no `writeCache` (mqtt-packet would otherwise pre-build 65,536 two-byte Buffers for packet ids on
 * the first write: 6 MB of heap for a few bytes per PUBACK).
 */
export async function clientOptions(o: MqttSourceOptions): Promise<IClientOptions> {
  const v = o.protocolVersion ?? MQTT_SOURCE_DEFAULTS.protocolVersion;
  const clean = o.clean ?? MQTT_SOURCE_DEFAULTS.clean;
  const [ca, cert, key] = await Promise.all([pem('ca', o.ca), pem('cert', o.cert), pem('key', o.key)]);
  const maxInflight = o.maxInflight ?? MQTT_SOURCE_DEFAULTS.maxInflight;
  const opts: IClientOptions = {
    protocolVersion: v,
    clientId: o.clientId,
    clean,
    keepalive: o.keepaliveSec ?? MQTT_SOURCE_DEFAULTS.keepaliveSec,
    connectTimeout: o.connectTimeoutMs ?? MQTT_SOURCE_DEFAULTS.connectTimeoutMs,
    reconnectPeriod: 0,
    resubscribe: false,
    rejectUnauthorized: o.rejectUnauthorized ?? MQTT_SOURCE_DEFAULTS.rejectUnauthorized,
    writeCache: false,
  };
  if (o.username !== undefined) opts.username = o.username;
  if (o.password !== undefined) opts.password = o.password;
  if (ca !== undefined) opts.ca = ca;
  if (cert !== undefined) opts.cert = cert;
  if (key !== undefined) opts.key = key;
  if (v === 5) {
    opts.properties = {
      sessionExpiryInterval: clean ? 0 : (o.sessionExpirySec ?? MQTT_SOURCE_DEFAULTS.sessionExpirySec),
      receiveMaximum: Math.max(1, Math.min(65_535, maxInflight)),
    };
  }
  return opts;
}
