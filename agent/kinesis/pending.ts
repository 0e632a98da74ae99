import type { ShardwiseError } from '../core/errors.ts';
import type { UserRecord } from '../core/record.ts';
import { grown, SlotList } from '../core/slot-list.ts';

/**
 * One user record inside the producer, from add() to its outcome: a slot number in the producer's
 * PendingTable. Lanes, entries and requests hold these small integers, not objects.
 */
export type Pending = number;

const INITIAL_SLOTS = 1024;

/**
 * The state of every record the producer holds, one slot per record, in columns: typed arrays for
 * the numbers, and arrays of references for the partition key, the explicit hash key, the data's
 * ArrayBuffer and the caller's token. The record object and its data view are not kept: a record
 * is taken apart at add() and rebuilt (short-lived) only when an aggregate or entry is made of it.
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
  private pks: (string | undefined)[] = [];
  private ehks: (string | undefined)[] = [];
  /** The data's bytes are `bufs[p]` from `offs[p]`, `lens[p]` long. */
  private bufs: (ArrayBufferLike | undefined)[] = [];
  private offs!: Float64Array;
  private lens!: Int32Array;
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
  private readonly slots = new SlotList(INITIAL_SLOTS, { grow: (n) => this.grow(n), shrink: (n) => this.shrink(n) });

  constructor() {
    this.allocate(INITIAL_SLOTS);
  }

  /** Records held (added, not yet released). */
  get count(): number {
    return this.slots.count;
  }

  /**
   * Takes a slot for a record given as its parts (its data is `length` bytes of `buffer` from
   * `offset`) whose hash key is in `words[0..3]`.
   */
  addParts(partitionKey: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, token: T, words: Uint32Array, bytes: number, deadline: number, queuedAt: number): Pending {
    const p = this.slots.take();
    this.pks[p] = partitionKey;
    this.ehks[p] = explicitHashKey;
    this.bufs[p] = buffer;
    this.offs[p] = offset;
    this.lens[p] = length;
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
    return p;
  }

  /** Frees the slot (its record got its outcome). */
  release(p: Pending): void {
    this.pks[p] = undefined;
    this.ehks[p] = undefined;
    this.bufs[p] = undefined;
    this.tokens[p] = undefined;
    if (this.errors.size > 0) this.errors.delete(p);
    this.slots.give(p);
  }

  /** The record as added (a new object each call; its data is a view of the same bytes). */
  rec(p: Pending): UserRecord {
    return { partitionKey: this.pks[p] as string, explicitHashKey: this.ehks[p], data: this.data(p) };
  }

  /** A new view of the record's data. */
  data(p: Pending): Uint8Array {
    return new Uint8Array(this.bufs[p] as ArrayBuffer, this.offs[p], this.lens[p]);
  }

  partitionKey(p: Pending): string {
    return this.pks[p] as string;
  }

  explicitHashKey(p: Pending): string | undefined {
    return this.ehks[p];
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

  /** Nothing held: empty columns of n slots. */
  private shrink(n: number): void {
    this.pks = [];
    this.ehks = [];
    this.bufs = [];
    this.tokens = [];
    this.allocate(n);
  }

  /** Empty columns for n slots. */
  private allocate(n: number): void {
    this.hash = new Uint32Array(4 * n);
    this.size = new Int32Array(n);
    this.offs = new Float64Array(n);
    this.lens = new Int32Array(n);
    this.deadlines = new Float64Array(n);
    this.queued = new Float64Array(n);
    this.tries = new Int32Array(n);
  }

  private grow(n: number): void {
    this.hash = grown(this.hash, 4 * n);
    this.size = grown(this.size, n);
    this.offs = grown(this.offs, n);
    this.lens = grown(this.lens, n);
    this.deadlines = grown(this.deadlines, n);
    this.queued = grown(this.queued, n);
    this.tries = grown(this.tries, n);
  }
}
