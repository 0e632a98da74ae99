/**
 * Engine extensions used by the real targets and the CLI: a target announcing a reshard (balanced
 * keying follows it, the report names the new shards), balanced assignments persisted across runs,
 * aggregate bytes spanning batches (kPartial), and progress snapshots (in-process and merged from
 * workers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BalancedKeying } from '../../agent/keying/balanced-keying.ts';
import { MemoryAssignmentStore } from '../../agent/keying/assignment-store.ts';
import { ShardMap, shardIdFor } from '../../agent/kinesis/shard-map.ts';
import type { ShardInfo } from '../../agent/kinesis/shard-map.ts';
import { Engine } from '../../bench/engine/engine.ts';
import type { Progress } from '../../bench/engine/progress.ts';
import { RecordBatch, STATUS_OK } from '../../bench/engine/record-batch.ts';
import { runInWorkers } from '../../bench/engine/workers.ts';
import { RunStats } from '../../bench/results/run-stats.ts';
import { COL_BYTES, COL_KINESIS_RECORDS } from '../../bench/results/shard-series.ts';
import { ModelTarget } from '../../bench/targets/model-target.ts';
import type { Target, TargetCapabilities, TargetContext, TargetDescription } from '../../bench/targets/target.ts';

const HALF = 1n << 127n;

/** Virtual-time target over a shard map that splits shard 0 at `splitAtMs` and says so. */
class ResharingTarget implements Target {
  readonly capabilities: TargetCapabilities = { needsPayload: false, maxBatchRecords: 500, virtualTime: true };
  readonly ids: string[] = [shardIdFor(0), shardIdFor(1)];
  map = ShardMap.uniform(2);
  private ctx: TargetContext | undefined;
  constructor(private readonly splitAtMs: number) {}
  async open(ctx: TargetContext): Promise<void> {
    this.ctx = ctx;
  }
  describe(): TargetDescription {
    return { url: 'fake://reshard', kind: 'fake', shards: this.ids, aggregation: false, shardMap: this.map };
  }
  async send(b: RecordBatch): Promise<void> {
    if (b.sentAtMs >= this.splitAtMs && this.map.size === 2) {
      const shards: ShardInfo[] = [
        { shardId: shardIdFor(0), startingHashKey: 0n, endingHashKey: HALF - 1n, open: false },
        { shardId: shardIdFor(1), startingHashKey: HALF, endingHashKey: 2n * HALF - 1n, open: true },
        { shardId: shardIdFor(2), startingHashKey: 0n, endingHashKey: HALF / 2n - 1n, open: true, parentShardId: shardIdFor(0) },
        { shardId: shardIdFor(3), startingHashKey: HALF / 2n, endingHashKey: HALF - 1n, open: true, parentShardId: shardIdFor(0) },
      ];
      this.map = ShardMap.fromShards(shards);
      this.ids.push(shardIdFor(2), shardIdFor(3));
      this.ctx?.shardMapChanged?.(this.map);
    }
    for (let i = 0; i < b.length; i++) {
      const s = this.map.indexOfWords(b.hashKeys, i * 4);
      b.shard[i] = s < 0 ? -1 : this.ids.indexOf(this.map.shardIdAt(s));
      b.status[i] = STATUS_OK;
      b.ackMs[i] = b.sentAtMs;
    }
    b.doneAtMs = b.sentAtMs;
  }
  async close(): Promise<void> {}
}

test('a target that reshards mid-run: balanced keying follows the new map; the report names the new shards', async () => {
  const target = new ResharingTarget(2000);
  const engine = new Engine({ seed: 3, fleet: { devices: 400 }, rate: { recordsPerSec: 800 }, durationMs: 5000, keying: { kind: 'balanced' }, mode: 'virtual' }, { target });
  const r = await engine.run();
  const keying = engine.keying as BalancedKeying;
  assert.equal(keying.shardMap, target.map, 'balanced keying adopted the new map');
  assert.ok(keying.stats.followed > 0, 'devices of the closed shard followed their keys into the children');
  assert.deepEqual(r.target.shards, [shardIdFor(0), shardIdFor(1), shardIdFor(2), shardIdFor(3)]);
  const { seconds, shards, data } = r.series;
  let lateOnParent = 0;
  let onChildren = 0;
  for (let sec = 3; sec < seconds; sec++) {
    lateOnParent += data[(sec * shards + 0) * 5] as number;
    onChildren += (data[(sec * shards + 2) * 5] as number) + (data[(sec * shards + 3) * 5] as number);
  }
  assert.equal(lateOnParent, 0, 'nothing goes to the closed parent after the split');
  assert.ok(onChildren > 0);
});

