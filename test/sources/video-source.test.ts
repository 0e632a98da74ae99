/**
 * Video source: segments written in place or renamed into place are reported once, with size,
 * sha256 and container facts; restart does not re-report; corrupt containers still produce a
 * record; the shared Source contract. Real files in a temp dir; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VideoSource } from '../../agent/sources/video/video-source.ts';
import type { VideoSourceOptions } from '../../agent/sources/video/video-source-options.ts';
import type { SegmentMetadata } from '../../agent/sources/video/segment-metadata.ts';
import { mkv, mp4, mpegts } from './fixtures.ts';
import { CollectingDownstream, sleep, sourceContract, waitUntil } from './source-contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup(): Promise<{ dir: string; state: string }> {
  const root = await mkdtemp(join(tmpdir(), 'shardwise-video-'));
  dirs.push(root);
  const dir = join(root, 'cams');
  await mkdir(join(dir, 'front'), { recursive: true });
  await mkdir(join(dir, 'back'), { recursive: true });
  return { dir, state: join(root, 'state', 'video.json') };
}

function videoSource(dir: string, state: string, over: Partial<VideoSourceOptions> = {}): VideoSource {
  return new VideoSource({
    name: 'cams',
    dir,
    recursive: true,
    cameraId: { fromPath: `${dir}/{camera}/*` },
    stableForMs: 300,
    pollIntervalMs: 25,
    statePath: state,
    ...over,
  });
}

const meta = (ds: CollectingDownstream): SegmentMetadata[] => ds.texts().map((t) => JSON.parse(t) as SegmentMetadata);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes `bytes` under a temp name and renames it into place once the file clock has moved on (ctime > mtime). */
async function dropByRename(path: string, bytes: Buffer): Promise<void> {
  const tmp = `${path}.part`;
  await writeFile(tmp, bytes);
  await sleep(30);
  await rename(tmp, path);
}

