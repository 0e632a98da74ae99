/**
 * The contract every Target (and every fake) must pass; call it from a target's own test file:
 * `targetContract('model', () => new ModelTarget({ shards: 4 }))`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { hashPartitionKeyInto } from '../../agent/kinesis/hash-key.ts';
import { RecordBatch, STATUS_FAILED, STATUS_OK, STATUS_THROTTLED } from '../../bench/engine/record-batch.ts';
import type { Target, TargetContext } from '../../bench/targets/target.ts';

export function contractContext(virtual: boolean): TargetContext {
  return {
    keys: { partitionKeyOf: (d, s) => `dev-${d}#${s}`, explicitHashKeyOf: () => undefined },
    deviceIdOf: (d) => `dev-${d}`,
    clock: new ManualClock(),
    virtual,
  };
}

/** A batch of n records of devices 0…n−1, keyed by `dev-<d>`, 100-byte payloads. */
export function contractBatch(n: number, withData: boolean, sentAtMs = 0): RecordBatch {
  const b = new RecordBatch(n, withData);
  for (let i = 0; i < n; i++) {
    b.device[i] = i;
    b.seq[i] = 0;
    b.intendedMs[i] = sentAtMs;
    b.bytes[i] = 100;
    b.keyBytes[i] = `dev-${i}`.length;
    hashPartitionKeyInto(`dev-${i}`, b.hashKeys, i * 4);
    if (withData) {
      b.reserveData(100);
      b.data.fill(65, b.dataStart[i] as number, (b.dataStart[i] as number) + 100);
      b.dataStart[i + 1] = (b.dataStart[i] as number) + 100;
    }
    b.length = i + 1;
  }
  b.sentAtMs = sentAtMs;
  return b;
}

export function targetContract(name: string, make: () => Target, options: { virtual: boolean } = { virtual: true }): void {
  test(`${name} target contract: describe, per-record results, done time, close`, async () => {
    const t = make();
    await t.open(contractContext(options.virtual));
    try {
      const d = t.describe();
      assert.equal(typeof d.url, 'string');
      assert.equal(typeof d.kind, 'string');
      assert.ok(Array.isArray(d.shards));
      assert.ok(t.capabilities.maxBatchRecords >= 1);
      const n = Math.min(50, t.capabilities.maxBatchRecords);
      const b = contractBatch(n, t.capabilities.needsPayload, 10);
      b.status.fill(255);
      b.shard.fill(-2);
      await t.send(b);
      for (let i = 0; i < n; i++) {
        assert.ok([STATUS_OK, STATUS_THROTTLED, STATUS_FAILED].includes(b.status[i] as number), `status of record ${i}`);
        assert.ok((b.shard[i] as number) >= -1 && (b.shard[i] as number) < Math.max(1, d.shards.length), `shard of record ${i}`);
        assert.ok((b.ackMs[i] as number) >= 10, `ack time of record ${i}`);
      }
      assert.ok(b.doneAtMs >= 10);
      assert.equal(b.length, n, 'a target must not change the batch length');
      if (b.kinesisCount >= 0) for (let k = 0; k < b.kinesisCount; k++) assert.ok((b.kBytes[k] as number) > 0);
    } finally {
      await t.close();
    }
  });
}
