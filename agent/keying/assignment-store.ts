/**
 * Persisted device → shard assignments of the balanced strategy, so a restart keeps every device
 * on its shard (and per-device order across the restart).
 */

export interface SnapshotShard {
  readonly id: string;
  /** Decimal hash keys, so a snapshot taken before a reshard can still be followed into children. */
  readonly start: string;
  readonly end: string;
}

export interface AssignmentSnapshot {
  /** The shard map the assignments refer to. */
  readonly shards: readonly SnapshotShard[];
  /** Device ids by device index; null for a dense bench fleet (device index = identity). */
  readonly deviceIds: readonly string[] | null;
  /** Index into `shards` per device, −1 when unassigned; length = device count. */
  readonly shardOfDevice: Int32Array;
}

export interface AssignmentStore {
  /** The last saved snapshot, or undefined when none was ever saved. Corruption throws (never silently resets). */
  load(): Promise<AssignmentSnapshot | undefined>;
  /** Replaces the saved snapshot atomically (a crash leaves the old or the new one, never a mix). */
  save(snapshot: AssignmentSnapshot): Promise<void>;
}

/** Keeps the snapshot in memory (tests, bench). */
export class MemoryAssignmentStore implements AssignmentStore {
  private snapshot: AssignmentSnapshot | undefined;
  saves = 0;

  async load(): Promise<AssignmentSnapshot | undefined> {
    const s = this.snapshot;
    return s === undefined ? undefined : { shards: s.shards, deviceIds: s.deviceIds, shardOfDevice: s.shardOfDevice.slice() };
  }

  async save(snapshot: AssignmentSnapshot): Promise<void> {
    this.saves++;
    this.snapshot = { shards: snapshot.shards, deviceIds: snapshot.deviceIds, shardOfDevice: snapshot.shardOfDevice.slice() };
  }
}
