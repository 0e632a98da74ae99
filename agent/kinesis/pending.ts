import type { ShardwiseError } from '../core/errors.ts';
import type { UserRecord } from '../core/record.ts';

/** One user record inside the producer, from add() to its outcome. */
export interface Pending<T> {
  readonly rec: UserRecord;
  readonly token: T;
  /** 128-bit hash key, most significant word first. */
  readonly h0: number;
  readonly h1: number;
  readonly h2: number;
  readonly h3: number;
  /** Data + UTF-8 partition key bytes. */
  readonly bytes: number;
  /** Monotonic time after which it fails with E_TTL_EXPIRED. */
  readonly deadline: number;
  /** When it (re)entered a lane, for the linger deadline. */
  queuedAt: number;
  attempts: number;
  /** Why the last attempt failed, for the TTL error. */
  lastError?: ShardwiseError | undefined;
}

/** Writes the record's hash key into out[0..3]. */
export function hashWordsOf<T>(p: Pending<T>, out: Uint32Array): Uint32Array {
  out[0] = p.h0;
  out[1] = p.h1;
  out[2] = p.h2;
  out[3] = p.h3;
  return out;
}
