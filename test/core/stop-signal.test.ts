import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopSignal } from '../../agent/core/stop-signal.ts';

test('until() resolves as its promise does and leaves nothing parked (no reaction per wait on a long-lived promise)', async () => {
  const s = new StopSignal();
  for (let i = 0; i < 10_000; i++) assert.equal(await s.until(Promise.resolve(i)), i);
  assert.equal(s.parked, 0);
  await assert.rejects(s.until(Promise.reject(new Error('boom'))), /boom/);
  assert.equal(s.parked, 0);
});

test('stop() wakes parked waits with undefined, and later waits return at once until reset()', async () => {
  const s = new StopSignal();
  const never = new Promise<number>(() => undefined);
  const a = s.until(never);
  const b = s.until(never);
  assert.equal(s.parked, 2);
  s.stop();
  assert.deepEqual(await Promise.all([a, b]), [undefined, undefined]);
  assert.equal(s.parked, 0);
  assert.equal(await s.until(never), undefined);
  s.reset();
  assert.equal(s.isStopped, false);
  assert.equal(await s.until(Promise.resolve('again')), 'again');
});
