/**
 * The contract every Spool implementation (and fake) must pass. A test file calls
 * `spoolContract(harness)`; the harness says how to build a spool on a storage location and
 * whether entries survive a restart (`durable`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShardwiseError } from '../../agent/core/errors.ts';
import { type OnFull, type Spool, type SpoolEntry, type SpoolItem } from '../../agent/spool/spool.ts';
import { drain, makeEntries, seqOf, track, waitFor } from './helpers.ts';

export interface ContractOverrides {
  readonly maxBytes?: number;
  readonly onFull?: OnFull;
  readonly segmentBytes?: number;
  readonly maxInFlight?: number;
}

export interface SpoolHarness {
  readonly name: string;
  readonly durable: boolean;
  /** A fresh storage location (a temp directory, or anything the harness likes). */
  setup(): Promise<string>;
  teardown(where: string): Promise<void>;
  make(where: string, o?: ContractOverrides): Spool;
  /** Called after open() (e.g. a spill spool told that its sink is down). */
  afterOpen?(s: Spool): void;
}

function sameEntry(got: SpoolItem, want: SpoolEntry): void {
  assert.equal(got.partitionKey, want.partitionKey);
  assert.equal(got.explicitHashKey, want.explicitHashKey);
  assert.equal(got.deviceId, want.deviceId);
  assert.equal(got.ingestTime, want.ingestTime);
  assert.deepEqual(Buffer.from(got.data), Buffer.from(want.data));
}

