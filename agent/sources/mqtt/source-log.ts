/**
 * The logging a source needs: pino-compatible (`logger.warn({ err }, 'message')`), so the agent can
 * pass its pino child logger. Sources log per connection event or per burst, never per record.
 */
export interface SourceLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLog: SourceLog = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
