/**
 * What the scanners and the replay reader need of a segment's frame format, whatever its
 * version (record-codec.ts writes version 2; record-codec-v1.ts still reads version 1).
 */
import type { SpoolItem } from './spool.ts';

/** Largest body accepted when reading back: a 1 MiB record plus keys, with room to spare. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Largest whole frame any version can declare (body + length prefix + CRC). */
export const MAX_FRAME_BYTES = MAX_BODY_BYTES + 8;

/** The keys of a record, shared by every record of a segment that refers to them. */
export interface KeyTuple {
  readonly partitionKey: string;
  readonly deviceId: string;
  readonly explicitHashKey: string | undefined;
}

/**
 * Key definitions met while reading one segment (version 2), by index. An index is never
 * reused for a different tuple within a segment, so a definition lost to damage can only
 * leave a reference unresolved (counted as corrupt), never resolve it to the wrong keys.
 */
export class KeyTable {
  private entries: (KeyTuple | undefined)[] = [];

  get(index: number): KeyTuple | undefined {
    return this.entries[index];
  }

  set(index: number, t: KeyTuple): void {
    // indices grow one by one; a hole (a definition lost to damage) stays undefined
    while (this.entries.length < index) this.entries.push(undefined);
    this.entries[index] = t;
  }

  clear(): void {
    this.entries = [];
  }
}

export interface FrameCodec {
  readonly version: number;
  /** Bytes a frame needs before `check` can say more than "incomplete". */
  readonly minHeader: number;
  /**
   * Checks the frame at `p` within buf[p, end): its total length (prefix, CRC and body) when
   * complete and intact, -1 when it runs past `end`, -2 when it is invalid (length, CRC, layout).
   */
  check(buf: Buffer, p: number, end: number): number;
  /** Total length the frame at `p` declares, or -1 when its length prefix is unreadable. */
  declared(buf: Buffer, p: number, end: number): number;
  /** Sequence delta (id − segment base id) of a checked frame. */
  seqDelta(buf: Buffer, p: number): number;
  /** Ingest time of a checked frame; `timeBase` is the segment header's time. */
  ingestTime(buf: Buffer, p: number, timeBase: number): number;
  /** Records the key definition a checked frame carries, if any (frames skipped, not decoded). */
  learn(buf: Buffer, p: number, keys: KeyTable): void;
  /**
   * Decodes a checked frame of length `total`; data is copied so the read buffer can be reused.
   * Undefined when it refers to a key definition that was lost (damage before it).
   */
  decode(buf: Buffer, p: number, total: number, baseId: number, timeBase: number, keys: KeyTable): SpoolItem | undefined;
}
