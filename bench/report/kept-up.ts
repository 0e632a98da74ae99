/**
 * Whether the target kept up with the open-loop schedule. The schedule never slows down: when the
 * target is too slow, records queue (backlog), wait past their intended time (latency from the
 * intended time grows) and are finally dropped (late or backlog full). This says so in one place.
 */
import type { RunResult } from '../results/run-result.ts';

export interface KeptUp {
  readonly ok: boolean;
  /** Records the schedule produced but never sent (late + backlog full + unfinished). */
  readonly notSent: number;
  readonly droppedLate: number;
  readonly droppedBacklog: number;
  readonly unfinished: number;
  readonly backlogMax: number;
  /** Human reason when not ok. */
  readonly reason?: string | undefined;
}

export function keptUp(r: RunResult): KeptUp {
  const c = r.counts;
  const notSent = c.droppedLate + c.droppedBacklog + c.unfinished;
  const reasons: string[] = [];
  if (c.droppedLate > 0) reasons.push(`${c.droppedLate} records dropped as too late (queued past maxLateness)`);
  if (c.droppedBacklog > 0) reasons.push(`${c.droppedBacklog} records dropped because the backlog was full`);
  if (c.unfinished > 0) reasons.push(`${c.unfinished} records still queued or in flight when the drain timeout ended the run`);
  return {
    ok: reasons.length === 0,
    notSent,
    droppedLate: c.droppedLate,
    droppedBacklog: c.droppedBacklog,
    unfinished: c.unfinished,
    backlogMax: c.backlogMax,
    reason: reasons.length > 0 ? `the target could not keep up with the schedule: ${reasons.join('; ')}` : undefined,
  };
}
