/**
 * Video source: where the camera id comes from (`cameraId.fixed`, a template relative to `dir`, an
 * absolute template), `hash: none`, and the config → source wiring for these options.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAgentConfig } from '../../agent/config/agent-config.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { buildSources } from '../../agent/pipeline/build-sources.ts';
import type { SegmentMetadata } from '../../agent/sources/video/segment-metadata.ts';
import { VideoSource } from '../../agent/sources/video/video-source.ts';
import type { VideoSourceOptions } from '../../agent/sources/video/video-source-options.ts';
import { mp4, mpegts } from './fixtures.ts';
import { CollectingDownstream, sleep, waitUntil } from './source-contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A camera directory whose absolute path has several levels above it (…/site/recordings). */
async function setup(): Promise<{ dir: string; state: string }> {
  const root = await mkdtemp(join(tmpdir(), 'shardwise-camid-'));
  dirs.push(root);
  const dir = join(root, 'site', 'recordings');
  await mkdir(dir, { recursive: true });
  return { dir, state: join(root, 'state', 'video.json') };
}

/** Writes under a temp name, then renames into place (a finished segment at once). */
async function drop(path: string, bytes: Buffer): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.part`, bytes);
  await sleep(30);
  await rename(`${path}.part`, path);
}

async function run(opts: Partial<VideoSourceOptions> & Pick<VideoSourceOptions, 'cameraId' | 'dir' | 'statePath'>, files: [string, Buffer][], expected: number): Promise<CollectingDownstream> {
  const ds = new CollectingDownstream();
  const src = new VideoSource({ name: 'cams', recursive: true, stableForMs: 60_000, pollIntervalMs: 25, patterns: ['*.mp4', '*.ts'], ...opts });
  await src.start(ds);
  for (const [rel, bytes] of files) await drop(join(opts.dir, rel), bytes);
  await waitUntil(() => ds.accepted.length + ds.rejected.length >= expected, `${expected} segments`);
  await sleep(150);
  await src.stop();
  assert.equal(ds.accepted.length + ds.rejected.length, expected);
  return ds;
}

const meta = (ds: CollectingDownstream): SegmentMetadata[] => ds.texts().map((t) => JSON.parse(t) as SegmentMetadata);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('video source: camera id', () => {
  it('cameraId.fixed: every segment, at any depth, belongs to that camera, numbered in order', async () => {
    const { dir, state } = await setup();
    const a = mp4({ durationMs: 4000, width: 640, height: 360, mdatBytes: 2000 });
    const b = mpegts({ frames: 50, fps: 25, width: 640, height: 360 });
    const ds = await run({ dir, statePath: state, cameraId: { fixed: 'cam-1' } }, [['0001.mp4', a], ['2024-05-01/0002.ts', b]], 2);
    assert.equal(ds.rejected.length, 0);
    const m = meta(ds);
    assert.deepEqual(m.map((x) => [x.camera, x.seq, x.file]), [['cam-1', 1, '0001.mp4'], ['cam-1', 2, '0002.ts']]);
    assert.deepEqual(ds.accepted.map((r) => r.deviceId), ['cam-1', 'cam-1']);
    assert.equal(m[0]?.sha256, sha256(a));
    assert.equal(m[1]?.durationMs, 2000);
  });

  it('a relative template ({camera}/**, the default) is matched against the path relative to dir', async () => {
    const { dir, state } = await setup();
    const seg = mp4({ durationMs: 1000, width: 320, height: 240, mdatBytes: 500 });
    const ds = await run({ dir, statePath: state, cameraId: { fromPath: '{camera}/**' } }, [['front/2024-05-01/10-00.mp4', seg], ['back/10-00.mp4', seg], ['loose.mp4', seg]], 3);
    assert.deepEqual(meta(ds).map((x) => x.camera).sort(), ['back', 'front'], 'the first level under dir, not a directory above it');
    assert.deepEqual(ds.rejected.map((r) => r.reason), ['no-device-id'], 'a segment directly in dir has no camera directory');
  });

  it('an absolute template is matched against the whole path', async () => {
    const { dir, state } = await setup();
    const seg = mp4({ durationMs: 1000, width: 320, height: 240, mdatBytes: 500 });
    const ds = await run({ dir, statePath: state, cameraId: { fromPath: `${join(dir, '..', '..')}/{site}/recordings/{camera}/*.mp4` } }, [['gate/1.mp4', seg]], 1);
    assert.equal(meta(ds)[0]?.camera, 'site/gate');
  });
});

describe('video source: hash none', () => {
  it('skips the checksum (sha256 null) and still probes the container', async () => {
    const { dir, state } = await setup();
    const seg = mp4({ durationMs: 7000, width: 1280, height: 720, mdatBytes: 5000 });
    const ds = await run({ dir, statePath: state, cameraId: { fixed: 'c' }, hash: 'none' }, [['1.mp4', seg]], 1);
    const m = meta(ds)[0];
    assert.equal(m?.sha256, null);
    assert.deepEqual([m?.durationMs, m?.width, m?.height, m?.size], [7000, 1280, 720, seg.length]);
  });
});

describe('config → video source', () => {
  it('builds a source with cameraId.fixed and passes hash', () => {
    const r = parseAgentConfig(
      JSON.stringify({
        gatewayId: 'gw',
        stateDir: '/tmp/x',
        sources: [{ type: 'video', name: 'cam', dir: '/srv/cam1', cameraId: { fixed: 'cam-1' }, hash: 'none' }],
        sink: { type: 'kinesis', stream: 's', region: 'us-east-1' },
      }),
      { env: {} },
    );
    assert.ok(r.ok, JSON.stringify(r));
    const [src] = buildSources(r.value, createLogger({ level: 'silent' }));
    assert.ok(src instanceof VideoSource);
    assert.deepEqual(src.opts.cameraId, { fixed: 'cam-1' });
    assert.equal(src.opts.hash, 'none');
  });
});
