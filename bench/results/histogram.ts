/**
 * The only module that touches hdr-histogram-js. Latencies are recorded in µs, 3 significant
 * digits, 64-bit counts; histograms travel between workers as compressed base64 strings and merge
 * exactly (bucket counts add).
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly p9999: number;
  readonly max: number;
  readonly mean: number;
  readonly count: number;
}

export const SIGNIFICANT_DIGITS = 3;

export function createHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 64);
}

/** Sum of encoded histograms, encoded (empty input → an empty histogram). */
export function mergeEncoded(encoded: readonly string[]): string {
  const total = createHistogram();
  for (const e of encoded) total.add(decodeHistogram(e));
  return encodeHistogram(total);
}

/** Percentiles of a histogram recorded in µs, divided by `divisor` (1000 → ms). */
export function percentilesOf(h: Histogram, divisor = 1): Percentiles {
  const at = (p: number): number => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / divisor);
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    p9999: at(99.99),
    max: h.totalCount === 0 ? 0 : h.maxValue / divisor,
    mean: h.totalCount === 0 ? 0 : h.mean / divisor,
    count: h.totalCount,
  };
}

export function recordWithCount(h: Histogram, value: number, count: number): void {
  h.recordValueWithCount(value, count);
}