test('balanced assignments are saved after a run and restored by the next one', async () => {
  const store = new MemoryAssignmentStore();
  const input = { seed: 8, fleet: { devices: 300 }, rate: { recordsPerSec: 600 }, durationMs: 3000, keying: { kind: 'balanced' as const }, mode: 'virtual' as const };
  const first = await new Engine(input, { target: new ModelTarget({ shards: 4 }), assignments: store }).run();
  assert.equal(store.saves, 1);
  assert.equal(first.keying.stats['assigned'], 300);
  const saved = await store.load();
  assert.equal(saved?.shardOfDevice.length, 300);
  const engine = new Engine(input, { target: new ModelTarget({ shards: 4 }), assignments: store });
  const second = await engine.run();
  assert.equal(second.keying.stats['assigned'], 0, 'every device kept its saved shard');
  const k = engine.keying as BalancedKeying;
  for (let d = 0; d < 300; d++) assert.equal(k.shardOfIndex(d), saved?.shardOfDevice[d]);
});

test('an aggregate spanning batches counts one Kinesis record; its other bytes add to the shard (kPartial)', () => {
  const stats = new RunStats(2);
  const b = new RecordBatch(4, false);
  b.length = 2;
  b.sentAtMs = 1500;
  for (let i = 0; i < 2; i++) {
    b.status[i] = STATUS_OK;
    b.shard[i] = 1;
    b.ackMs[i] = 1600;
  }
  b.kinesisCount = 2;
  b.kShard.set([1, 1]);
  b.kBytes.set([300, 200]);
  b.kPartial.set([0, 1]);
  stats.recordBatch(b);
  assert.equal(stats.series.get(1, 1, COL_KINESIS_RECORDS), 1);
  assert.equal(stats.series.get(1, 1, COL_BYTES), 500);
});

test('progress: snapshots once per run second in process, and merged across workers', async () => {
  const seen: Progress[] = [];
  await new Engine({ seed: 1, fleet: { devices: 100 }, rate: { recordsPerSec: 3000 }, durationMs: 4000, mode: 'virtual' }, { target: new ModelTarget({ shards: 2 }), onProgress: (p) => seen.push(p) }).run();
  assert.ok(seen.length >= 3, `${seen.length} snapshots`);
  const p = seen[2] as Progress;
  assert.ok(p.generated > 0 && p.sent <= p.generated && p.acked + p.throttled <= p.sent);
  assert.deepEqual(p.shardIds, [shardIdFor(0), shardIdFor(1)]);
  // 3,000/s on 2 shards of 1,000/s: the last full second had ~1,500 records per shard.
  assert.ok(p.lastSecond.records.every((x) => x > 1200 && x < 1800), JSON.stringify(p.lastSecond));
  assert.ok(p.window.count > 0);

  const merged: Progress[] = [];
  const modelModule = new URL('../../bench/targets/model-target.ts', import.meta.url).href;
  const r = await runInWorkers(
    { seed: 2, fleet: { devices: 1000 }, rate: { recordsPerSec: 4000, arrivals: 'constant' }, durationMs: 3000, mode: 'virtual' },
    { workers: 2, targetModule: modelModule, targetSpec: 'model://?shards=4', onProgress: (x) => merged.push(x) },
  );
  assert.ok(merged.length >= 2, `${merged.length} merged snapshots`);
  const last = merged[merged.length - 1] as Progress;
  assert.ok(last.generated <= r.counts.generated && last.generated > r.counts.generated / 3, `${last.generated} of ${r.counts.generated}`);
  assert.equal(last.shardIds.length, 4);
});
