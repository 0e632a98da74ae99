/**
 * The bench engine: fleet → open-loop schedule → keying → batches → target → results.
 *
 * - real mode: wall clock; every `stepMs` it generates what is due and dispatches; latency is
 *   measured from each record's intended time (no coordinated omission).
 * - virtual mode: no sleeping; the run clock jumps step by step (and over idle stretches), the
 *   target models time itself (`doneAtMs`): a fleet of millions is keyed and modelled in seconds.
 *
 * A run can be split over workers by device index range (fleet.first/devices of fleet.total):
 * each part produces a RunResult and `mergeResults` adds them exactly (see workers.ts).
 */
import type { Clock } from '../../agent/core/clock.ts';
import { systemClock } from '../../agent/core/clock.ts';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { createKeying } from '../../agent/keying/create-keying.ts';
import type { AssignmentStore } from '../../agent/keying/assignment-store.ts';
import type { BalancedKeying } from '../../agent/keying/balanced-keying.ts';
import type { KeyingStrategy } from '../../agent/keying/strategy.ts';
import type { ShardMap } from '../../agent/kinesis/shard-map.ts';
import type { RunResult } from '../results/run-result.ts';
import { RunStats } from '../results/run-stats.ts';
import type { Target, TargetDescription } from '../targets/target.ts';
import { DeviceAttributes } from './attributes.ts';
import { CalendarWheel } from './calendar-wheel.ts';
import { resolveEngineConfig } from './config.ts';
import type { EngineConfig, EngineInput } from './config.ts';
import { DevicePattern } from './device-pattern.ts';
import { Dispatcher } from './dispatcher.ts';
import { Fleet } from './fleet.ts';
import { buildKeyTable } from './key-tables.ts';
import { createPayloadEncoder } from './payload.ts';
import { Prng } from './prng.ts';
import { RateProfile } from './rate-profile.ts';
import { RunClock } from './run-clock.ts';
import { Scheduler } from './scheduler.ts';
import { takeProgress } from './progress.ts';
import type { Progress } from './progress.ts';

export type { Progress } from './progress.ts';

export interface EngineOptions {
  readonly target: Target;
  /** Wall clock for real mode (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Called about once per run-clock second (progress output is just a listener). */
  readonly onProgress?: ((p: Progress) => void) | undefined;
  /**
   * Balanced keying only: device → shard assignments are restored from here before the run (when
   * saved before) and saved after it, so consecutive runs keep their placement.
   */
  readonly assignments?: AssignmentStore | undefined;
}

/** At most this many empty wheel buckets are scanned per idle jump in virtual mode. */
const IDLE_SCAN_BUCKETS = 4096;

export class Engine {
  readonly config: EngineConfig;
  readonly fleet: Fleet;
  readonly ids: DevicePattern;
  readonly attributes: DeviceAttributes;
  private readonly target: Target;
  private readonly clock: RunClock;
  private readonly onProgress: ((p: Progress) => void) | undefined;
  private readonly assignments: AssignmentStore | undefined;
  private description: TargetDescription | undefined;
  private keyingStrategy: KeyingStrategy | undefined;
  private keyTableBytes = 0;

  constructor(input: EngineInput | EngineConfig, options: EngineOptions) {
    const config = resolveEngineConfig(input as EngineInput);
    this.config = config;
    this.target = options.target;
    this.onProgress = options.onProgress;
    this.assignments = options.assignments;
    if (config.mode === 'virtual' && !options.target.capabilities.virtualTime) {
      throw new ShardwiseError('E_CONFIG', `mode: virtual: target ${options.target.describe().url} cannot run in virtual time (use mode: real)`);
    }
    this.clock = new RunClock(config.mode === 'virtual', options.clock ?? systemClock);
    const f = config.fleet;
    this.ids = new DevicePattern(f.idPattern, f.devices, f.first);
    this.attributes = new DeviceAttributes(f.attributes, config.seed, f.first);
    this.fleet = new Fleet({
      count: f.devices,
      total: f.total,
      first: f.first,
      fleetRecordsPerSec: config.rate.recordsPerSec,
      popularity: config.rate.popularity,
      seed: config.seed,
      offline: config.offline.length > 0,
      perDeviceCounts: config.perDeviceCounts,
    });
  }

