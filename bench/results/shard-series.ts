/**
 * Per-shard, per-second counters: user records, Kinesis records (aggregates count once), bytes
 * written (what the shard's byte limit sees), throttled and failed user records. Rows are seconds
 * since the run started; columns grow when a shard index beyond the current width appears (a
 * reshard during the run).
 */

export const COL_RECORDS = 0;
export const COL_KINESIS_RECORDS = 1;
export const COL_BYTES = 2;
export const COL_THROTTLED = 3;
export const COL_FAILED = 4;
export const SERIES_COLUMNS = ['records', 'kinesisRecords', 'bytes', 'throttled', 'failed'] as const;
const C = SERIES_COLUMNS.length;

/** The portable form: `data[(second × shards + shard) × 5 + column]`. */
export interface EncodedSeries {
  readonly seconds: number;
  readonly shards: number;
  readonly data: Float64Array;
}

export class ShardSeries {
  private rows: Float64Array[] = [];
  private width: number;

  constructor(shards: number) {
    this.width = Math.max(1, shards);
  }

  get shards(): number {
    return this.width;
  }

  get seconds(): number {
    return this.rows.length;
  }

  /** The row of second `sec` (created on first use); index it with (shard × 5 + column). */
  row(sec: number, shard: number): Float64Array {
    if (shard >= this.width) this.widen(shard + 1);
    while (this.rows.length <= sec) this.rows.push(new Float64Array(this.width * C));
    return this.rows[sec] as Float64Array;
  }

  add(sec: number, shard: number, col: number, v: number): void {
    const r = this.row(sec, shard);
    const i = shard * C + col;
    r[i] = (r[i] as number) + v;
  }

  get(sec: number, shard: number, col: number): number {
    return this.rows[sec]?.[shard * C + col] ?? 0;
  }

  encode(): EncodedSeries {
    const data = new Float64Array(this.rows.length * this.width * C);
    this.rows.forEach((r, s) => data.set(r, s * this.width * C));
    return { seconds: this.rows.length, shards: this.width, data };
  }

  static decode(e: EncodedSeries): ShardSeries {
    const s = new ShardSeries(e.shards);
    for (let sec = 0; sec < e.seconds; sec++) s.rows.push(e.data.slice(sec * e.shards * C, (sec + 1) * e.shards * C));
    return s;
  }

  /** Adds another series cell by cell (exact: sums of counts). */
  addAll(other: ShardSeries): void {
    if (other.width > this.width) this.widen(other.width);
    for (let sec = 0; sec < other.rows.length; sec++) {
      const src = other.rows[sec] as Float64Array;
      const dst = this.row(sec, 0);
      for (let i = 0; i < src.length; i++) dst[i] = (dst[i] as number) + (src[i] as number);
    }
  }

  private widen(width: number): void {
    this.rows = this.rows.map((r) => {
      const w = new Float64Array(width * C);
      w.set(r);
      return w;
    });
    this.width = width;
  }
}