export function spoolContract(h: SpoolHarness): void {
  describe(`Spool contract: ${h.name}`, () => {
    async function withSpool(o: ContractOverrides | undefined, body: (s: Spool, where: string) => Promise<void>): Promise<void> {
      const where = await h.setup();
      const s = h.make(where, o);
      try {
        await s.open();
        h.afterOpen?.(s);
        await body(s, where);
      } finally {
        await s.close();
        await h.teardown(where);
      }
    }

    it('hands entries out in append order with every field intact and rising ids', async () => {
      await withSpool(undefined, async (s) => {
        const entries = makeEntries(300);
        const r = await s.append(entries);
        assert.deepEqual(r, { appended: 300, dropped: 0 });
        const got = await drain(s, false, 64);
        assert.equal(got.length, 300);
        for (let i = 0; i < 300; i++) sameEntry(got[i]!, entries[i]!);
        for (let i = 1; i < got.length; i++) assert.ok(got[i]!.id > got[i - 1]!.id, 'ids rise');
      });
    });

    it('keeps views into one shared chunk apart (a file source\'s lines), also when the same entry is appended twice', async () => {
      await withSpool(undefined, async (s) => {
        const chunk = Buffer.from('{"a":1}\n{"b":22}\n{"c":333}\n');
        const views = [chunk.subarray(0, 7), chunk.subarray(8, 16), chunk.subarray(17, 26)];
        const plain = makeEntries(3).map((e, i) => ({ ...e, data: views[i]! }));
        await s.append(plain);
        await s.append([plain[0]!, plain[1]!]);
        const got = await drain(s, false, 64);
        assert.equal(got.length, 5);
        for (let i = 0; i < 3; i++) sameEntry(got[i]!, plain[i]!);
        sameEntry(got[3]!, plain[0]!);
        sameEntry(got[4]!, plain[1]!);
        assert.equal(new Set(got.map((it) => it.id)).size, 5, 'every append is its own item with its own id');
        for (let i = 1; i < got.length; i++) assert.ok(got[i]!.id > got[i - 1]!.id, 'ids rise');
      });
    });

    it('read(max) returns at most max and never hands an entry out twice', async () => {
      await withSpool(undefined, async (s) => {
        await s.append(makeEntries(50));
        const seen = new Set<number>();
        for (;;) {
          const got = await s.read(7);
          assert.ok(got.length <= 7);
          if (got.length === 0 && seen.size === 50) break;
          for (const it of got) {
            assert.ok(!seen.has(it.id), `id ${it.id} handed out twice`);
            seen.add(it.id);
          }
          if (got.length === 0) await new Promise((r) => setTimeout(r, 2));
        }
        assert.deepEqual((await s.read(10)).length, 0);
        assert.equal(s.stats().inFlight, 50);
      });
    });

    it('readTo hands the same entries as read, as parts: in order, at most max, never twice, in flight until acked', async () => {
      await withSpool(undefined, async (s) => {
        if (s.readTo === undefined) return;
        const entries = makeEntries(200);
        await s.append(entries.slice(0, 120));
        const got: SpoolItem[] = [];
        const sink = {
          take(id: number, partitionKey: string, explicitHashKey: string | undefined, buffer: ArrayBufferLike, offset: number, length: number, deviceId: string, ingestTime: number): void {
            got.push({ id, partitionKey, explicitHashKey, data: Buffer.from(new Uint8Array(buffer, offset, length)), deviceId, ingestTime });
          },
        };
        // readTo and read take turns; entries appended meanwhile come after.
        for (let turn = 0; got.length < 200; turn++) {
          if (turn === 3) await s.append(entries.slice(120));
          const before = got.length;
          if (turn % 2 === 0) {
            const n = await s.readTo(9, sink);
            assert.ok(n <= 9);
            assert.equal(got.length - before, n);
          } else {
            got.push(...(await s.read(5)));
          }
          if (got.length === before) await new Promise((r) => setTimeout(r, 2));
          assert.ok(turn < 10_000, 'readTo and read stopped handing entries out');
        }
        assert.equal(await s.readTo(10, sink), 0);
        for (let i = 0; i < 200; i++) sameEntry(got[i]!, entries[i]!);
        assert.equal(new Set(got.map((it) => it.id)).size, 200, 'never twice');
        for (let i = 1; i < got.length; i++) assert.ok(got[i]!.id > got[i - 1]!.id, 'ids rise');
        assert.equal(s.stats().inFlight, 200);
        for (const it of got) s.ack(it.id);
        assert.equal(s.stats().inFlight, 0);
        assert.equal(s.stats().records, 0);
      });
    });

    it('concurrent appends keep their call order', async () => {
      await withSpool(undefined, async (s) => {
        const batches = [0, 1, 2, 3, 4, 5].map((b) => makeEntries(20, b * 20));
        const results = await Promise.all(batches.map((b) => s.append(b)));
        for (const r of results) assert.equal(r.appended, 20);
        const got = await drain(s, false);
        assert.deepEqual(got.map(seqOf), Array.from({ length: 120 }, (_, i) => i));
      });
    });

    it('acks out of order: the low-water mark advances only past contiguous acks', async () => {
      await withSpool(undefined, async (s) => {
        await s.append(makeEntries(10));
        const got = await drain(s, false);
        const ids = got.map((g) => g.id);
        const lwm0 = s.stats().lowWaterMark;
        assert.equal(lwm0, ids[0]);
        s.ack(ids[2]!);
        s.ack(ids[1]!);
        assert.equal(s.stats().lowWaterMark, ids[0], 'a gap at the front holds the mark');
        s.ack(ids[0]!);
        assert.equal(s.stats().lowWaterMark, ids[3], 'contiguous acks move it');
        s.ack(ids[0]!); // repeated: ignored
        s.ack(123_456_789); // unknown: ignored
        for (const id of ids.slice(3)) s.ack(id);
        const st = s.stats();
        assert.equal(st.lowWaterMark, ids[9]! + 1);
        assert.equal(st.ackedRecords, 10);
        assert.equal(st.inFlight, 0);
        assert.equal(st.records, 0);
      });
    });

    it('waitForData resolves once something is appended', async () => {
      await withSpool(undefined, async (s) => {
        const w = s.waitForData();
        const t = track(w);
        await new Promise((r) => setImmediate(r));
        assert.equal(t.settled, false);
        await s.append(makeEntries(1));
        assert.equal(await w, true);
        assert.equal(await s.waitForData(), true);
      });
    });

    it('counts an entry larger than the spool can hold as too-large', async () => {
      await withSpool({ maxBytes: 64 * 1024, segmentBytes: 16 * 1024 }, async (s) => {
        const big = makeEntries(1, 0, 40 * 1024);
        const r = await s.append([...big, ...makeEntries(1, 1)]);
        assert.deepEqual(r, { appended: 1, dropped: 1 });
        assert.equal(s.stats().drops['too-large'], 1);
        const got = await drain(s, false);
        assert.deepEqual(got.map(seqOf), [1]);
      });
    });

    it('onFull=drop-newest refuses new entries when full and counts them', async () => {
      await withSpool({ maxBytes: 64 * 1024, segmentBytes: 16 * 1024, onFull: 'drop-newest' }, async (s) => {
        const r = await s.append(makeEntries(200, 0, 1000));
        assert.ok(r.dropped > 0 && r.appended > 0, JSON.stringify(r));
        assert.equal(s.stats().drops['full-drop-newest'], r.dropped);
        const got = await drain(s, true);
        assert.deepEqual(got.map(seqOf), Array.from({ length: r.appended }, (_, i) => i), 'the oldest are kept');
        assert.ok(s.stats().bytes <= 64 * 1024);
      });
    });

    it('onFull=drop-oldest keeps the newest entries and counts the oldest as dropped', async () => {
      await withSpool({ maxBytes: 64 * 1024, segmentBytes: 16 * 1024, onFull: 'drop-oldest' }, async (s) => {
        for (let b = 0; b < 10; b++) await s.append(makeEntries(20, b * 20, 1000));
        assert.ok(s.stats().bytes <= 64 * 1024, `bytes ${s.stats().bytes}`);
        const got = await drain(s, true);
        const seqs = got.map(seqOf);
        const dropped = s.stats().drops['full-drop-oldest'];
        assert.ok(dropped > 0);
        assert.equal(seqs.length + dropped, 200, 'delivered + dropped = appended');
        assert.equal(seqs[seqs.length - 1], 199, 'the newest survives');
        assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => 200 - seqs.length + i), 'a suffix, in order');
      });
    });

    it('onFull=block keeps append pending until acks free space, then stores everything', async () => {
      await withSpool({ maxBytes: 64 * 1024, segmentBytes: 16 * 1024, onFull: 'block' }, async (s) => {
        const pending = track(s.append(makeEntries(200, 0, 1000)));
        await waitFor(() => s.stats().blockedAppends === 1, 'append blocked');
        assert.equal(pending.settled, false);
        assert.ok(s.stats().bytes <= 64 * 1024);
        const seqs: number[] = [];
        while (seqs.length < 200) {
          const got = await s.read(50);
          for (const it of got) {
            seqs.push(seqOf(it));
            s.ack(it.id);
          }
          if (got.length === 0) await new Promise((r) => setTimeout(r, 2));
        }
        assert.deepEqual(await pending.promise, { appended: 200, dropped: 0 });
        assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i));
        assert.equal(s.stats().drops['full-drop-newest'] + s.stats().drops['full-drop-oldest'], 0);
      });
    });

    it('maxInFlight bounds what is handed out and not acknowledged', async () => {
      await withSpool({ maxInFlight: 5 }, async (s) => {
        await s.append(makeEntries(12));
        await waitFor(() => s.stats().records === 12, 'stored');
        let got = await s.read(100);
        while (got.length === 0) got = await s.read(100);
        assert.equal(got.length, 5);
        assert.equal((await s.read(100)).length, 0);
        s.ack(got[0]!.id);
        assert.equal((await s.read(100)).length, 1);
      });
    });

    it('rejects append after close with E_SPOOL_CLOSED; waitForData gives false', async () => {
      const where = await h.setup();
      const s = h.make(where);
      await s.open();
      await s.close();
      await assert.rejects(s.append(makeEntries(1)), (e: unknown) => isShardwiseError(e) && e.code === 'E_SPOOL_CLOSED');
      assert.equal(await s.waitForData(), false);
      await s.close(); // twice is fine
      await h.teardown(where);
    });

    it(h.durable ? 'after a restart only unacknowledged entries come back, ids keep rising' : 'a restart loses everything and close counts it', async () => {
      const where = await h.setup();
      try {
        const entries = makeEntries(10);
        const a = h.make(where);
        await a.open();
        h.afterOpen?.(a);
        await a.append(entries);
        const got = await drain(a, false);
        for (const i of [0, 1, 2, 3, 4, 7]) a.ack(got[i]!.id);
        await a.close();
        if (!h.durable) assert.equal(a.stats().drops['closed-in-memory'], 4);
        const b = h.make(where);
        const report = await b.open();
        h.afterOpen?.(b);
        const again = await drain(b, false);
        if (h.durable) {
          assert.equal(report.lowWaterMark, got[5]!.id);
          // 7 was acknowledged above the mark: it may come back (the documented duplicate window).
          assert.deepEqual(again.map(seqOf).filter((q) => q !== 7), [5, 6, 8, 9]);
          for (const it of again) sameEntry(it, entries[seqOf(it)]!);
          await b.append(makeEntries(1, 10));
          const more = await drain(b, false);
          assert.ok(more[0]!.id > got[9]!.id, 'ids never reused');
        } else {
          assert.equal(again.length, 0);
        }
        await b.close();
      } finally {
        await h.teardown(where);
      }
    });
  });
}
