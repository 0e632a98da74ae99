/**
 * The spool: the one durable point between keying and aggregation (see docs/durability.md).
 *
 * Life cycle: `open()` (recovery) → any number of `append` / `read` / `ack` → `close()`.
 * Order: `read` hands entries out strictly in append order (ids ascending), so a device's
 * records are replayed in the order they arrived and live records queue behind the backlog.
 * Ids are numbers that only grow, also across restarts of a durable spool.
 *
 * There is no `release(id)`: the send stage retries failed records itself (through the
 * limiter) and acks them once accepted, or acks a record it gives up on after counting it.
 * Entries handed out and never acked come back only after a restart (new instance, same dir).
 */

/** One record as it waits between keying and aggregation. */
export interface SpoolEntry {
  readonly partitionKey: string;
  /** Decimal 128-bit hash key (ASCII), when keying chose one. */
  readonly explicitHashKey?: string | undefined;
  /** Not copied by `append`: the caller must not change it afterwards. */
  readonly data: Uint8Array;
  readonly deviceId: string;
  /** Wall-clock ms since the epoch when the agent took the record in. */
  readonly ingestTime: number;
}

/** An entry handed out by `read`, with the id to `ack` once Kinesis accepted it. */
export interface SpoolItem extends SpoolEntry {
  readonly id: number;
}

/** Takes entries from `Spool.readTo`: a `SpoolItem`'s fields, with `data` as `length` bytes of `buffer` from `offset`. */
export interface SpoolSink {
  take(id: number, partitionKey: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, deviceId: string, ingestTime: number): void;
}

/** Hands every item to `sink` as its parts (the fallback for entries that exist as items anyway). */
export function itemsTo(items: readonly SpoolItem[], sink: SpoolSink): number {
  for (const it of items) sink.take(it.id, it.partitionKey, it.explicitHashKey, it.data.buffer, it.data.byteOffset, it.data.length, it.deviceId, it.ingestTime);
  return items.length;
}

/**
 * A sink in front of another that first tells the spool's tracker the entry is handed out; one per
 * spool, reused by every `readTo`.
 */
export class HandOutRelay implements SpoolSink {
  private to: SpoolSink | undefined;
  /** Id of the last entry relayed by the last `read`, -1 when none. */
  lastId = -1;
  constructor(private readonly tracker: { handOut(id: number, ingestTime: number): void }) {}

  /** Hands up to `max` entries of `queue` to `sink`, each marked handed out first; returns how many. */
  read(queue: { readTo(sink: SpoolSink, max: number): number }, sink: SpoolSink, max: number): number {
    this.to = sink;
    this.lastId = -1;
    try {
      return queue.readTo(this, max);
    } finally {
      this.to = undefined;
    }
  }

  take(id: number, partitionKey: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, deviceId: string, ingestTime: number): void {
    this.tracker.handOut(id, ingestTime);
    this.lastId = id;
    (this.to as SpoolSink).take(id, partitionKey, explicitHashKey, buffer, offset, length, deviceId, ingestTime);
  }
}

export type SpoolMode = 'always' | 'spill' | 'memory';
export type FsyncPolicy = 'batch' | 'interval' | 'never';
export type OnFull = 'block' | 'drop-oldest' | 'drop-newest';

/** Why records were lost; stable strings used as metric labels. */
export type DropReason =
  /** maxBytes reached with onFull=drop-oldest: whole oldest segments (or memory records) deleted. */
  | 'full-drop-oldest'
  /** maxBytes reached with onFull=drop-newest (or drop-oldest with nothing old left to delete). */
  | 'full-drop-newest'
  /** One entry larger than the spool could ever hold. */
  | 'too-large'
  /** The filesystem said ENOSPC/EDQUOT and onFull is not block. */
  | 'disk-full'
  /** The filesystem said EROFS and onFull is not block. */
  | 'read-only'
  /** Any other write error while onFull is not block. */
  | 'io-error'
  /** Lost to a bad header or CRC found at recovery or during replay (or a key definition lost so). */
  | 'corrupt'
  /** Memory mode: records still held when the spool closed. */
  | 'closed-in-memory';

export const DROP_REASONS: readonly DropReason[] = [
  'full-drop-oldest',
  'full-drop-newest',
  'too-large',
  'disk-full',
  'read-only',
  'io-error',
  'corrupt',
  'closed-in-memory',
];

/** What `append` did with the entries it was given (appended + dropped = entries.length). */
export interface AppendResult {
  readonly appended: number;
  readonly dropped: number;
}

