/**
 * A record the producer refuses (it fails validation: it can never be sent) is dead-lettered and
 * acked, and the records around it flow on in order, whether the shipper reads items (`read`) or
 * takes entries as parts (`readTo`, where the refusal is settled after the read).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordValidationError, type ShardwiseError } from '../../agent/core/errors.ts';
import { Shipper, type ShipperProducer } from '../../agent/pipeline/shipper.ts';
import type { SpoolItem } from '../../agent/spool/spool.ts';
import { itemSpool } from '../support/item-spool.ts';

const BAD = 'bad-key';

function items(n: number): SpoolItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    partitionKey: i % 7 === 3 ? BAD : `device-${i % 5}`,
    deviceId: `device-${i % 5}`,
    data: Buffer.from(`record ${i}`),
    ingestTime: 1_000 + i,
  }));
}

for (const viaParts of [false, true]) {
  describe(`shipper: a record the producer refuses (${viaParts ? 'readTo, entries as parts' : 'read, items'})`, () => {
    it('is dead-lettered and acked; the others reach the producer in order', async () => {
      const all = items(40);
      const acked: number[] = [];
      const spool = itemSpool(all, viaParts, (id) => void acked.push(id));
      const added: string[] = [];
      let shipper: Shipper | undefined;
      const check = (key: string, text: string, slot: number): boolean => {
        if (key === BAD) throw new RecordValidationError('E_PARTITION_KEY', `refused ${text}`);
        added.push(text);
        shipper!.onAccepted(slot, 'shardId-0', '0', 0, 1, performance.now());
        return true;
      };
      const producer: ShipperProducer = {
        add: (rec, slot) => check(rec.partitionKey, Buffer.from(rec.data).toString(), slot),
        addParts: (key, _ehk, buffer, offset, length, slot) => check(key, Buffer.from(buffer, offset, length).toString(), slot),
        now: () => performance.now(),
    hasCapacity: () => true,
        waitForCapacity: () => Promise.resolve(),
        pendingRecords: 0,
        stats: () => ({ requestErrors: 0, entriesFailed: 0 }),
        shardMap: () => ({ shards: [0] }),
      };
      const dead: { item: SpoolItem; error: ShardwiseError }[] = [];
      shipper = new Shipper(spool, { accepted: () => undefined, undeliverable: (item, error) => void dead.push({ item, error }), sinkFailure: () => undefined }, { readBatch: 8 });
      shipper.attach(producer);
      shipper.start();
      while (acked.length < all.length) await new Promise((r) => setImmediate(r));
      await shipper.stop();
      const bad = all.filter((x) => x.partitionKey === BAD);
      assert.deepEqual(added, all.filter((x) => x.partitionKey !== BAD).map((x) => Buffer.from(x.data).toString()), 'the others, in order');
      assert.deepEqual(dead.map((d) => [d.item.id, d.item.partitionKey, Buffer.from(d.item.data).toString(), d.item.deviceId, d.item.ingestTime, d.error.code]), bad.map((x) => [x.id, x.partitionKey, Buffer.from(x.data).toString(), x.deviceId, x.ingestTime, 'E_PARTITION_KEY']));
      assert.deepEqual([...acked].sort((a, b) => a - b), all.map((x) => x.id), 'every record acked once');
    });
  });
}
