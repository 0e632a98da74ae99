/** Schema of the MQTT source (`sources[]` with `type: mqtt`). */
import { derived, t } from './schema.ts';
import { FIELD_PATH, FIELD_PATH_HINT, NAME, NAME_HINT, checkTopicFilter, checkTopicTemplate } from './agent-config-checks.ts';

export const sourceName = t.string('Unique name of this source, used in metrics, logs and the envelope.', {
  pattern: NAME,
  patternHint: NAME_HINT,
  maxLength: 64,
});

const topic = t.object('A subscription.', {
  filter: t.string(
    'MQTT topic filter; `+` matches one level, `#` the rest. Shared subscriptions (`$share/<group>/<filter>`) spread messages over several gateways.',
    { check: checkTopicFilter },
  ),
  qos: t.enumOf(
    'Subscription QoS. 1 or 2 with `clean: false` means the broker keeps messages while the gateway is away, and a message is acknowledged (PUBACK) only once the spool holds it.',
    [0, 1, 2],
    { default: 1 },
  ),
});

export const mqttSource = t.object(
  'Subscribes to an MQTT broker (Mosquitto, EMQX, HiveMQ, AWS IoT…). Messages are acknowledged only once spooled, so with QoS 1/2 and a persistent session nothing is lost when the gateway restarts.',
  {
    name: sourceName,
    url: t.string('Broker URL.', {
      pattern: /^(mqtts?|wss?):\/\/[^\s/]+/,
      patternHint: 'an mqtt://, mqtts://, ws:// or wss:// URL with a host',
    }),
    protocolVersion: t.enumOf('MQTT protocol version: 4 is MQTT 3.1.1 (every broker), 5 is MQTT 5.', [4, 5], { default: 4 }),
    clientId: t.string('Client identifier; must be stable for a persistent session (`clean: false`).', {
      default: derived('shardwise-<gatewayId>-<name>', (root, parent) => `shardwise-${(root as { gatewayId: string }).gatewayId}-${String(parent['name'])}`),
      minLength: 1,
      maxLength: 256,
    }),
    username: t.string('User name for the broker.', { optional: true }),
    password: t.string('Password for the broker; use `${MQTT_PASSWORD}` rather than writing it in the file.', {
      optional: true,
      secret: true,
    }),
    ca: t.string('PEM file of the certificate authority to trust (mqtts:// and wss://).', { optional: true }),
    cert: t.string('PEM file of the client certificate (mutual TLS, e.g. AWS IoT); needs `key`.', { optional: true }),
    key: t.string('PEM file of the client private key; needs `cert`.', { optional: true }),
    rejectUnauthorized: t.boolean('Verify the broker certificate. Turn off only for a test broker.', { default: true }),
    clean: t.boolean(
      'Start a clean session. `false` (the default) keeps a persistent session: the broker queues QoS 1/2 messages while the gateway is offline.',
      { default: false },
    ),
    sessionExpiry: t.duration(
      'MQTT 5 only: how long the broker keeps the session after a disconnect (with `clean: false`). Ignored with protocol version 4, where a persistent session never expires.',
      { default: '1d', max: 4_294_967_295_000 },
    ),
    keepalive: t.duration('Keep-alive interval; `0` turns it off.', { default: '30s', max: '65535s' }),
    reconnect: t.object(
      'Reconnection backoff: the delay doubles from `minMs` up to `maxMs`, with jitter.',
      {
        minMs: t.duration('First reconnection delay.', { default: '1s', min: '10ms' }),
        maxMs: t.duration('Longest reconnection delay.', { default: '30s', min: '10ms' }),
      },
      { check: (v, report) => (v.minMs > v.maxMs ? report('must not exceed reconnect.maxMs', 'minMs') : undefined) },
    ),
    topics: t.array('Subscriptions.', topic, { minItems: 1 }),
    deviceId: t.oneOf('Where the device id comes from.', {
      fromTopic: t.string('Topic template locating the device id, e.g. `devices/{device}/telemetry`: exactly one level holds `{device}` (optionally with a literal prefix/suffix such as `dev-{device}`); other levels are literal, `+` (any) or a final `#`.', {
        check: checkTopicTemplate,
      }),
      fromField: t.string('Field of the JSON payload holding the device id, e.g. `meta.deviceId` (needs `payload: json`).', {
        pattern: FIELD_PATH,
        patternHint: FIELD_PATH_HINT,
      }),
    }),
    payload: t.enumOf(
      'How messages are read: `raw` passes the bytes through untouched; `json` parses each message (invalid JSON goes to the dead-letter file) so fields can drive the device id and keying.',
      ['raw', 'json'],
      { default: 'raw' },
    ),
    maxInflight: t.integer('Most messages received but not yet spooled and acknowledged (MQTT 5: sent as Receive Maximum).', {
      default: 100,
      min: 1,
      max: 65_535,
    }),
  },
  {
    check: (v, report) => {
      if ((v.cert === undefined) !== (v.key === undefined)) report('cert and key go together', v.cert === undefined ? 'cert' : 'key');
      const tls = /^(mqtts|wss):/.test(v.url);
      for (const k of ['ca', 'cert', 'key'] as const) {
        if (v[k] !== undefined && !tls) report(`${k} is only used with mqtts:// or wss:// URLs`, k);
      }
      if ('fromField' in v.deviceId && v.payload !== 'json') report('deviceId.fromField needs payload: json', 'deviceId', 'fromField');
    },
  },
);
