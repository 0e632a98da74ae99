/** Container probes (MP4, MPEG-TS, Matroska, H.264 SPS) on generated fixtures, and the segment-finished rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferByteSource } from '../../agent/sources/video/byte-source.ts';
import type { ContainerInfo } from '../../agent/sources/video/byte-source.ts';
import { probeContainer } from '../../agent/sources/video/container-probe.ts';
import { parseH264Sps, unescapeRbsp } from '../../agent/sources/video/h264-sps.ts';
import { RENAME_SLACK_MS, SegmentWatcher } from '../../agent/sources/video/segment-watcher.ts';
import type { SegmentFile } from '../../agent/sources/video/segment-watcher.ts';
import { h264Sps, mkv, mp4, mpegts } from './fixtures.ts';

const probe = (b: Buffer): Promise<ContainerInfo> => probeContainer(new BufferByteSource(b));
const facts = (i: ContainerInfo): unknown[] => [i.container, i.durationMs, i.width, i.height, i.probe];

describe('MP4 probe', () => {
  it('reads mvhd duration and the video tkhd size (version 0 and 1, largesize, size 0, moov last)', async () => {
    assert.deepEqual(facts(await probe(mp4({ durationMs: 10_000, width: 1280, height: 720 }))), ['mp4', 10_000, 1280, 720, 'ok']);
    const v1 = mp4({ durationMs: 6500, width: 640, height: 480, version: 1, audio: true, mdat: 'largesize', timescale: 600 });
    assert.deepEqual(facts(await probe(v1)), ['mp4', 6500, 640, 480, 'ok']);
    assert.deepEqual(facts(await probe(mp4({ durationMs: 4000, width: 320, height: 240, moovLast: true }))), ['mp4', 4000, 320, 240, 'ok']);
    assert.deepEqual(facts(await probe(mp4({ durationMs: 4000, width: 320, height: 240, mdat: 'toEnd' }))), ['mp4', 4000, 320, 240, 'ok']);
  });

  it('sums trun sample durations of fragmented MP4 (trex default or per-sample), else uses mehd', async () => {
    const trex = mp4({ durationMs: 8000, width: 1920, height: 1080, fragmented: { fragments: 4, fps: 25 } });
    assert.deepEqual(facts(await probe(trex)), ['mp4', 8000, 1920, 1080, 'ok']);
    const per = mp4({ durationMs: 6000, width: 1920, height: 1080, fragmented: { fragments: 3, fps: 30, perSample: true } });
    assert.deepEqual(facts(await probe(per)), ['mp4', 6000, 1920, 1080, 'ok']);
    const mehdOnly = mp4({ durationMs: 7000, width: 800, height: 600, fragmented: { fragments: 0, fps: 25, mehd: true } });
    assert.deepEqual(facts(await probe(mehdOnly)), ['mp4', 7000, 800, 600, 'ok']);
  });

  it('reports what it can of a truncated file, with the reason', async () => {
    const full = mp4({ durationMs: 10_000, width: 1280, height: 720 });
    const cutMdat = await probe(full.subarray(0, full.length - 100));
    assert.deepEqual(facts(cutMdat), ['mp4', 10_000, 1280, 720, 'partial']);
    assert.match(cutMdat.detail ?? '', /mdat.*truncated/);
    const cutMoov = await probe(full.subarray(0, 200)); // mvhd complete, trak cut
    assert.deepEqual(facts(cutMoov), ['mp4', 10_000, null, null, 'partial']);
    assert.deepEqual(facts(await probe(full.subarray(0, 20))), ['mp4', null, null, null, 'failed']);
  });
});

describe('MPEG-TS probe', () => {
  it('duration from PTS (+ one frame) and size from the H.264 SPS', async () => {
    assert.deepEqual(facts(await probe(mpegts({ frames: 250, fps: 25, width: 1920, height: 1080 }))), ['mpegts', 10_000, 1920, 1080, 'ok']);
    assert.deepEqual(facts(await probe(mpegts({ frames: 50, fps: 25, width: 704, height: 576, pcr: false }))), ['mpegts', 2000, 704, 576, 'ok']);
  });

  it('handles the 33-bit PTS wrap and B-frame reordering (High profile SPS)', async () => {
    const ts = mpegts({ frames: 301, fps: 30, width: 1280, height: 720, firstPts: 2 ** 33 - 3000 * 30, bFrames: true, profile: 100 });
    assert.deepEqual(facts(await probe(ts)), ['mpegts', 10_033, 1280, 720, 'ok']);
  });

  it('reads only the head and tail of a large file', async () => {
    const big = mpegts({ frames: 2500, fps: 25, width: 1920, height: 1080, frameBytes: 2000 });
    assert.ok(big.length > 4 * 1024 * 1024);
    assert.deepEqual(facts(await probe(big)), ['mpegts', 100_000, 1920, 1080, 'ok']);
    const cut = await probe(big.subarray(0, big.length - 1000)); // last packet incomplete, last frame(s) lost
    assert.equal(cut.container, 'mpegts');
    assert.ok(cut.durationMs !== null && cut.durationMs > 99_000 && cut.durationMs <= 100_000, String(cut.durationMs));
  });

  it('notes lost sync as partial', async () => {
    const ts = mpegts({ frames: 100, fps: 25, width: 1280, height: 720 });
    const garbled = Buffer.concat([ts.subarray(0, 188 * 5), Buffer.alloc(1000, 0x47), ts.subarray(188 * 60)]);
    const info = await probe(garbled);
    assert.equal(info.probe, 'partial');
    assert.match(info.detail ?? '', /lost sync/);
  });
});

describe('Matroska probe', () => {
  it('duration from Segment Info (float 8 or 4, TimecodeScale) and the video track size', async () => {
    assert.deepEqual(facts(await probe(mkv({ durationMs: 12_345, width: 1920, height: 1080 }))), ['mkv', 12_345, 1920, 1080, 'ok']);
    assert.deepEqual(facts(await probe(mkv({ durationMs: 5000, width: 640, height: 360, floatBytes: 4, timecodeScale: 100_000 }))), [
      'mkv',
      5000,
      640,
      360,
      'ok',
    ]);
    const live = await probe(mkv({ durationMs: 5000, width: 640, height: 360, omitDuration: true }));
    assert.deepEqual(facts(live), ['mkv', null, 640, 360, 'partial']);
  });
});

describe('H.264 SPS', () => {
  for (const [w, h, p] of [[1920, 1080, 66], [1280, 720, 66], [704, 576, 100], [1920, 1080, 100], [3840, 2160, 100]] as const) {
    it(`${w}x${h} profile ${p}`, () => {
      assert.deepEqual(parseH264Sps(h264Sps(w, h, p).subarray(1)), { width: w, height: h });
    });
  }
  it('removes emulation prevention bytes and survives a cut SPS', () => {
    assert.deepEqual([...unescapeRbsp(Uint8Array.from([0, 0, 3, 1, 0, 0, 3, 0]))], [0, 0, 1, 0, 0, 0]);
    assert.equal(parseH264Sps(h264Sps(1920, 1080).subarray(1, 4)), undefined);
  });
});

describe('segment finished rules', () => {
  const file = (over: Partial<SegmentFile> = {}): SegmentFile => ({
    path: '/c/front/1.mp4',
    key: '1:1',
    size: 100,
    mtimeNs: 5_000_000_000n,
    ctimeNs: 5_000_000_000n,
    mtimeMs: 5000,
    ...over,
  });

  it('in place: finished once size and mtime are stable for stableForMs', () => {
    const w = new SegmentWatcher(2000);
    assert.deepEqual(w.update([file()], 0, undefined), []);
    assert.deepEqual(w.update([file()], 1000, 10_000), []);
    assert.deepEqual(w.update([file({ size: 200 })], 1500, 10_000), []); // grew: wait again
    assert.deepEqual(w.update([file({ size: 200 })], 3000, 10_000), []);
    assert.equal(w.update([file({ size: 200 })], 3500, 10_000).length, 1);
  });

  it('renamed in (ctime > mtime at first sight): finished when unchanged at the next poll', () => {
    const w = new SegmentWatcher(600_000);
    const f = file({ ctimeNs: 5_040_000_000n });
    assert.deepEqual(w.update([f], 0, undefined), []);
    assert.equal(w.update([f], 100, 1000).length, 1);
  });

  it('moved in (older than the previous scan, not seen by it): finished at the next poll; not on the first scan', () => {
    const w = new SegmentWatcher(600_000);
    const f = file({ mtimeMs: 10_000 - RENAME_SLACK_MS - 1 });
    assert.deepEqual(w.update([f], 0, 10_000), []);
    assert.equal(w.update([f], 100, 10_100).length, 1);
    const first = new SegmentWatcher(600_000);
    first.update([f], 0, undefined);
    assert.deepEqual(first.update([f], 100, 10_100), []);
  });

  it('a renamed-in file that then changes, or an empty one, falls back to stableForMs', () => {
    const w = new SegmentWatcher(1000);
    const f = file({ ctimeNs: 6_000_000_000n });
    w.update([f, file({ key: '2', size: 0, ctimeNs: 6_000_000_000n })], 0, undefined);
    assert.deepEqual(w.update([file({ ctimeNs: 6_000_000_000n, size: 150 }), file({ key: '2', size: 0, ctimeNs: 6_000_000_000n })], 100, 1), []);
    w.changed('2', 500);
    assert.deepEqual(w.update([file({ size: 150 }), file({ key: '2', size: 0 })], 900, 1), []);
    assert.deepEqual(w.update([file({ size: 150 }), file({ key: '2', size: 0 })], 1100, 1).map((x) => x.key), ['1:1']);
    assert.deepEqual(w.update([file({ size: 150 }), file({ key: '2', size: 0 })], 1900, 1).map((x) => x.key), ['1:1', '2']);
  });
});
