/**
 * Reconnect delays: a step that doubles from `minMs` up to `maxMs`, with "equal jitter" (a delay
 * drawn in [step/2, step], never below `minMs`), so a fleet of gateways that lost the same broker
 * does not reconnect in lock step.
 */
import type { MqttReconnectOption } from './mqtt-options.ts';

/** `failures` counts consecutive failed or lost connections (1 after the first). */
export function reconnectDelay(failures: number, opts: MqttReconnectOption, random: () => number = Math.random): number {
  const step = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.max(opts.minMs, Math.round(step / 2 + random() * (step / 2)));
}
