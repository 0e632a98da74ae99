/**
 * The shipper reads clocks per batch, not per record: the producer's clock once per spool read
 * (every entry of the read is added at that time) and the wall clock once per Kinesis answer
 * (every record of the answer gets its latency from it), on both read paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Shipper, type ShipperProducer } from '../../agent/pipeline/shipper.ts';
import type { SpoolItem } from '../../agent/spool/spool.ts';
import { itemSpool } from '../support/item-spool.ts';

const items: SpoolItem[] = Array.from({ length: 6 }, (_, i) => ({ id: i, partitionKey: `d-${i}`, deviceId: `d-${i}`, data: Buffer.from(`r${i}`), ingestTime: 1_000 + i }));

describe('shipper: one clock reading per read and per answer', () => {
  it('adds a read at one producer time, and times each answer once with the wall clock', async () => {
    const acked: number[] = [];
    const spool = itemSpool(items, true, (id) => void acked.push(id));
    let producerTime = 500;
    let wall = 2_000;
    let wallReads = 0;
    const addedAt: (number | undefined)[] = [];
    const slots: number[] = [];
    let shipper: Shipper | undefined;
    const producer: ShipperProducer = {
      add: () => true,
      addParts: (_pk, _ehk, _buf, _off, _len, slot, now) => {
        addedAt.push(now);
        slots.push(slot);
        producerTime += 1;
        return true;
      },
      now: () => producerTime,
      hasCapacity: () => true,
      waitForCapacity: () => Promise.resolve(),
      pendingRecords: 0,
      stats: () => ({ requestErrors: 0, entriesFailed: 0 }),
      shardMap: () => ({ shards: [0] }),
    };
    const seen: [number, number, string, number][] = [];
    shipper = new Shipper(
      spool,
      { accepted: (_shard, _bytes, latencyMs, deviceId, now) => void seen.push([latencyMs, now, deviceId, wall]), undeliverable: () => undefined, sinkFailure: () => undefined },
      { readBatch: 6, clock: { now: () => 0, wallNow: () => (wallReads++, wall) } },
    );
    shipper.attach(producer);
    shipper.start();
    while (slots.length < items.length) await new Promise((r) => setImmediate(r));
    assert.deepEqual(addedAt, [500, 500, 500, 500, 500, 500], 'one reading for the whole read');
    // Two answers: records 0-3 at producer time 900, records 4-5 at 950 (the wall clock moved on).
    const before = wallReads;
    for (const s of slots.slice(0, 4)) shipper.onAccepted(s, 'shardId-0', '1', 0, 1, 900);
    wall = 2_050;
    for (const s of slots.slice(4)) shipper.onAccepted(s, 'shardId-0', '2', 0, 1, 950);
    assert.equal(wallReads - before, 2, 'one wall-clock reading per answer');
    assert.deepEqual(
      seen.map(([latency, now, device]) => [latency, now, device]),
      items.map((it, i) => [(i < 4 ? 2_000 : 2_050) - it.ingestTime, i < 4 ? 900 : 950, it.deviceId]),
    );
    await shipper.stop();
    assert.deepEqual(acked, items.map((it) => it.id));
  });
});