  get keying(): KeyingStrategy | undefined {
    return this.keyingStrategy;
  }

  /** Bytes per device the engine and its keying hold (typed arrays only). */
  bytesPerDevice(): number {
    const k = this.keyingStrategy as { bytesPerDevice?: () => number } | undefined;
    const keyingOwn = this.config.keying.kind === 'balanced' && k?.bytesPerDevice ? k.bytesPerDevice() : 0;
    return this.fleet.bytesPerDevice() + this.keyTableBytes + keyingOwn;
  }

  async run(): Promise<RunResult> {
    const config = this.config;
    const target = this.target;
    const wallStart = performance.now();
    const rng = new Prng(config.seed ^ Math.imul(config.fleet.first + 1, 0x9e3779b1));
    const needsPayload = target.capabilities.needsPayload;
    await target.open({
      keys: {
        partitionKeyOf: (d, s) => (this.keyingStrategy as KeyingStrategy).partitionKeyOf(d, s),
        explicitHashKeyOf: (d, s) => (this.keyingStrategy as KeyingStrategy).explicitHashKeyOf(d, s),
      },
      deviceIdOf: (d) => this.ids.idOf(d),
      clock: this.clock,
      virtual: config.mode === 'virtual',
      shardMapChanged: (map) => this.shardMapChanged(map),
    });
    try {
      const { shardMap, ...description } = target.describe();
      const table = buildKeyTable(config.keying, this.ids, this.attributes);
      this.keyTableBytes = table ? table.bytesPerDevice() : 0;
      const keying = createKeying(config.keying, { keys: table, shardMap, clock: this.clock, limits: description.limits });
      this.keyingStrategy = keying;
      this.description = description as TargetDescription;
      const balanced = keying.kind === 'balanced' ? (keying as BalancedKeying) : undefined;
      const saved = balanced && this.assignments ? await this.assignments.load() : undefined;
      if (balanced && saved) balanced.restore(saved);
      const stats = new RunStats(description.shards.length);
      const limits = { ...config, batchRecords: Math.min(config.batchRecords, target.capabilities.maxBatchRecords) };
      const dispatcher = new Dispatcher(target, stats, keying, limits, needsPayload, config.mode === 'virtual');
      const profile = new RateProfile(config.rate.profile, config.rate.recordsPerSec);
      const width = config.stepMs;
      const meanInterval = (1000 * config.fleet.total) / config.rate.recordsPerSec;
      const wheel = new CalendarWheel(this.fleet.due, width, Math.min(1 << 20, Math.max(1024, (4 * meanInterval) / width)));
      this.fleet.start(config.rate.arrivals, rng.fork());
      for (let d = 0; d < this.fleet.count; d++) wheel.insert(d);
      // Run time 0 is now (setup is over); payload timestamps are wall-clock µs from here.
      const startWallMs = this.clock.start();
      const scheduler = new Scheduler({
        fleet: this.fleet,
        wheel,
        profile,
        keying,
        payload: createPayloadEncoder(config.payload, this.ids, this.attributes, rng.fork()),
        dispatcher,
        stats,
        rng: rng.fork(),
        arrivals: config.rate.arrivals,
        offline: config.offline,
        seed: config.seed,
        first: config.fleet.first,
        withData: needsPayload,
        startWallMs,
        maxRecords: config.maxRecords,
      });
      const endMs =
        config.mode === 'virtual'
          ? await this.runVirtual(scheduler, dispatcher, wheel, profile, stats)
          : await this.runReal(scheduler, dispatcher, profile, stats);
      stats.unfinished = dispatcher.unfinished();
      if (balanced && this.assignments) await balanced.persist(this.assignments);
      // Read again: a reshard during the run may have added shards.
      const { shardMap: _final, ...finalDescription } = target.describe();
      return stats.toResult({
        target: finalDescription as TargetDescription,
        mode: config.mode,
        startedAtWallMs: startWallMs,
        durationMs: endMs,
        elapsedMs: performance.now() - wallStart,
        targetRecordsPerSec: this.fleet.recordsPerSec(),
        keying: { kind: keying.kind, ordering: keying.ordering, stats: keyingStats(keying) },
        perDevice: this.fleet.generated ? { first: config.fleet.first, records: this.fleet.generated } : null,
        targetStats: target.stats?.(),
      });
    } finally {
      await target.close();
    }
  }

