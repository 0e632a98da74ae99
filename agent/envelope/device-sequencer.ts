/**
 * Per-device sequence numbers that only grow, also across restarts and crashes, at the cost of one
 * small file write per start and one per checkpoint interval (not per record).
 *
 *   seq = epoch × 2^32 + counter
 *
 * - `epoch` (21 bits) is persisted and fsynced at every start, before the first number is handed
 *   out, as one more than any epoch the previous runs may have used.
 * - `counter` (32 bits) counts per device; the counters are checkpointed every
 *   `checkpointIntervalMs` and on stop, and resume from the last checkpoint.
 * Numbers never repeat: a new run's epoch is higher, so its numbers beat everything before, even
 * if the counters it resumed from are stale (a crash after the last checkpoint). After a clean stop
 * the counters continue exactly (consumers can check `seq mod 2^32` for gaps); after a crash the
 * counter part may step back while the epoch steps up. A counter that reaches 2^32 − 1 starts the
 * next epoch at once (a synchronous write; after 4 billion records of one device). All numbers
 * stay below 2^53 (safe JSON integers).
 */
import { ShardwiseError } from '../core/errors.ts';
import { MAX_COUNTER, MAX_EPOCH, formatSeqState, loadSeqState, writeSeqState, writeSeqStateSync } from './seq-state-file.ts';

export const EPOCH_FACTOR = 2 ** 32;

/** One device's counter, plus a cache the enriched envelope keeps there (its record head, and the key it was built for). */
export interface SeqSlot {
  /** The device id, one string per device: records carry this one, so the per-line copies die young. */
  readonly id: string;
  counter: number;
  head: Uint8Array | undefined;
  headFor: object | undefined;
}

export interface SeqLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface DeviceSequencerOptions {
  /** State file (e.g. `<stateDir>/envelope-seq.json`); undefined: memory only (tests, bench). */
  readonly stateFile?: string | undefined;
  /** Default 30 s. Only writes when something changed. */
  readonly checkpointIntervalMs?: number | undefined;
  /** Epoch of a memory-only sequencer. Default 1. */
  readonly epoch?: number | undefined;
  readonly log?: SeqLog | undefined;
}

export class DeviceSequencer {
  readonly name = 'envelope-seq';
  private readonly slots = new Map<string, SeqSlot>();
  private readonly file: string | undefined;
  private readonly intervalMs: number;
  private readonly log: SeqLog | undefined;
  private epochValue: number;
  private base: number;
  private started = false;
  private dirty = false;
  /** Bumped by every state write that changes the epoch; stale async writes are discarded. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  checkpointErrors = 0;
  checkpoints = 0;

  constructor(options: DeviceSequencerOptions = {}) {
    this.file = options.stateFile;
    this.intervalMs = options.checkpointIntervalMs ?? 30_000;
    this.log = options.log;
    this.epochValue = options.epoch ?? 1;
    this.base = this.epochValue * EPOCH_FACTOR;
    if (!Number.isInteger(this.epochValue) || this.epochValue < 0 || this.epochValue > MAX_EPOCH) {
      throw new RangeError(`epoch: expected an integer 0…${MAX_EPOCH}, got ${this.epochValue}`);
    }
  }

  get epoch(): number {
    return this.epochValue;
  }

  get devices(): number {
    return this.slots.size;
  }

  /** Loads the state, persists the new epoch (fsynced) and starts checkpointing. Throws E_SEQ_STATE when the epoch cannot be made durable. */
  async start(): Promise<void> {
    if (this.started) return;
    if (this.file !== undefined) {
      const loaded = await loadSeqState(this.file);
      const epoch = loaded.base + 1;
      if (epoch > MAX_EPOCH) throw new ShardwiseError('E_SEQ_STATE', `sequence epoch exhausted (${epoch} > ${MAX_EPOCH}); delete ${this.file}* to restart numbering`);
      for (const [id, counter] of loaded.devices) this.slots.set(id, { id, counter, head: undefined, headFor: undefined });
      this.setEpoch(epoch);
      try {
        await writeSeqState(this.file, this.serialise());
      } catch (err) {
        throw new ShardwiseError('E_SEQ_STATE', `cannot persist the sequence epoch to ${this.file}: ${(err as Error).message}`, { cause: err });
      }
      this.log?.info({ epoch, devices: this.slots.size, stateFile: this.file, found: loaded.note }, 'envelope sequence numbers ready');
      this.timer = setInterval(() => void this.checkpoint(), this.intervalMs);
      this.timer.unref();
    }
    this.started = true;
  }

  /** The slot of a device (created at counter 0). Keep it while wrapping several records of the device. */
  slot(deviceId: string): SeqSlot {
    let s = this.slots.get(deviceId);
    if (!s) this.slots.set(deviceId, (s = { id: deviceId, counter: 0, head: undefined, headFor: undefined }));
    return s;
  }

  /** The next number of the slot's device. */
  next(slot: SeqSlot): number {
    if (!this.started) throw new ShardwiseError('E_SEQ_STATE', 'sequence numbers requested before start()');
    if (slot.counter >= MAX_COUNTER) {
      this.bumpEpochSync();
      slot.counter = 0;
    }
    slot.counter++;
    this.dirty = true;
    return this.base + slot.counter;
  }

  nextFor(deviceId: string): number {
    return this.next(this.slot(deviceId));
  }

  /** Writes the counters if they changed. Never rejects: a failure is logged and retried next time (numbers stay unique regardless). */
  checkpoint(): Promise<void> {
    if (this.file === undefined || !this.dirty) return this.writing;
    const file = this.file;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const gen = this.generation;
      try {
        await writeSeqState(file, this.serialise(), () => gen === this.generation);
        this.checkpoints++;
      } catch (err) {
        this.dirty = true;
        this.checkpointErrors++;
        this.log?.warn({ err, stateFile: file, failures: this.checkpointErrors }, 'envelope sequence checkpoint failed (numbers stay unique; counters may restart from an older checkpoint)');
      }
    });
    return this.writing;
  }

  /** Final checkpoint. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checkpoint();
    this.started = false;
  }

  private setEpoch(epoch: number): void {
    this.epochValue = epoch;
    this.base = epoch * EPOCH_FACTOR;
  }

  private bumpEpochSync(): void {
    const epoch = this.epochValue + 1;
    if (epoch > MAX_EPOCH) throw new ShardwiseError('E_SEQ_STATE', `sequence epoch exhausted (${epoch} > ${MAX_EPOCH})`);
    this.setEpoch(epoch);
    this.generation++;
    if (this.file !== undefined) {
      try {
        writeSeqStateSync(this.file, this.serialise());
      } catch (err) {
        throw new ShardwiseError('E_SEQ_STATE', `cannot persist sequence epoch ${epoch} to ${this.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    this.log?.info({ epoch }, 'a device counter wrapped: next sequence epoch started');
  }

  private serialise(): string {
    return formatSeqState(this.epochValue, mapSlots(this.slots));
  }
}

function* mapSlots(slots: Map<string, SeqSlot>): Generator<readonly [string, number]> {
  for (const [id, s] of slots) yield [id, s.counter];
}
