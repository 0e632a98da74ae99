/**
 * Whole-machine CPU from /proc/stat, so a benchmark on a shared machine can say how much of the
 * cores other processes took during its window (and wait for a quiet machine before it starts).
 */
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on every common Linux build

/** Busy CPU-seconds of the whole machine so far (user, nice, system, irq, softirq, steal); NaN without /proc. */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until the machine's busy cores over a 2 s sample fall below `maxCores` (other helpers'
 * tests, a build…), at most `timeoutMs`. Returns the last sample (cores).
 */
export async function waitForQuiet(maxCores: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b0 = machineBusySeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const cores = (machineBusySeconds() - b0) / ((performance.now() - t0) / 1000);
    if (!(cores > maxCores) || Date.now() > deadline) return cores;
  }
}
