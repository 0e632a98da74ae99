/**
 * The agent's configuration: the schema (one source of truth for the type, validation,
 * defaults, masking and docs/configuration.md) and the functions `shardwise-agent` calls.
 * Defaults suit a Raspberry Pi class gateway writing to one Kinesis stream.
 */
import { hostname } from 'node:os';
import { derived, t } from './schema.ts';
import type { Infer } from './schema.ts';
import { ABSOLUTE_PATH } from './agent-config-checks.ts';
import { sources } from './agent-config-sources.ts';
import { sink } from './agent-config-sink.ts';
import { deadLetter, envelope, keying, spool } from './agent-config-pipeline.ts';
import { validate } from './validate.ts';
import type { ValidationResult } from './validate.ts';
import { loadConfigFile, parseConfigText } from './load.ts';
import type { LoadOptions } from './load.ts';
import { formatConfigYaml, maskSecrets, secretPaths } from './mask.ts';

export const agentConfigSchema = t.object('shardwise-agent configuration.', {
  gatewayId: t.string('Identifies this gateway in records (envelope), metrics and MQTT client ids.', {
    default: derived('the host name', () => hostname()),
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    patternHint: 'letters, digits, . _ : -',
    maxLength: 128,
  }),
  stateDir: t.string('Directory for state: spool, file checkpoints, key placements, dead letters.', {
    default: '/var/lib/shardwise',
    pattern: ABSOLUTE_PATH,
    patternHint: 'an absolute path',
  }),
  log: t.object('Logging (JSON lines on stdout, for journald).', {
    level: t.enumOf('Least severe level logged.', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { default: 'info' }),
    pretty: t.boolean('Human-readable logs instead of JSON (for a terminal).', { default: false }),
  }),
  sources,
  envelope,
  keying,
  sink,
  spool,
  deadLetter,
  metrics: t.object('Prometheus metrics endpoint and periodic log summary.', {
    enabled: t.boolean('Serve `/metrics`.', { default: true }),
    host: t.string('Address to listen on; `127.0.0.1` keeps it local, `0.0.0.0` exposes it.', { default: '127.0.0.1', minLength: 1 }),
    port: t.integer('TCP port.', { default: 9464, min: 1, max: 65_535 }),
    summaryInterval: t.duration('How often a one-line summary (records in/out, spool, throttles) is logged; `0` turns it off.', {
      default: '60s',
      max: '1d',
    }),
  }),
  lifecycle: t.object('Start and stop.', {
    shutdownTimeout: t.duration(
      'On SIGTERM: time to stop sources, flush in-flight requests and close the spool before exiting anyway (what is unsent stays in the spool in modes spill and always).',
      { default: '10s', min: '100ms', max: '10m' },
    ),
  }),
});

export type AgentConfig = Infer<typeof agentConfigSchema>;
export type SourceConfig = AgentConfig['sources'][number];
export type MqttSourceConfig = Extract<SourceConfig, { readonly type: 'mqtt' }>;
export type FileSourceConfig = Extract<SourceConfig, { readonly type: 'file' }>;
export type VideoSourceConfig = Extract<SourceConfig, { readonly type: 'video' }>;
export type HostSourceConfig = Extract<SourceConfig, { readonly type: 'host' }>;
export type SinkConfig = AgentConfig['sink'];
export type KinesisSinkConfig = Extract<SinkConfig, { readonly type: 'kinesis' }>;
export type EnvelopeConfig = AgentConfig['envelope'];
export type KeyingConfig = AgentConfig['keying'];
export type KeyingStrategy = KeyingConfig['strategy'];
export type SpoolConfig = AgentConfig['spool'];
export type SpoolMode = SpoolConfig['mode'];
export type DeadLetterConfig = AgentConfig['deadLetter'];
export type MetricsConfig = AgentConfig['metrics'];
export type LogConfig = AgentConfig['log'];
export type LifecycleConfig = AgentConfig['lifecycle'];

/** Validates an already-parsed object (no `${ENV}` expansion). */
export function validateAgentConfig(input: unknown): ValidationResult<AgentConfig> {
  return validate(agentConfigSchema, input);
}

/** YAML text → expanded, validated config; problems come back (with line numbers), nothing is thrown. */
export function parseAgentConfig(text: string, options?: LoadOptions): ValidationResult<AgentConfig> {
  return parseConfigText(agentConfigSchema, text, options);
}

/** `--config <file>`: reads, expands and validates; throws `ConfigError` (code E_CONFIG) listing every problem. */
export function loadAgentConfig(file: string, options?: LoadOptions): Promise<AgentConfig> {
  return loadConfigFile(agentConfigSchema, file, options);
}

/** `--check`: the effective configuration (defaults filled in) as YAML, secrets shown as `****`. */
export function formatAgentConfig(config: AgentConfig): string {
  return formatConfigYaml(agentConfigSchema, config);
}

/** A copy safe to log (secrets `****`). */
export function maskAgentConfig(config: AgentConfig): unknown {
  return maskSecrets(agentConfigSchema, config);
}

/** Secret paths in pino `redact` syntax, e.g. `sources[*].password`. */
export const agentSecretPaths: readonly string[] = secretPaths(agentConfigSchema);