describe('video source', () => {
  it('reports a segment written slowly in place once, with size, sha256 and container facts', async () => {
    const { dir, state } = await setup();
    const bytes = mp4({ durationMs: 10_000, width: 1280, height: 720, mdatBytes: 60_000 });
    const ds = new CollectingDownstream();
    const src = videoSource(dir, state, { stableForMs: 1500 }); // far above the pauses between pieces
    await src.start(ds);
    const path = join(dir, 'front', '0001.mp4');
    const pieces = 6;
    const step = Math.ceil(bytes.length / pieces);
    for (let i = 0; i < pieces; i++) {
      await appendFile(path, bytes.subarray(i * step, (i + 1) * step));
      await sleep(80); // far less than stableForMs: never finished in between
    }
    await waitUntil(() => ds.accepted.length === 1, 'one segment record');
    await sleep(300);
    await src.stop();
    assert.equal(ds.accepted.length, 1);
    const m = meta(ds)[0];
    assert.deepEqual(m, {
      type: 'video-segment',
      camera: 'front',
      seq: 1,
      file: '0001.mp4',
      path,
      size: bytes.length,
      sha256: sha256(bytes),
      mtime: m?.mtime,
      container: 'mp4',
      durationMs: 10_000,
      width: 1280,
      height: 720,
      probe: 'ok',
    });
    assert.equal(ds.accepted[0]?.deviceId, 'front');
    assert.ok(ds.accepted[0]!.payload.length < 1000, 'metadata only, never the video bytes');
  });

  it('reports a segment renamed into place once, without waiting for stableForMs', async () => {
    const { dir, state } = await setup();
    const bytes = mpegts({ frames: 250, fps: 25, width: 1920, height: 1080 });
    const ds = new CollectingDownstream();
    const src = videoSource(dir, state, { stableForMs: 600_000 });
    await src.start(ds);
    await dropByRename(join(dir, 'back', '0002.ts'), bytes);
    await waitUntil(() => ds.accepted.length === 1, 'the renamed segment');
    await sleep(200);
    await src.stop();
    assert.equal(ds.accepted.length, 1);
    const m = meta(ds)[0];
    assert.equal(m?.camera, 'back');
    assert.equal(m?.container, 'mpegts');
    assert.equal(m?.durationMs, 10_000);
    assert.deepEqual([m?.width, m?.height], [1920, 1080]);
    assert.equal(m?.sha256, sha256(bytes));
    assert.equal(m?.size, bytes.length);
  });

  it('does not re-report after a restart and continues the per-camera sequence', async () => {
    const { dir, state } = await setup();
    const ds1 = new CollectingDownstream();
    const a = videoSource(dir, state);
    await a.start(ds1);
    await dropByRename(join(dir, 'front', 'a.mp4'), mp4({ durationMs: 2000, width: 640, height: 480 }));
    await dropByRename(join(dir, 'front', 'b.mkv'), mkv({ durationMs: 3000, width: 640, height: 480 }));
    await dropByRename(join(dir, 'back', 'c.mp4'), mp4({ durationMs: 4000, width: 640, height: 480 }));
    await waitUntil(() => ds1.accepted.length === 3, 'three segments');
    await a.stop();
    const ds2 = new CollectingDownstream();
    const b = videoSource(dir, state);
    await b.start(ds2);
    await dropByRename(join(dir, 'front', 'd.mkv'), mkv({ durationMs: 5000, width: 320, height: 240 }));
    await waitUntil(() => ds2.accepted.length >= 1, 'the new segment');
    await sleep(500); // several polls and more than stableForMs: the old segments would show up by now
    await b.stop();
    assert.deepEqual(meta(ds1).map((m) => [m.file, m.camera, m.seq]).sort(), [['a.mp4', 'front', 1], ['b.mkv', 'front', 2], ['c.mp4', 'back', 1]]);
    assert.deepEqual(meta(ds2).map((m) => [m.file, m.seq, m.durationMs]), [['d.mkv', 3, 5000]]);
    const doc = JSON.parse(await readFile(state, 'utf8')) as { cameras: Record<string, number>; segments: Record<string, unknown> };
    assert.deepEqual(doc.cameras, { front: 3, back: 1 });
    assert.equal(Object.keys(doc.segments).length, 4);
  });

  it('still reports corrupt or truncated containers, with unknown fields, and never crashes', async () => {
    const { dir, state } = await setup();
    const full = mp4({ durationMs: 10_000, width: 1280, height: 720 });
    const ts = mpegts({ frames: 100, fps: 25, width: 1280, height: 720 });
    const ds = new CollectingDownstream();
    const src = videoSource(dir, state);
    await src.start(ds);
    await dropByRename(join(dir, 'front', 'cut.mp4'), full.subarray(0, 100)); // cut inside moov, before mvhd ends
    await dropByRename(join(dir, 'front', 'noise.mp4'), Buffer.from('this is not a video file at all'));
    await dropByRename(join(dir, 'front', 'empty.mkv'), Buffer.alloc(0)); // zero bytes: stableForMs rule
    await dropByRename(join(dir, 'front', 'garbled.ts'), Buffer.concat([ts.subarray(0, 188 * 5), Buffer.alloc(1000, 0x47), ts.subarray(188 * 60)]));
    await waitUntil(() => ds.accepted.length === 4, 'four records');
    await src.stop();
    const byFile = new Map(meta(ds).map((m) => [m.file, m]));
    const cut = byFile.get('cut.mp4');
    assert.deepEqual([cut?.container, cut?.durationMs, cut?.width, cut?.probe], ['mp4', null, null, 'partial']);
    assert.match(cut?.probeDetail ?? '', /truncated/);
    const noise = byFile.get('noise.mp4');
    assert.deepEqual([noise?.container, noise?.durationMs, noise?.probe], ['unknown', null, 'failed']);
    assert.equal(byFile.get('empty.mkv')?.size, 0);
    assert.equal(byFile.get('empty.mkv')?.container, 'unknown');
    const garbled = byFile.get('garbled.ts');
    assert.equal(garbled?.container, 'mpegts');
    assert.equal(garbled?.probe, 'partial');
    assert.equal(src.health().up, false); // stopped
  });

  it('refuses (once) a segment whose path has no camera id', async () => {
    const { dir, state } = await setup();
    const ds = new CollectingDownstream();
    const src = videoSource(dir, state);
    await src.start(ds);
    await dropByRename(join(dir, 'stray.mp4'), mp4({ durationMs: 1000, width: 64, height: 64 }));
    await waitUntil(() => ds.rejected.length === 1, 'a reject');
    await sleep(200);
    await src.stop();
    assert.deepEqual(ds.reasons(), ['no-device-id']);
    assert.equal(ds.accepted.length, 0);
  });

  it('refuses to start on an unreadable state file (E_CHECKPOINT)', async () => {
    const { dir, state } = await setup();
    await mkdir(join(state, '..'), { recursive: true });
    await writeFile(state, '{"version":1,"cameras":{},"segments":[]}');
    const src = videoSource(dir, state);
    await assert.rejects(src.start(new CollectingDownstream()), (e: unknown) => (e as { code?: string }).code === 'E_CHECKPOINT');
    await src.stop();
  });

  it('reports a segment again, with the same sequence number, when accept failed', async () => {
    const { dir, state } = await setup();
    const ds = new CollectingDownstream();
    const { ShardwiseError } = await import('../../agent/core/errors.ts');
    ds.failNext = new ShardwiseError('E_PRODUCER_CLOSED', 'spool closed for a moment', { retryable: true });
    const src = videoSource(dir, state);
    await src.start(ds);
    await dropByRename(join(dir, 'front', 'x.mp4'), mp4({ durationMs: 1000, width: 64, height: 64 }));
    await waitUntil(() => ds.accepted.length === 1, 'the segment after a failed accept');
    await sleep(200);
    await src.stop();
    assert.equal(ds.acceptCalls, 2);
    assert.deepEqual(meta(ds).map((m) => m.seq), [1]);
  });
});

sourceContract(
  'video',
  async () => {
    const { dir, state } = await setup();
    const source = videoSource(dir, state, { stableForMs: 600_000 });
    let n = 0;
    return {
      source,
      produce: async (k: number) => {
        for (let i = 0; i < k; i++) await dropByRename(join(dir, 'front', `seg-${n++}.mp4`), mp4({ durationMs: 1000 + n, width: 64, height: 64 }));
      },
      acknowledged: async () => {
        try {
          return Object.keys((JSON.parse(await readFile(state, 'utf8')) as { segments: object }).segments).length;
        } catch {
          return 0; // no state file yet
        }
      },
      dispose: async () => undefined,
    };
  },
  { quietMs: 200 },
);
