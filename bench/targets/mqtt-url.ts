/**
 * `mqtt://HOST:PORT/TOPIC-TEMPLATE?qos=0|1&connections=N` (and `mqtts://`). The path is the topic
 * template: `{device}` is the device id, `{key}` the record's partition key (default template
 * `devices/{device}/telemetry`). Parameters:
 *
 * | name | default | meaning |
 * |---|---|---|
 * | qos | 1 | 0 (ack = written to the socket) or 1 (ack = PUBACK; many in flight per connection) |
 * | connections | 4 | pool size; a device always publishes on connection (device mod N), so its order holds |
 * | perDevice | off | one connection per device (opened when the device first sends), up to maxConnections |
 * | maxConnections | 10000 | per-device mode: devices beyond share connections (device mod maxConnections) |
 * | perAddress | 20000 | connections per local source address; beyond, 127.0.0.2, 127.0.0.3 … (loopback brokers) or `localAddresses` |
 * | localAddresses | – | comma-separated source addresses to spread connections over |
 * | clientId | shardwise-bench | client id prefix (pool); per-device connections use the device id |
 * | keepalive | 60 | seconds |
 * | insecure | off | mqtts: accept any server certificate |
 *
 * User and password come from the URL (`mqtt://user:pass@host:1883/…`).
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { UrlParams, isLoopbackHost } from './url-params.ts';

export interface MqttTargetOptions {
  readonly url: string;
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Literal parts and placeholders, alternating: [lit, slot, lit, slot, lit]. */
  readonly topic: readonly string[];
  readonly qos: 0 | 1;
  readonly connections: number;
  readonly perDevice: boolean;
  readonly maxConnections: number;
  readonly perAddress: number;
  readonly localAddresses: readonly string[];
  readonly clientId: string;
  readonly keepalive: number;
  readonly insecure: boolean;
}

const KNOWN = ['qos', 'connections', 'perDevice', 'maxConnections', 'perAddress', 'localAddresses', 'clientId', 'keepalive', 'insecure'] as const;

export function parseMqttUrl(url: string): MqttTargetOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ShardwiseError('E_CONFIG', `mqtt target: not a URL: ${url}`);
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new ShardwiseError('E_CONFIG', `mqtt target: expected mqtt:// or mqtts://, got ${url}`);
  const secure = u.protocol === 'mqtts:';
  const p = new UrlParams(`mqtt target ${url.replace(/:[^:@/]*@/, ':****@')}`, u.searchParams, KNOWN);
  const template = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'devices/{device}/telemetry';
  const topic = compileTopic(template, p);
  if (u.hash !== '') p.problem(`"#" starts a URL fragment (${JSON.stringify(u.hash)} was cut off): a topic to publish to cannot contain # anyway`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const perAddress = p.number('perAddress', 20_000, 1, 65_000, true);
  const localAddresses = (p.string('localAddresses') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const options: MqttTargetOptions = {
    url,
    secure,
    host,
    port: u.port === '' ? (secure ? 8883 : 1883) : Number(u.port),
    username: u.username === '' ? undefined : decodeURIComponent(u.username),
    password: u.password === '' ? undefined : decodeURIComponent(u.password),
    topic,
    qos: p.oneOf('qos', ['0', '1'], '1') === '0' ? 0 : 1,
    connections: p.number('connections', 4, 1, 100_000, true),
    perDevice: p.flag('perDevice', false),
    maxConnections: p.number('maxConnections', 10_000, 1, 10_000_000, true),
    perAddress,
    localAddresses,
    clientId: p.string('clientId') ?? 'shardwise-bench',
    keepalive: p.number('keepalive', 60, 0, 65_535, true),
    insecure: p.flag('insecure', false),
  };
  if (options.perDevice && localAddresses.length === 0 && !isLoopbackHost(host) && options.maxConnections > perAddress) {
    p.problem(`maxConnections ${options.maxConnections} > perAddress ${perAddress} to a non-loopback broker: give localAddresses=a,b,… (one source address per ${perAddress} connections)`);
  }
  p.done();
  return options;
}

/** `devices/{device}/telemetry` → ['devices/', 'device', '/telemetry']. */
function compileTopic(template: string, p: UrlParams): string[] {
  const parts: string[] = [];
  let at = 0;
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1] ?? '';
    if (name !== 'device' && name !== 'key') p.problem(`topic template ${JSON.stringify(template)}: {${name}} is neither {device} nor {key}`);
    parts.push(template.slice(at, m.index), name);
    at = (m.index ?? 0) + m[0].length;
  }
  parts.push(template.slice(at));
  if (/[+#]/.test(template)) p.problem(`topic template ${JSON.stringify(template)}: a topic to publish to cannot contain + or #`);
  return parts;
}

/**
 * The source address of connection `c`: the default route for the first `perAddress`
 * connections, then the next address (explicit list, or 127.0.0.2, 127.0.0.3 … for a loopback broker).
 */
export function localAddressOf(o: MqttTargetOptions, c: number): string | undefined {
  const a = Math.floor(c / o.perAddress);
  if (o.localAddresses.length > 0) return o.localAddresses[a % o.localAddresses.length];
  if (a === 0 || !isLoopbackHost(o.host)) return undefined;
  if (a > 253) throw new ShardwiseError('E_CONFIG', `mqtt target: connection ${c} needs loopback source address #${a}, beyond 127.0.0.254 (raise perAddress)`);
  return `127.0.0.${1 + a}`;
}
