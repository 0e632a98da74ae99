import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InFlightTable } from '../../agent/pipeline/in-flight.ts';
import type { SpoolItem } from '../../agent/spool/spool.ts';

function item(id: number): SpoolItem {
  return { id, partitionKey: `pk${id}`, data: Buffer.alloc(id % 50), deviceId: `dev${id % 3}`, ingestTime: 1000 + id };
}

describe('InFlightTable (the shipper\'s records in the producer)', () => {
  it('remembers id, size, ingest time and device per slot, reuses slots, and rebuilds the item', () => {
    const t = new InFlightTable();
    const slots = new Map<number, number>();
    for (let id = 0; id < 3000; id++) slots.set(id, t.add(item(id)));
    assert.equal(t.count, 3000);
    for (const id of [0, 1023, 1024, 2999]) {
      const s = slots.get(id)!;
      assert.deepEqual([t.id(s), t.dataBytes(s), t.ingestTime(s), t.deviceId(s)], [id, id % 50, 1000 + id, `dev${id % 3}`]);
    }
    const s7 = slots.get(7)!;
    const rebuilt = t.item(s7, { partitionKey: 'pk7', data: Buffer.from('abc') });
    assert.deepEqual({ ...rebuilt, data: rebuilt.data.toString() }, { id: 7, partitionKey: 'pk7', explicitHashKey: undefined, data: 'abc', deviceId: 'dev1', ingestTime: 1007 });
    t.release(s7);
    assert.equal(t.add(item(5000)), s7, 'a released slot is taken again');
    for (const [id, s] of slots) if (id !== 7) t.release(s);
    t.release(s7);
    assert.equal(t.count, 0);
    assert.equal(t.add(item(1)), 0, 'empty again: slots start at 0');
  });
});
