/**
 * spool.replayShare: the backlog drains at most at share × the stream's capacity. The shipper runs
 * against a fake spool and producer on a manual clock (its waits move the clock), so the rate is
 * counted in virtual time, never measured against the wall clock.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import type { ReplayPacing } from '../../agent/pipeline/replay-pacer.ts';
import { Shipper } from '../../agent/pipeline/shipper.ts';
import type { ShipperProducer } from '../../agent/pipeline/shipper.ts';
import type { SpoolItem } from '../../agent/spool/spool.ts';
import { itemSpool } from '../support/item-spool.ts';

interface Run {
  /** Items in the order the producer got them. */
  readonly added: SpoolItem[];
  /** Virtual ms the shipper spent. */
  readonly elapsedMs: number;
  readonly shipper: Shipper;
}

/** Ships `items` (already in the spool, oldest first) through a shipper with `replay`; `shards()` is the shard count over time. */
async function ship(items: SpoolItem[], replay: ReplayPacing, clock: ManualClock, shards: (added: number) => number = () => 2): Promise<Run> {
  // Each item's data has a buffer of its own: how the producer's addParts tells which item it got.
  const byBuffer = new Map<ArrayBufferLike, SpoolItem>(items.map((x) => [x.data.buffer, x]));
  const acked = new Set<number>();
  // readTo (entries as parts) when the run says so; otherwise the shipper reads items.
  const spool = itemSpool(items, viaParts, (id) => void acked.add(id));
  const added: SpoolItem[] = [];
  let shipper: Shipper | undefined;
  const producer: ShipperProducer = {
    add: (rec, slot) => {
      added.push(rec as SpoolItem);
      shipper!.onAccepted(slot, 'shardId-0', '0', 0, 1, performance.now());
      return true;
    },
    addParts: (partitionKey, explicitHashKey, buffer, offset, length, slot) => {
      const item = byBuffer.get(buffer) as SpoolItem;
      assert.deepEqual([partitionKey, explicitHashKey, offset, length], [item.partitionKey, item.explicitHashKey, item.data.byteOffset, item.data.length]);
      added.push(item);
      shipper!.onAccepted(slot, 'shardId-0', '0', 0, 1, performance.now());
      return true;
    },
    now: () => performance.now(),
    hasCapacity: () => true,
    waitForCapacity: () => Promise.resolve(),
    pendingRecords: 0,
    stats: () => ({ requestErrors: 0, entriesFailed: 0 }),
    shardMap: () => ({ shards: Array.from({ length: shards(added.length) }) }),
  };
  shipper = new Shipper(spool, { accepted: () => undefined, undeliverable: () => undefined, sinkFailure: () => undefined }, {
    replay,
    clock,
    sleep: (ms) => {
      clock.advance(ms);
      return new Promise((r) => setImmediate(r));
    },
  });
  shipper.attach(producer);
  const t0 = clock.now();
  shipper.start();
  while (acked.size < items.length) await new Promise((r) => setImmediate(r));
  const elapsedMs = clock.now() - t0;
  await shipper.stop();
  return { added, elapsedMs, shipper };
}

function items(n: number, dataBytes: number, ingestTime: number): SpoolItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    partitionKey: `device-${100 + (i % 50)}`,
    deviceId: `device-${100 + (i % 50)}`,
    data: Buffer.alloc(dataBytes, i),
    ingestTime,
  }));
}

const bytesOf = (xs: readonly SpoolItem[]): number => xs.reduce((a, x) => a + x.data.length + x.partitionKey.length, 0);

/** Whether the fake spool offers readTo (entries as parts) for this run. */
let viaParts = false;

for (const parts of [false, true]) describe(`spool.replayShare: backlog pacing (${parts ? 'readTo, entries as parts' : 'read, items'})`, () => {
  before(() => {
    viaParts = parts;
  });
  it('a backlog drains at share × per-shard bytes/s × shards (aggregation on: bytes only), in spool order', async () => {
    const clock = new ManualClock(10_000_000);
    const backlog = items(10_000, 200, clock.wallNow() - 60_000);
    const replay = { share: 0.5, shardRecordsPerSec: 1000, shardBytesPerSec: 100_000, countRecords: false };
    const { added, elapsedMs, shipper } = await ship(backlog, replay, clock);
    assert.deepEqual(added.map((x) => x.id), backlog.map((x) => x.id), 'order kept');
    const cap = 0.5 * 100_000 * 2;
    const st = shipper.replayStats()!;
    assert.equal(st.bytesPerSec, cap, 'the limiter is configured at the share of the stream');
    assert.equal(st.recordsPerSec, null, 'records are not counted with aggregation');
    assert.equal(st.shards, 2);
    assert.equal(st.backlogRecords, 10_000);
    assert.equal(st.backlogBytes, bytesOf(backlog));
    assert.ok(st.waits > 0, 'the pacer held the backlog back');
    // Counted in virtual time: what went out ≤ cap × time + one burst (0.2 s) + one record …
    const sent = bytesOf(added);
    assert.ok(sent <= (cap * elapsedMs) / 1000 + cap * 0.2 + 210, `${sent} B in ${elapsedMs} ms is over the cap`);
    // … and it does not hold back much more than needed.
    const rate = sent / (elapsedMs / 1000);
    assert.ok(rate >= cap * 0.9 && rate <= cap * 1.1, `drained at ${rate.toFixed(0)} B/s, cap ${cap}`);
  });

  it('without aggregation records/s is capped too (share × per-shard records/s × shards)', async () => {
    const clock = new ManualClock(10_000_000);
    const backlog = items(3000, 10, clock.wallNow() - 60_000);
    const { added, elapsedMs, shipper } = await ship(backlog, { share: 0.25, shardRecordsPerSec: 1000, shardBytesPerSec: 1 << 20, countRecords: true }, clock);
    const cap = 0.25 * 1000 * 2;
    assert.equal(shipper.replayStats()!.recordsPerSec, cap);
    const rate = added.length / (elapsedMs / 1000);
    assert.ok(rate >= cap * 0.9 && rate <= cap * 1.1, `${rate.toFixed(1)} records/s, cap ${cap}`);
  });

  it('fresh records are not paced (no backlog: nothing waits)', async () => {
    const clock = new ManualClock(10_000_000);
    const live = items(5000, 200, clock.wallNow());
    const { added, elapsedMs, shipper } = await ship(live, { share: 0.1, shardRecordsPerSec: 1000, shardBytesPerSec: 10_000, countRecords: true }, clock);
    assert.equal(added.length, 5000);
    assert.equal(elapsedMs, 0);
    assert.deepEqual([shipper.replayStats()!.waits, shipper.replayStats()!.backlogRecords], [0, 0]);
  });

  it('follows the shard count: a stream split from 2 to 4 shards mid-drain doubles the cap', async () => {
    const clock = new ManualClock(10_000_000);
    const backlog = items(4000, 200, clock.wallNow() - 60_000);
    const replay = { share: 0.5, shardRecordsPerSec: 1000, shardBytesPerSec: 100_000, countRecords: false };
    const { elapsedMs, shipper } = await ship(backlog, replay, clock, (added) => (added < 2000 ? 2 : 4));
    const st = shipper.replayStats()!;
    assert.deepEqual([st.shards, st.bytesPerSec], [4, 200_000]);
    const half = bytesOf(backlog) / 2;
    const expectedMs = (half / 100_000 + half / 200_000) * 1000;
    assert.ok(elapsedMs < expectedMs * 1.1 && elapsedMs > expectedMs * 0.8, `${elapsedMs} ms, expected about ${expectedMs.toFixed(0)}`);
  });
});
