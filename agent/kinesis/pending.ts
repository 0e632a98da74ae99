import type { ShardwiseError } from '../core/errors.ts';
import type { UserRecord } from '../core/record.ts';

/**
 * One user record inside the producer, from add() to its outcome: a slot number in the producer's
 * PendingTable. Lanes, entries and requests hold these small integers, not objects.
 */
export type Pending = number;

const INITIAL_SLOTS = 1024;

/**
 * The state of every record the producer holds, one slot per record, in columns: typed arrays for
 * the numbers and two arrays of references (the record, the caller's token).
 *
 * Why not an object per record: at full speed thousands of records are in flight for tens of
 * milliseconds, longer than a small young generation (the agent runs with a 1 MiB semi-space) lives,
 * so each record's object was promoted to the old generation and collected there by mark-compacts,
 * which cost the agent more CPU than the records' own work. Columns allocate only when they grow.
 *
 * A slot is freed exactly once, when its record got its outcome (release); the caller must not use
 * the number afterwards (it is reused by the next add).
 */
export class PendingTable<T> {
  private recs: (UserRecord | undefined)[] = [];
  private tokens: (T | undefined)[] = [];
  /** Why the last attempt failed, for the TTL error (rare: only records that failed once). */
  private readonly errors = new Map<Pending, ShardwiseError>();
  /** 128-bit hash key per slot, most significant word first. */
  private hash!: Uint32Array;
  /** Data + UTF-8 partition key bytes. */
  private size!: Int32Array;
  /** Monotonic ms after which the record fails with E_TTL_EXPIRED (Infinity: no TTL). */
  private deadlines!: Float64Array;
  /** When it (re)entered a lane (monotonic ms), for the linger deadline. */
  private queued!: Float64Array;
  private tries!: Int32Array;
  private free!: Int32Array;
  private freeCount = 0;
  /** Slots ever used (the next new one). */
  private used = 0;
  private live = 0;

  constructor() {
    this.allocate(INITIAL_SLOTS);
  }

  /** Records held (added, not yet released). */
  get count(): number {
    return this.live;
  }

  /** Takes a slot for a record whose hash key is in `words[0..3]`. */
  add(rec: UserRecord, token: T, words: Uint32Array, bytes: number, deadline: number, queuedAt: number): Pending {
    let p: number;
    if (this.freeCount > 0) p = this.free[--this.freeCount] as number;
    else {
      if (this.used === this.size.length) this.grow();
      p = this.used++;
    }
    this.recs[p] = rec;
    this.tokens[p] = token;
    const h = 4 * p;
    this.hash[h] = words[0] as number;
    this.hash[h + 1] = words[1] as number;
    this.hash[h + 2] = words[2] as number;
    this.hash[h + 3] = words[3] as number;
    this.size[p] = bytes;
    this.deadlines[p] = deadline;
    this.queued[p] = queuedAt;
    this.tries[p] = 0;
    this.live++;
    return p;
  }

  /** Frees the slot (its record got its outcome). */
  release(p: Pending): void {
    this.recs[p] = undefined;
    this.tokens[p] = undefined;
    if (this.errors.size > 0) this.errors.delete(p);
    this.free[this.freeCount++] = p;
    if (--this.live === 0) this.empty();
  }

  rec(p: Pending): UserRecord {
    return this.recs[p] as UserRecord;
  }

  token(p: Pending): T {
    return this.tokens[p] as T;
  }

  bytes(p: Pending): number {
    return this.size[p] as number;
  }

  deadline(p: Pending): number {
    return this.deadlines[p] as number;
  }

  queuedAt(p: Pending): number {
    return this.queued[p] as number;
  }

  setQueuedAt(p: Pending, at: number): void {
    this.queued[p] = at;
  }

  attempts(p: Pending): number {
    return this.tries[p] as number;
  }

  countAttempt(p: Pending): void {
    this.tries[p]!++;
  }

  lastError(p: Pending): ShardwiseError | undefined {
    return this.errors.get(p);
  }

  setLastError(p: Pending, err: ShardwiseError): void {
    this.errors.set(p, err);
  }

  /** Writes the record's hash key into out[0..3]. */
  hashWords(p: Pending, out: Uint32Array): Uint32Array {
    const h = 4 * p;
    out[0] = this.hash[h] as number;
    out[1] = this.hash[h + 1] as number;
    out[2] = this.hash[h + 2] as number;
    out[3] = this.hash[h + 3] as number;
    return out;
  }

  /** Nothing held: slots start again from 0, and columns a burst grew go back to their first size. */
  private empty(): void {
    this.freeCount = 0;
    this.used = 0;
    if (this.size.length > INITIAL_SLOTS) {
      this.recs = [];
      this.tokens = [];
      this.allocate(INITIAL_SLOTS);
    }
  }

  /** Empty columns for n slots. */
  private allocate(n: number): void {
    this.hash = new Uint32Array(4 * n);
    this.size = new Int32Array(n);
    this.deadlines = new Float64Array(n);
    this.queued = new Float64Array(n);
    this.tries = new Int32Array(n);
    this.free = new Int32Array(n);
  }

  private grow(): void {
    const n = this.size.length * 2;
    this.hash = grown(this.hash, 4 * n);
    this.size = grown(this.size, n);
    this.deadlines = grown(this.deadlines, n);
    this.queued = grown(this.queued, n);
    this.tries = grown(this.tries, n);
    this.free = grown(this.free, n);
  }
}

function grown<A extends Uint32Array | Int32Array | Float64Array>(a: A, length: number): A {
  const b = new (a.constructor as new (n: number) => A)(length);
  b.set(a);
  return b;
}