  private async runVirtual(s: Scheduler, disp: Dispatcher, wheel: CalendarWheel, profile: RateProfile, stats: RunStats): Promise<number> {
    const c = this.config;
    const step = c.stepMs;
    let now = 0;
    let nextProgress = 1000;
    for (;;) {
      s.run(profile.opTime(Math.min(now, c.durationMs)));
      const generating = now < c.durationMs && !s.exhausted;
      // Complete and dispatch until no slot frees at this instant (a zero-latency target).
      for (;;) {
        disp.completeUntil(now);
        await disp.dispatch(now, !generating);
        if (disp.backlogEmpty || disp.nextDoneAt() > now) break;
      }
      if (now >= nextProgress) nextProgress = this.progress(now, stats, disp, nextProgress);
      if (!generating && disp.idle) return now;
      if (!generating && now > c.durationMs + c.drainTimeoutMs) return now;
      // Next instant: one step, or further when nothing is queued and nothing is due before.
      let next = now + step;
      if (disp.backlogEmpty) {
        const busy = generating ? profile.realTime(wheel.nextBusyTime(IDLE_SCAN_BUCKETS)) : Infinity;
        next = Math.max(next, Math.min(busy, disp.nextDoneAt(), generating ? c.durationMs : Infinity, nextProgress));
      }
      now = next;
      this.clock.set(now);
    }
  }

  private async runReal(s: Scheduler, disp: Dispatcher, profile: RateProfile, stats: RunStats): Promise<number> {
    const c = this.config;
    let nextProgress = 1000;
    let pumping = false;
    disp.onSlotFree = () => {
      if (pumping) return;
      pumping = true;
      void disp.dispatch(this.clock.now(), s.exhausted || this.clock.now() >= c.durationMs).finally(() => (pumping = false));
    };
    for (;;) {
      const now = this.clock.now();
      s.run(profile.opTime(Math.min(now, c.durationMs)));
      const generating = now < c.durationMs && !s.exhausted;
      await disp.dispatch(now, !generating);
      if (now >= nextProgress) nextProgress = this.progress(now, stats, disp, nextProgress);
      if (!generating && disp.idle) return now;
      if (!generating && now > c.durationMs + c.drainTimeoutMs) return now;
      await sleep(c.stepMs);
    }
  }

  private progress(now: number, stats: RunStats, disp: Dispatcher, next: number): number {
    if (this.onProgress) {
      const d = this.target.describe();
      this.onProgress(
        takeProgress(now, { stats, queued: disp.queued, inFlight: disp.inFlight, shardIds: d.shards, limits: d.limits ?? this.description?.limits, targetThrottles: this.target.stats?.().throttledAttempts ?? 0 }),
      );
    } else stats.window.clear();
    return Math.max(next + 1000, Math.floor(now / 1000) * 1000 + 1000);
  }

  /** The target saw a new shard map: shard-aware keying follows it. */
  private shardMapChanged(map: ShardMap): void {
    const k = this.keyingStrategy as (KeyingStrategy & { setShardMap?: (m: ShardMap) => void }) | undefined;
    k?.setShardMap?.(map);
  }
}

function keyingStats(k: KeyingStrategy): Record<string, number> {
  const s = (k as { stats?: Record<string, number> }).stats;
  return s ? { ...s } : {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => (ms >= 1 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

/** Convenience: resolve, build and run in one call. */
export async function runEngine(input: EngineInput, options: EngineOptions): Promise<RunResult> {
  return new Engine(input, options).run();
}
