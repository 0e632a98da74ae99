/** Exponential backoff with full jitter (AWS Architecture Blog): sleep = random(0, min(max, base · 2^attempt)). */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 10_000 };

/** `attempt` counts failures so far (1 after the first failure). `random` returns [0, 1). */
export function fullJitterDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * cap);
}
