/**
 * The open-loop schedule: fires each device when it is due (calendar wheel), appends its records
 * to the dispatcher's filling batch — intended time, seq, payload (or its size), hash key — and
 * draws the device's next due time. Nothing here waits on the target: a record is generated at
 * its intended time whatever happened to earlier ones.
 *
 * Offline windows: a device selected for a window (seeded, `fraction` of the fleet) that falls due
 * inside it sends nothing; the records it would have sent are counted and sent as one burst when
 * the window ends (intended time = the window's end; seqs continue, nothing is lost), and the
 * device then resumes its own schedule.
 */
import { mix3, unitOf } from '../../agent/keying/mix.ts';
import type { KeyingStrategy } from '../../agent/keying/strategy.ts';
import type { RunStats } from '../results/run-stats.ts';
import type { CalendarWheel, DueVisitor } from './calendar-wheel.ts';
import type { Arrivals, OfflineWindow } from './config.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { Fleet } from './fleet.ts';
import type { PayloadEncoder } from './payload.ts';
import type { Prng } from './prng.ts';
import type { RateProfile } from './rate-profile.ts';

export interface SchedulerParts {
  readonly fleet: Fleet;
  readonly wheel: CalendarWheel;
  readonly profile: RateProfile;
  readonly keying: KeyingStrategy;
  readonly payload: PayloadEncoder;
  readonly dispatcher: Dispatcher;
  readonly stats: RunStats;
  readonly rng: Prng;
  readonly arrivals: Arrivals;
  readonly offline: readonly OfflineWindow[];
  readonly seed: number;
  /** Global index of device 0 (worker slices). */
  readonly first: number;
  /** Whether payload bytes go into the batch (else only their size is drawn). */
  readonly withData: boolean;
  /** Wall-clock ms of run time 0 (payload timestamps). */
  readonly startWallMs: number;
  readonly maxRecords: number;
}

export class Scheduler implements DueVisitor {
  /** True once maxRecords records were generated. */
  exhausted = false;
  private readonly p: SchedulerParts;
  private readonly poisson: boolean;
  private readonly offStart: Float64Array;
  private readonly offEnd: Float64Array;
  private readonly offEndTau: Float64Array;

  constructor(parts: SchedulerParts) {
    this.p = parts;
    this.poisson = parts.arrivals === 'poisson';
    this.offStart = Float64Array.from(parts.offline, (w) => w.atMs);
    this.offEnd = Float64Array.from(parts.offline, (w) => w.atMs + w.durationMs);
    this.offEndTau = Float64Array.from(this.offEnd, (t) => parts.profile.opTime(t));
  }

  /** Generates everything due before operational time `until`. */
  run(until: number): void {
    if (!this.exhausted) this.p.wheel.drain(until, this);
  }

  fire(d: number, until: number): void {
    const due = this.p.fleet.due;
    const pending = this.p.fleet.pending;
    const interval = this.p.fleet.interval;
    const hasOffline = this.offStart.length > 0;
    while ((due[d] as number) < until && !this.exhausted) {
      const t = due[d] as number;
      if (pending !== null && (pending[d] as number) > 0) {
        const n = pending[d] as number;
        pending[d] = 0;
        for (let k = 0; k < n; k++) this.emit(d, t);
        due[d] = t + ((this.p.fleet.resume as Float32Array)[d] as number);
        continue;
      }
      if (hasOffline && pending !== null) {
        const w = this.offlineWindow(d, this.p.profile.realTime(t));
        if (w >= 0) {
          const endTau = this.offEndTau[w] as number;
          let missed = 0;
          let next = t;
          while (next < endTau) {
            missed++;
            next += this.gap(interval[d] as number);
          }
          if (missed > 65535) {
            this.p.stats.generated += missed - 65535;
            this.p.stats.droppedBacklog += missed - 65535;
            missed = 65535;
          }
          if (missed > 0) {
            pending[d] = missed;
            (this.p.fleet.resume as Float32Array)[d] = next - endTau;
            due[d] = endTau;
          } else due[d] = next;
          continue;
        }
      }
      this.emit(d, t);
      due[d] = t + this.gap(interval[d] as number);
    }
    this.p.wheel.insert(d);
  }

  private gap(mean: number): number {
    return this.poisson ? this.p.rng.exp(mean) : mean;
  }

  private offlineWindow(d: number, tMs: number): number {
    for (let w = 0; w < this.offStart.length; w++) {
      if (tMs >= (this.offStart[w] as number) && tMs < (this.offEnd[w] as number)) {
        const frac = (this.p.offline[w] as OfflineWindow).fraction;
        if (unitOf(mix3(this.p.seed ^ 0x0ff1, w, this.p.first + d)) < frac) return w;
      }
    }
    return -1;
  }

  private emit(d: number, tau: number): void {
    const p = this.p;
    const stats = p.stats;
    if (stats.generated >= p.maxRecords) {
      this.exhausted = true;
      return;
    }
    const fleet = p.fleet;
    const seq = fleet.seq[d] as number;
    fleet.seq[d] = seq + 1;
    stats.generated++;
    if (fleet.generated !== null) fleet.generated[d] = (fleet.generated[d] as number) + 1;
    const b = p.dispatcher.batchForNext();
    if (b === null) {
      stats.droppedBacklog++;
      return;
    }
    const intended = p.profile.realTime(tau);
    const i = b.length;
    b.device[i] = d;
    b.seq[i] = seq;
    b.intendedMs[i] = intended;
    const wallUs = (p.startWallMs + intended) * 1000;
    let size: number;
    if (p.withData) {
      b.reserveData(p.payload.maxBytes);
      const start = b.dataStart[i] as number;
      size = p.payload.encode(d, seq, wallUs, b.data, start);
      b.dataStart[i + 1] = start + size;
    } else {
      size = p.payload.sizeOf(d, seq, wallUs);
    }
    b.bytes[i] = size;
    stats.generatedBytes += size;
    b.keyBytes[i] = p.keying.keyInto(d, seq, size, b.hashKeys, i * 4);
    b.length = i + 1;
    p.dispatcher.appended();
  }
}
