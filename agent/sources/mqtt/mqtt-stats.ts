/** Counters of one MQTT source, for metrics and tests. */
import type { RejectReason } from '../source.ts';
import type { Intake } from './intake.ts';
import type { MqttTopicOption } from './mqtt-options.ts';

export interface ConnectionCounters {
  connectAttempts: number;
  /** Connections that reached "subscribed". */
  connects: number;
  connectionLosses: number;
  clientErrors: number;
}

export interface MqttSourceStats {
  readonly connectAttempts: number;
  /** Connections that reached "subscribed". */
  readonly connects: number;
  /** Successful connections after the first. */
  readonly reconnects: number;
  /** Established connections that dropped (not counting our own stop). */
  readonly connectionLosses: number;
  readonly clientErrors: number;
  readonly received: number;
  /** Messages per configured filter (first matching filter wins). */
  readonly receivedByFilter: Readonly<Record<string, number>>;
  readonly accepted: number;
  readonly rejected: Readonly<Partial<Record<RejectReason, number>>>;
  readonly acceptFailures: number;
  /** PUBACK + PUBREC packets written. */
  readonly acksSent: number;
  readonly pendingRecords: number;
}

export function buildStats(topics: readonly MqttTopicOption[], n: ConnectionCounters, intake: Intake | null): MqttSourceStats {
  const c = intake?.counters;
  const byFilter: Record<string, number> = {};
  topics.forEach((t, i) => (byFilter[t.filter] = c?.receivedByFilter[i] ?? 0));
  return {
    connectAttempts: n.connectAttempts,
    connects: n.connects,
    reconnects: Math.max(0, n.connects - 1),
    connectionLosses: n.connectionLosses,
    clientErrors: n.clientErrors,
    received: c?.received ?? 0,
    receivedByFilter: byFilter,
    accepted: c?.accepted ?? 0,
    rejected: Object.fromEntries(c?.rejected ?? []),
    acceptFailures: c?.acceptFailures ?? 0,
    acksSent: c?.acksSent ?? 0,
    pendingRecords: intake?.pendingRecords ?? 0,
  };
}
