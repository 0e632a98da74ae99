/**
 * Ready-made deciders for the fault proxy: scripted outcomes for exact tests, and seeded random
 * faults for soak tests (the same seed gives the same fault sequence for the same request order).
 */
import type { Decider, EntryErrorCode, PutRecordsDecision, WholeRequestFault } from './fault-proxy.ts';

/** Forward everything unchanged. */
export const forwardAll: Decider = () => ({ kind: 'forward' });

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 'forward' decision that fails the given entry indexes with `code`. */
export function failEntries(indexes: Iterable<number>, code: EntryErrorCode = 'ProvisionedThroughputExceededException'): PutRecordsDecision {
  const failEntries = new Map<number, EntryErrorCode>();
  for (const i of indexes) failEntries.set(i, code);
  return { kind: 'forward', failEntries };
}

/** The n-th decided request gets `decisions[n]`; later ones get `then` (default: forward). */
export function scripted(decisions: readonly PutRecordsDecision[], then: Decider = forwardAll): Decider {
  return (ctx) => decisions[ctx.requestNo] ?? then(ctx);
}

export interface RandomFaultsOptions {
  seed: number;
  /** Probability that a whole request fails (default 0). */
  requestFailRate?: number;
  /** Whole-request faults to pick from, uniformly (default: http-500, http-503, throttle-request). */
  requestFaults?: readonly WholeRequestFault[];
  /** Probability that each entry of a forwarded PutRecords fails (default 0). */
  entryFailRate?: number;
  /** Entry error codes to pick from, uniformly (default: ProvisionedThroughputExceededException). */
  entryErrorCodes?: readonly EntryErrorCode[];
}

function rate(name: string, v: number | undefined): number {
  const r = v ?? 0;
  if (!(r >= 0 && r <= 1)) throw new RangeError(`randomFaults: ${name} must be within [0, 1], got ${String(v)}`);
  return r;
}

export function randomFaults(opts: RandomFaultsOptions): Decider {
  const random = seededRandom(opts.seed);
  const requestFailRate = rate('requestFailRate', opts.requestFailRate);
  const entryFailRate = rate('entryFailRate', opts.entryFailRate);
  const faults = opts.requestFaults ?? ['http-500', 'http-503', 'throttle-request'];
  const codes = opts.entryErrorCodes ?? ['ProvisionedThroughputExceededException'];
  if (faults.length === 0 || codes.length === 0) throw new RangeError('randomFaults: requestFaults and entryErrorCodes must not be empty');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  return ({ entries }) => {
    if (requestFailRate > 0 && random() < requestFailRate) return { kind: pick(faults) };
    if (entryFailRate === 0) return { kind: 'forward' };
    const fail = new Map<number, EntryErrorCode>();
    for (let i = 0; i < entries; i++) if (random() < entryFailRate) fail.set(i, pick(codes));
    return fail.size === 0 ? { kind: 'forward' } : { kind: 'forward', failEntries: fail };
  };
}
