/**
 * Shared contract every `Source` implementation must pass (file, video, MQTT, host), plus the
 * collecting test downstream the source tests use. Usage:
 *
 *   sourceContract('file', async () => ({ source, produce, acknowledged, dispose }));
 *
 * The harness produces inputs upstream (lines, segments, messages) and reports how many the
 * source has acknowledged upstream (checkpointed lines, segments marked processed, PUBACKs).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Downstream, RejectReason, Source, SourceRecord } from '../../agent/sources/source.ts';

export interface Rejected {
  readonly source: string;
  readonly reason: RejectReason;
  readonly raw: string;
  readonly detail: string | undefined;
}

/** Collects what a source hands over; `hold()` keeps accept calls pending until `release()`; `failNext` makes one call reject. */
export class CollectingDownstream implements Downstream {
  readonly accepted: SourceRecord[] = [];
  readonly rejected: Rejected[] = [];
  acceptCalls = 0;
  pendingCalls = 0;
  failNext: Error | undefined;
  /** When set, accept calls after this many are held (as by `hold()`) until `release()`. */
  holdAfterCalls: number | undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  async accept(_source: string, records: readonly SourceRecord[]): Promise<void> {
    this.acceptCalls++;
    this.pendingCalls++;
    if (this.holdAfterCalls !== undefined && this.acceptCalls > this.holdAfterCalls) {
      this.holdAfterCalls = undefined;
      this.hold();
    }
    try {
      if (this.failNext !== undefined) {
        const e = this.failNext;
        this.failNext = undefined;
        throw e;
      }
      while (this.gate !== undefined) await this.gate;
      // Copy: the test keeps records after the source may have moved on.
      for (const r of records) this.accepted.push({ ...r, payload: Uint8Array.from(r.payload) });
    } finally {
      this.pendingCalls--;
    }
  }

  reject(source: string, reason: RejectReason, raw: Uint8Array | string, detail?: string): void {
    this.rejected.push({ source, reason, raw: typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'), detail });
  }

  hold(): void {
    if (this.gate !== undefined) return;
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    const open = this.open;
    this.gate = undefined;
    this.open = undefined;
    open?.();
  }

  /** Accepted payloads as text. */
  texts(): string[] {
    return this.accepted.map((r) => Buffer.from(r.payload).toString('utf8'));
  }

  reasons(): RejectReason[] {
    return this.rejected.map((r) => r.reason);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` every 10 ms; fails with `what` after `timeoutMs` (a bound on the test, not a speed assertion). */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(10);
  }
}

export interface SourceHarness {
  readonly source: Source;
  /** Produces `n` new inputs upstream; each must become exactly one accepted record. */
  produce(n: number): Promise<void>;
  /** Inputs the source has acknowledged upstream so far. */
  acknowledged(): Promise<number>;
  /** Releases what the harness created; called after the source stopped. */
  dispose(): Promise<void>;
}

export type SourceHarnessFactory = () => Promise<SourceHarness>;

export interface ContractOptions {
  /** How long a "nothing happens" window lasts (a few poll intervals of the source). Default 300 ms. */
  readonly quietMs?: number;
  /** Bound on each wait. Default 10 s. */
  readonly timeoutMs?: number;
}

export function sourceContract(label: string, factory: SourceHarnessFactory, options: ContractOptions = {}): void {
  const quietMs = options.quietMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function withHarness(body: (h: SourceHarness, ds: CollectingDownstream) => Promise<void>): Promise<void> {
    const h = await factory();
    const ds = new CollectingDownstream();
    try {
      await body(h, ds);
    } finally {
      ds.release();
      await h.source.stop();
      await h.dispose();
    }
  }

  describe(`Source contract: ${label}`, () => {
    it('reports health down before start, up while running, down after stop', () =>
      withHarness(async (h, ds) => {
        assert.equal(h.source.health().up, false);
        await h.source.start(ds);
        assert.equal(h.source.health().up, true, h.source.health().state);
        assert.ok(h.source.health().state.length > 0);
        await h.source.stop();
        assert.equal(h.source.health().up, false);
      }));

    it('treats repeated start() and stop() as no-ops (inputs are delivered once)', () =>
      withHarness(async (h, ds) => {
        await Promise.all([h.source.start(ds), h.source.start(ds)]);
        await h.source.start(ds);
        await h.produce(3);
        await waitUntil(() => ds.accepted.length >= 3, '3 records accepted', timeoutMs);
        await sleep(quietMs);
        assert.equal(ds.accepted.length, 3);
        await Promise.all([h.source.stop(), h.source.stop()]);
        await h.source.stop();
        assert.equal(h.source.health().up, false);
      }));

    it('allows stop() without start()', () =>
      withHarness(async (h) => {
        await h.source.stop();
        assert.equal(h.source.health().up, false);
      }));

    it('acknowledges upstream only after accept resolved', () =>
      withHarness(async (h, ds) => {
        ds.hold();
        await h.source.start(ds);
        await h.produce(2);
        await waitUntil(() => ds.pendingCalls > 0, 'an accept call in flight', timeoutMs);
        await sleep(quietMs);
        assert.equal(await h.acknowledged(), 0, 'acknowledged while accept was pending');
        ds.release();
        await waitUntil(async () => (await h.acknowledged()) === 2, '2 inputs acknowledged', timeoutMs);
        assert.equal(ds.accepted.length, 2);
      }));

    it('stop() waits for in-flight accepts and takes no input afterwards', () =>
      withHarness(async (h, ds) => {
        ds.hold();
        await h.source.start(ds);
        await h.produce(1);
        await waitUntil(() => ds.pendingCalls > 0, 'an accept call in flight', timeoutMs);
        let stopped = false;
        const stopping = h.source.stop().then(() => {
          stopped = true;
        });
        await sleep(quietMs);
        assert.equal(stopped, false, 'stop() resolved while accept was pending');
        ds.release();
        await stopping;
        assert.equal(ds.accepted.length, 1);
        assert.equal(await h.acknowledged(), 1, 'accepted input not acknowledged by stop()');
        const calls = ds.acceptCalls;
        await h.produce(1);
        await sleep(quietMs);
        assert.equal(ds.acceptCalls, calls, 'accept called after stop()');
      }));
  });
}
