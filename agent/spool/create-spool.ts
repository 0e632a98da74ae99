/** The one place that picks a spool implementation from its options. */
import { FileSpool } from './file-spool.ts';
import type { SpoolDeps } from './file-spool.ts';
import { MemorySpool } from './memory-spool.ts';
import { resolveSpoolOptions } from './spool-config.ts';
import type { SpoolOptionsInput } from './spool-config.ts';
import type { Spool } from './spool.ts';

export function createSpool(input: SpoolOptionsInput, deps: SpoolDeps = {}): Spool {
  const o = resolveSpoolOptions(input);
  if (o.mode === 'memory') {
    return new MemorySpool({ maxBytes: o.maxBytes, onFull: o.onFull, maxInFlight: o.maxInFlight, clock: deps.clock, log: deps.log });
  }
  return new FileSpool(o, deps);
}
