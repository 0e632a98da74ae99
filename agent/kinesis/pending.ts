import type { ShardwiseError } from '../core/errors.ts';
import type { UserRecord } from '../core/record.ts';

/**
 * One user record inside the producer, from add() to its outcome. Its numeric fields hold small
 * integers only (V8 Smis), so a Pending is one heap object: a field that ever held a fraction or a
 * value of 2^31 or more would make V8 box every value of it in a heap number of its own (six extra
 * objects per record on the producer's hottest path).
 */
export interface Pending<T> {
  readonly rec: UserRecord;
  readonly token: T;
  /** 128-bit hash key, most significant word first, each word as an int32 (`| 0`): read it through a Uint32Array (hashWordsOf). */
  readonly h0: number;
  readonly h1: number;
  readonly h2: number;
  readonly h3: number;
  /** Data + UTF-8 partition key bytes. */
  readonly bytes: number;
  /** Monotonic time (whole ms, rounded up) after which it fails with E_TTL_EXPIRED. */
  readonly deadline: number;
  /** When it (re)entered a lane (whole ms, rounded down), for the linger deadline. */
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
