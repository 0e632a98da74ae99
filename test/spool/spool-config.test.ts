import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShardwiseError } from '../../agent/core/errors.ts';
import { createSpool } from '../../agent/spool/create-spool.ts';
import { resolveSpoolOptions, SPOOL_OPTION_DOCS } from '../../agent/spool/spool-config.ts';
import type { SpoolOptionsInput } from '../../agent/spool/spool-config.ts';

describe('spool options', () => {
  it('fills defaults: spill, 256 MiB, drop-oldest, fsync interval 100 ms, segments maxBytes/8 capped at 8 MiB', () => {
    const o = resolveSpoolOptions({ dir: '/x' });
    assert.equal(o.mode, 'spill');
    assert.equal(o.maxBytes, 256 * 1024 * 1024);
    assert.equal(o.onFull, 'drop-oldest');
    assert.equal(o.fsync, 'interval');
    assert.equal(o.fsyncIntervalMs, 100);
    assert.equal(o.segmentBytes, 8 * 1024 * 1024);
    assert.equal(o.memoryBytes, 16 * 1024 * 1024);
  });

  it('accepts a 1 MiB spool (small devices) with 128 KiB segments', () => {
    const o = resolveSpoolOptions({ dir: '/x', maxBytes: 1024 * 1024 });
    assert.equal(o.segmentBytes, 128 * 1024);
    assert.equal(o.memoryBytes, 256 * 1024);
  });

  it('reports every problem at once, with paths, and names the valid keys for an unknown one', () => {
    const bad = { mode: 'disk', maxBytes: 10, fsync: 'sometimes', segmentBytes: 1.5, colour: 'red' } as unknown as SpoolOptionsInput;
    assert.throws(
      () => resolveSpoolOptions(bad),
      (e: unknown) => {
        assert.ok(isShardwiseError(e) && e.code === 'E_CONFIG');
        const lines = e.message.split('\n');
        assert.ok(lines.some((l) => l.startsWith('spool.colour: unknown key (valid: mode, dir,')));
        assert.ok(lines.some((l) => l.startsWith('spool.mode: expected one of always | spill | memory, got disk')));
        assert.ok(lines.some((l) => l.startsWith('spool.maxBytes: expected an integer')));
        assert.ok(lines.some((l) => l.startsWith('spool.fsync:')));
        assert.ok(lines.some((l) => l.startsWith('spool.segmentBytes:')));
        assert.ok(lines.some((l) => l.startsWith('spool.dir:')));
        return true;
      },
    );
  });

  it('documents every option', () => {
    const keys = Object.keys(resolveSpoolOptions({ dir: '/x' })).sort();
    assert.deepEqual(SPOOL_OPTION_DOCS.map((d) => d.key).sort(), keys);
  });

  it('createSpool picks the implementation by mode', () => {
    assert.equal(createSpool({ mode: 'memory' }).mode, 'memory');
    assert.equal(createSpool({ mode: 'always', dir: '/tmp/never-opened' }).capabilities.durable, true);
  });
});