/** What `open()` found. All zero for a memory spool or an empty directory. */
export interface RecoveryReport {
  /** Segment files kept for replay. */
  readonly segments: number;
  /** Records not yet acknowledged, to be replayed (an upper bound when verify is `tail`). */
  readonly records: number;
  readonly bytes: number;
  /** The persisted low-water mark: every id below it was acknowledged. */
  readonly lowWaterMark: number;
  /** The id the next appended entry gets. */
  readonly nextId: number;
  /** Bytes cut from torn segment tails (a write interrupted by a crash). */
  readonly tornBytes: number;
  /** File names renamed to `*.corrupt` (bad header, or CRC errors followed by good records). */
  readonly quarantined: readonly string[];
  /** Records known lost to corruption (from sequence gaps); 0 when unknown. */
  readonly skippedRecords: number;
  /** Bytes that could not be read back as records (corrupt regions, bad segments). */
  readonly skippedBytes: number;
  /** Fully acknowledged segments removed at open. */
  readonly deletedSegments: number;
  /** The cursor file was missing or unreadable while segments existed: replay starts at the oldest segment. */
  readonly cursorReset: boolean;
}

export interface SpoolStats {
  readonly mode: SpoolMode;
  /** Records appended and not yet acknowledged or dropped (disk, memory and writes in progress). */
  readonly records: number;
  /** Bytes held: segment files + memory + writes in progress (framed size). */
  readonly bytes: number;
  readonly diskBytes: number;
  readonly memoryBytes: number;
  readonly segments: number;
  /** Now minus the ingest time of the oldest unacknowledged record; 0 when empty. */
  readonly oldestRecordAgeMs: number;
  /** Handed out by `read` and not yet acknowledged. */
  readonly inFlight: number;
  /** Every id below it is acknowledged (or dropped). */
  readonly lowWaterMark: number;
  readonly appendedRecords: number;
  readonly ackedRecords: number;
  /** Everything written to the spool directory: segments, headers and cursor files (SD-card wear). */
  readonly diskBytesWritten: number;
  readonly fsyncs: number;
  /** Appends waiting for space (onFull=block, or writes lagging behind). */
  readonly blockedAppends: number;
  readonly drops: Readonly<Record<DropReason, number>>;
  /** Failed filesystem calls by errno code (ENOSPC, EROFS, EIO, ...). */
  readonly ioErrors: Readonly<Record<string, number>>;
  /** False while writes fail (disk full, read-only): the spool retries and recovers by itself. */
  readonly diskHealthy: boolean;
  /** Segment files open() renamed to `*.corrupt` (their lost records are counted as `corrupt` drops). */
  readonly quarantinedSegments: number;
}

/** How the caller's input behaves, so the spool can choose the cheapest safe place for it. */
export interface AppendOptions {
  /**
   * The input still holds these records and can be read again (a file on disk, not an MQTT
   * message). Spill mode then makes the append wait for memory instead of writing to disk while
   * the sink is healthy: the file is the buffer, and the SD card is spared. While the sink is
   * unhealthy such records are spilled like any other (a rotated file may be deleted meanwhile).
   */
  readonly replayable?: boolean;
}

export interface SpoolCapabilities {
  /** Entries survive a restart (close + open of a new instance on the same directory). */
  readonly durable: boolean;
}

export interface Spool {
  readonly mode: SpoolMode;
  readonly capabilities: SpoolCapabilities;
  /** Recovers what a previous run left; must be called once before anything else. */
  open(): Promise<RecoveryReport>;
  /**
   * Takes entries in order. Resolves once they are held as durably as the mode and fsync policy
   * promise (the moment a source may acknowledge upstream), or counted as dropped. With
   * onFull=block it stays pending until there is room (the backpressure signal). Rejects with
   * E_SPOOL_CLOSED after close(). Neither the array nor the data may change until it settles.
   */
  append(entries: readonly SpoolEntry[], opts?: AppendOptions): Promise<AppendResult>;
  /**
   * Optional: resolves once an append with `opts` would be taken without waiting for room (nothing
   * queued before it and, for replayable input, the memory tail at most half full); undefined when
   * that is already so. Lets a source wait before it builds records rather than while holding them.
   */
  whenRoom?(opts?: AppendOptions): Promise<void> | undefined;
  /** Up to `max` entries not yet handed out, oldest first; [] when none is ready. */
  read(max: number): Promise<SpoolItem[]>;
  /**
   * Optional: `read` without an item per entry. Hands up to `max` entries not yet handed out to
   * `sink.take`, oldest first, as their parts (the data as a range of its buffer, no view), and
   * resolves with how many. `take` must not call back into the spool (no `ack` from inside it).
   */
  readTo?(max: number, sink: SpoolSink): Promise<number>;
  /** Resolves true once `read` has something, false once the spool is closed. */
  waitForData(): Promise<boolean>;
  /** Kinesis accepted this entry; any order. Unknown or repeated ids are ignored. */
  ack(id: number): void;
  /**
   * The send stage says whether Kinesis keeps up (false while it is unreachable or throttling).
   * Spill mode writes to disk while it is false; other modes ignore it.
   */
  setSinkHealthy(healthy: boolean): void;
  /** Refuses new appends, writes out what it must, persists the cursor, closes files. */
  close(): Promise<void>;
  stats(): SpoolStats;
}
