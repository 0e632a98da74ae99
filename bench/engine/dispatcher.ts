/**
 * Moves batches from the scheduler to the target with a bound on requests in flight. When the
 * target cannot keep up, full batches wait in a backlog (bounded by maxBacklogRecords; arrivals
 * beyond it are dropped and counted) and records that waited longer than maxLatenessMs past their
 * intended time are dropped at dispatch and counted as late — the schedule never slows down.
 *
 * Real mode: completions arrive through the target's promise and free their slot at once.
 * Virtual mode: a batch stays in flight until the run clock reaches its `doneAtMs`.
 */
import { isAckAware } from '../../agent/keying/strategy.ts';
import type { AckAware, KeyingStrategy } from '../../agent/keying/strategy.ts';
import type { RunStats } from '../results/run-stats.ts';
import type { Target } from '../targets/target.ts';
import { RecordBatch } from './record-batch.ts';
import type { DropSink } from './record-batch.ts';

class PooledBatch extends RecordBatch {
  done: () => void = () => undefined;
  fail: (e: unknown) => void = () => undefined;
}

export interface DispatchLimits {
  readonly batchRecords: number;
  readonly maxInFlight: number;
  readonly lingerMs: number;
  readonly maxLatenessMs: number;
  readonly maxBacklogRecords: number;
}

export class Dispatcher implements DropSink {
  filling: RecordBatch | null = null;
  /** Records queued (filling + backlog), not yet handed to the target. */
  queued = 0;
  inFlight = 0;
  private inFlightRecords = 0;
  private readonly ready: PooledBatch[] = [];
  private readHead = 0;
  private readonly free: PooledBatch[] = [];
  /** Virtual mode: batches in flight, ordered by doneAtMs. */
  private readonly completing: PooledBatch[] = [];
  private readonly acks: (KeyingStrategy & AckAware) | null;
  /** Real mode: called after a completion freed a slot (the engine dispatches at once). */
  onSlotFree: () => void = () => undefined;

  constructor(
    private readonly target: Target,
    private readonly stats: RunStats,
    keying: KeyingStrategy,
    private readonly limits: DispatchLimits,
    private readonly withData: boolean,
    private readonly virtual: boolean,
  ) {
    this.acks = isAckAware(keying) ? keying : null;
  }

  get backlogEmpty(): boolean {
    return this.queued === 0;
  }

  get idle(): boolean {
    return this.queued === 0 && this.inFlight === 0;
  }

  /** The batch to append the next record to, or null when the backlog is full (drop the record). */
  batchForNext(): RecordBatch | null {
    if (this.queued >= this.limits.maxBacklogRecords) return null;
    let b = this.filling;
    if (b === null) {
      b = this.take();
      this.filling = b;
    }
    return b;
  }

  /** The engine appended a record to the filling batch. */
  appended(): void {
    this.queued++;
    const b = this.filling as PooledBatch;
    if (b.full) {
      this.ready.push(b);
      this.filling = null;
    }
  }

  /** Hands queued batches to the target while slots are free. `final`: send a partial batch regardless of linger. */
  async dispatch(now: number, final = false): Promise<void> {
    const f = this.filling as PooledBatch | null;
    // A partial batch leaves only when it could go out now: while every slot is busy it keeps
    // filling, so a backlog drains in full batches rather than in one tiny batch per step.
    const slotFree = this.readHead >= this.ready.length && this.inFlight < this.limits.maxInFlight;
    if (f !== null && f.length > 0 && (slotFree || final) && (final || this.limits.lingerMs === 0 || now - (f.intendedMs[0] as number) >= this.limits.lingerMs)) {
      this.ready.push(f);
      this.filling = null;
    }
    if (this.queued > this.stats.backlogMax) this.stats.backlogMax = this.queued;
    while (this.inFlight < this.limits.maxInFlight && this.readHead < this.ready.length) {
      const b = this.ready[this.readHead++] as PooledBatch;
      if (this.readHead > 1024 && this.readHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readHead);
        this.readHead = 0;
      }
      this.queued -= b.length;
      if (Number.isFinite(this.limits.maxLatenessMs)) this.stats.droppedLate += b.dropIntendedBefore(now - this.limits.maxLatenessMs, this);
      if (b.length === 0) {
        this.release(b);
        continue;
      }
      b.sentAtMs = now;
      this.inFlight++;
      this.inFlightRecords += b.length;
      if (this.inFlight > this.stats.inFlightMax) this.stats.inFlightMax = this.inFlight;
      this.stats.sent += b.length;
      this.stats.requests++;
      if (this.virtual) {
        try {
          await this.target.send(b);
        } catch (e) {
          this.rejected(b, e);
          continue;
        }
        this.enqueueCompletion(b);
      } else {
        try {
          this.target.send(b).then(b.done, b.fail);
        } catch (e) {
          this.rejected(b, e);
        }
      }
    }
  }

  /** Virtual mode: completes batches whose doneAtMs ≤ now. */
  completeUntil(now: number): void {
    const c = this.completing;
    let k = 0;
    while (k < c.length && (c[k] as PooledBatch).doneAtMs <= now) this.completed(c[k++] as PooledBatch);
    if (k > 0) c.splice(0, k);
  }

  /** Virtual mode: when the next in-flight batch completes (Infinity if none). */
  nextDoneAt(): number {
    const c = this.completing;
    return c.length > 0 ? (c[0] as PooledBatch).doneAtMs : Infinity;
  }

  /** Records still queued or in flight when the run gives up (drain timeout). */
  unfinished(): number {
    return this.queued + this.inFlightRecords;
  }

  dropped(device: number): void {
    this.acks?.onAckedIndex(device, 1);
  }

  private enqueueCompletion(b: PooledBatch): void {
    const c = this.completing;
    let i = c.length;
    while (i > 0 && (c[i - 1] as PooledBatch).doneAtMs > b.doneAtMs) i--;
    c.splice(i, 0, b);
  }

  private completed(b: PooledBatch): void {
    this.stats.recordBatch(b);
    this.finish(b);
  }

  private rejected(b: PooledBatch, e: unknown): void {
    this.stats.recordRejected(b, e);
    this.finish(b);
  }

  private finish(b: PooledBatch): void {
    const acks = this.acks;
    if (acks !== null) for (let i = 0; i < b.length; i++) acks.onAckedIndex(b.device[i] as number, 1);
    this.inFlight--;
    this.inFlightRecords -= b.length;
    this.release(b);
    if (!this.virtual) this.onSlotFree();
  }

  private take(): PooledBatch {
    const b = this.free.pop();
    if (b !== undefined) return b;
    const nb = new PooledBatch(this.limits.batchRecords, this.withData);
    nb.done = () => this.completed(nb);
    nb.fail = (e: unknown) => this.rejected(nb, e);
    return nb;
  }

  private release(b: PooledBatch): void {
    b.reset();
    this.free.push(b);
  }
}
