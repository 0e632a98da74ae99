/**
 * The writer's side of a segment's key dictionary (format version 2): the first record of a
 * key tuple (partition key, device id, explicit hash key) in a segment defines it under a small
 * index, later ones refer to the index. A definition is repeated (same index) once it lies more
 * than REDEFINE_AFTER_BYTES back, so damage to one definition loses at most that window of the
 * tuple's records. Indices are never reused for another tuple within a segment.
 */
import type { SpoolEntry } from './spool.ts';

/** Tuples per segment with an index; later new tuples are written in full (random keys). */
export const MAX_KEY_ENTRIES = 8192;
/** How far back (segment bytes) a definition may lie before it is repeated. */
export const REDEFINE_AFTER_BYTES = 1024 * 1024;

export const KEY_INLINE = 0;
export const KEY_DEFINE = 1;
export const KEY_REF = 2;

interface DictEntry {
  readonly index: number;
  readonly pk: string;
  readonly dev: string;
  readonly ehk: string | undefined;
  definedAt: number;
}

export class KeyDict {
  /** Set by `choose`: KEY_INLINE, KEY_DEFINE or KEY_REF, and the index (define, ref). */
  mode = KEY_INLINE;
  index = 0;
  private map = new Map<string, DictEntry>();
  private next = 0;

  /** A new segment: indices start again at 0. */
  reset(): void {
    this.map.clear();
    this.next = 0;
  }

  /**
   * A write failed and was cut off: definitions encoded since may not be on disk. Tuples are
   * defined again, under fresh indices (an index is never given two meanings in a segment).
   */
  forget(): void {
    this.map.clear();
  }

  /** Decides how the entry at segment offset `at` carries its keys (sets mode and index). */
  choose(e: SpoolEntry, at: number): void {
    const pk = e.partitionKey;
    const key = e.deviceId === pk ? pk : `${e.deviceId}\u0000${pk}`;
    const d = this.map.get(key);
    if (d !== undefined && d.pk === pk && d.dev === e.deviceId && d.ehk === e.explicitHashKey) {
      this.index = d.index;
      if (at - d.definedAt < REDEFINE_AFTER_BYTES) {
        this.mode = KEY_REF;
        return;
      }
      d.definedAt = at;
      this.mode = KEY_DEFINE;
      return;
    }
    if (this.next >= MAX_KEY_ENTRIES) {
      this.mode = KEY_INLINE;
      return;
    }
    const index = this.next++;
    this.map.set(key, { index, pk, dev: e.deviceId, ehk: e.explicitHashKey, definedAt: at });
    this.index = index;
    this.mode = KEY_DEFINE;
  }
}
