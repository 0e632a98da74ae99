/**
 * The agent's logger: pino, JSON lines on stdout (journald adds the timestamp and unit), level from
 * the config, secrets redacted by path. `log.pretty: true` prints human-readable lines instead
 * (for a terminal; no extra dependency). Nothing in the agent logs per record: repeated errors go
 * through `BurstLogger`.
 */
import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import { prettyDestination } from './pretty.ts';

export type { Logger } from 'pino';

/**
 * Always redacted, at the top level and one or two levels down (pino paths): credentials a config
 * object, an error or an HTTP request may carry. Config-declared secrets come in `redactPaths`.
 */
const SECRET_KEYS = ['password', 'secretAccessKey', 'sessionToken', 'key', 'privateKey', 'token', 'authorization', 'Authorization'];

export const DEFAULT_REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'req.headers.cookie',
];

export const REDACTED = '****';

export interface LoggerOptions {
  /** From `log.level`. Default `info`. */
  readonly level?: LevelWithSilent | undefined;
  /** From `log.pretty`. Default false (JSON). */
  readonly pretty?: boolean | undefined;
  /** Fields on every line, e.g. `{ gatewayId }`. */
  readonly base?: Readonly<Record<string, unknown>> | undefined;
  /** More paths to redact, e.g. `agentSecretPaths` from the config schema (`sources[*].password`). */
  readonly redactPaths?: readonly string[] | undefined;
  /** Where lines go (tests); default stdout. */
  readonly destination?: DestinationStream | undefined;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const paths = [...new Set([...DEFAULT_REDACT_PATHS, ...(options.redactPaths ?? [])])];
  const out = options.destination ?? (options.pretty ? prettyDestination(process.stdout) : pino.destination({ fd: 1, sync: true }));
  return pino(
    {
      level: options.level ?? 'info',
      base: { ...(options.base ?? {}) },
      redact: { paths, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    out,
  );
}

/**
 * Adapter for stages that take `(level, msg, fields)` (the spool's SpoolLog) rather than pino's
 * `(fields, msg)` (the sources' SourceLog, which a pino logger satisfies directly).
 */
export function levelLog(logger: Logger): (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Readonly<Record<string, unknown>>) => void {
  return (level, msg, fields) => logger[level](fields ?? {}, msg);
}
