/**
 * Rate over time as a multiplier m(t) of the peak rate, piecewise linear between profile points
 * (held before the first and after the last). The scheduler works in "operational time"
 * τ(t) = ∫₀ᵗ m: a device's arrivals are stationary in τ, so a ramp changes every device's rate
 * at once and exactly (a Poisson process stays Poisson under the time change).
 */
import type { RatePoint } from './config.ts';

export class RateProfile {
  /** Segment starts (ms), multipliers at the starts, slopes (per ms) and cumulative τ. */
  private readonly t: Float64Array;
  private readonly m: Float64Array;
  private readonly slope: Float64Array;
  private readonly tau: Float64Array;
  private readonly flat: boolean;
  private cursor = 0;

  constructor(points: readonly RatePoint[], peakPerSec: number) {
    this.flat = points.length === 0;
    const pts = points.length === 0 ? [{ atMs: 0, recordsPerSec: peakPerSec }] : points;
    const first = pts[0] as RatePoint;
    // Segment 0 holds the first rate from 0; one segment per point after it; the last is open-ended.
    const ts = [0, ...pts.map((p) => p.atMs)];
    const ms = [first.recordsPerSec, ...pts.map((p) => p.recordsPerSec)].map((r) => r / peakPerSec);
    const n = ts.length;
    this.t = Float64Array.from(ts);
    this.m = Float64Array.from(ms);
    this.slope = new Float64Array(n);
    this.tau = new Float64Array(n);
    for (let j = 0; j < n - 1; j++) {
      const len = (ts[j + 1] as number) - (ts[j] as number);
      this.slope[j] = len > 0 ? ((ms[j + 1] as number) - (ms[j] as number)) / len : 0;
      this.tau[j + 1] = (this.tau[j] as number) + (len * ((ms[j] as number) + (ms[j + 1] as number))) / 2;
    }
  }

  /** Multiplier at real time t (ms). */
  multiplierAt(tMs: number): number {
    if (this.flat) return 1;
    const j = this.segmentOfT(tMs);
    return (this.m[j] as number) + (this.slope[j] as number) * (tMs - (this.t[j] as number));
  }

  /** τ(t): operational ms elapsed by real time t. */
  opTime(tMs: number): number {
    if (this.flat) return tMs;
    const j = this.segmentOfT(tMs);
    const x = tMs - (this.t[j] as number);
    return (this.tau[j] as number) + (this.m[j] as number) * x + ((this.slope[j] as number) * x * x) / 2;
  }

  /** t(τ): the real time (ms) at which operational time τ is reached. */
  realTime(tau: number): number {
    if (this.flat) return tau;
    const j = this.segmentOfTau(tau);
    const d = tau - (this.tau[j] as number);
    const m0 = this.m[j] as number;
    const a = this.slope[j] as number;
    const x = a === 0 ? d / m0 : (2 * d) / (m0 + Math.sqrt(Math.max(0, m0 * m0 + 2 * a * d)));
    return (this.t[j] as number) + x;
  }

  private segmentOfT(tMs: number): number {
    const t = this.t;
    let j = this.cursor;
    while (j + 1 < t.length && tMs >= (t[j + 1] as number)) j++;
    while (j > 0 && tMs < (t[j] as number)) j--;
    this.cursor = j;
    return j;
  }

  private segmentOfTau(tau: number): number {
    const s = this.tau;
    let j = this.cursor;
    while (j + 1 < s.length && tau >= (s[j + 1] as number)) j++;
    while (j > 0 && tau < (s[j] as number)) j--;
    this.cursor = j;
    return j;
  }
}
