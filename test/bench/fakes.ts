/** Test targets: tiny, in-process, and honest about time. */
import { STATUS_OK } from '../../bench/engine/record-batch.ts';
import type { RecordBatch } from '../../bench/engine/record-batch.ts';
import type { Target, TargetCapabilities, TargetContext, TargetDescription } from '../../bench/targets/target.ts';

/**
 * Real-time fake: acknowledges every batch after `latencyMs`, except the first batch sent at or
 * after `stallAtMs`, which takes `stallMs` (a target that stalls once).
 */
export class StallingTarget implements Target {
  readonly capabilities: TargetCapabilities = { needsPayload: true, maxBatchRecords: 500, virtualTime: false };
  batches = 0;
  records = 0;
  /** Records of the one batch that was held for the stall (0 until it happens). */
  stalledRecords = 0;
  private ctx: TargetContext | undefined;
  private stalled = false;

  constructor(
    private readonly stallAtMs: number,
    private readonly stallMs: number,
    private readonly latencyMs = 1,
  ) {}

  async open(ctx: TargetContext): Promise<void> {
    this.ctx = ctx;
  }

  describe(): TargetDescription {
    return { url: 'fake://stalling', kind: 'fake', shards: ['shard-0'], aggregation: false };
  }

  send(batch: RecordBatch): Promise<void> {
    const clock = (this.ctx as TargetContext).clock;
    this.batches++;
    this.records += batch.length;
    let wait = this.latencyMs;
    if (!this.stalled && batch.sentAtMs >= this.stallAtMs) {
      this.stalled = true;
      this.stalledRecords = batch.length;
      wait = this.stallMs;
    }
    return new Promise((resolve) => {
      setTimeout(() => {
        const now = clock.now();
        for (let i = 0; i < batch.length; i++) {
          batch.status[i] = STATUS_OK;
          batch.shard[i] = 0;
          batch.ackMs[i] = now;
        }
        batch.doneAtMs = now;
        resolve();
      }, wait);
    });
  }

  async close(): Promise<void> {}
}
