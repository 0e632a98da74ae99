/**
 * A histogram with fixed upper bounds (no labels). `observe` finds the bucket with a short linear
 * scan over a Float64Array and adds to it: no allocation. Buckets are stored per bucket and made
 * cumulative when rendered, as the exposition format wants (`_bucket{le=…}`, `+Inf`, `_sum`, `_count`).
 */
import { checkMetricName, familyHeader, formatValue } from './exposition.ts';
import type { Renderable } from './metric.ts';

/** Ingest → Kinesis-ack latency, in milliseconds. */
export const LATENCY_MS_BUCKETS: readonly number[] = [5, 10, 25, 50, 100, 150, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

export class Histogram implements Renderable {
  readonly bounds: Float64Array;
  /** Observations per bucket (not cumulative); the last slot is the +Inf overflow. */
  private readonly counts: Float64Array;
  private total = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    checkMetricName(name);
    if (buckets.length === 0) throw new RangeError(`${name}: at least one bucket bound is needed`);
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i] as number;
      if (!Number.isFinite(b)) throw new RangeError(`${name}: bucket bounds must be finite, got ${b}`);
      if (i > 0 && b <= (buckets[i - 1] as number)) throw new RangeError(`${name}: bucket bounds must increase, got ${buckets.join(', ')}`);
    }
    this.bounds = Float64Array.from(buckets);
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.total += v;
    this.count++;
  }

  /** Adds `n` observations of the same value (e.g. every record of one aggregate). */
  observeMany(v: number, n: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + n;
    this.total += v * n;
    this.count += n;
  }

  get observations(): number {
    return this.count;
  }

  get sum(): number {
    return this.total;
  }

  /** Cumulative counts per bound, +Inf last (what `_bucket` shows). */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i] as number;
      out.push(acc);
    }
    return out;
  }

  /** Smallest bound below which at least `q` of the observations fall (bucket resolution); 0 when empty. */
  quantileBound(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i] as number;
      if (acc >= target) return i < this.bounds.length ? (this.bounds[i] as number) : Number.POSITIVE_INFINITY;
    }
    return Number.POSITIVE_INFINITY;
  }

  render(): string {
    let out = familyHeader(this.name, this.help, 'histogram');
    const cum = this.cumulative();
    for (let i = 0; i < this.bounds.length; i++) {
      out += `${this.name}_bucket{le="${formatValue(this.bounds[i] as number)}"} ${formatValue(cum[i] as number)}\n`;
    }
    out += `${this.name}_bucket{le="+Inf"} ${formatValue(this.count)}\n`;
    out += `${this.name}_sum ${formatValue(this.total)}\n`;
    out += `${this.name}_count ${formatValue(this.count)}\n`;
    return out;
  }
}
