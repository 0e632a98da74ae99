import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { Lifecycle } from '../../agent/lifecycle/lifecycle.ts';
import type { Part } from '../../agent/lifecycle/lifecycle.ts';
import type { Notifier } from '../../agent/lifecycle/systemd-notify.ts';

function recorder(): { events: string[]; part(name: string, o?: { failStart?: boolean; failStop?: boolean; hangStop?: boolean }): Part } {
  const events: string[] = [];
  return {
    events,
    part: (name, o = {}) => ({
      name,
      start: async () => {
        events.push(`start ${name}`);
        if (o.failStart) throw new Error(`${name} cannot start`);
      },
      stop: async () => {
        events.push(`stop ${name}`);
        if (o.failStop) throw new Error(`${name} cannot stop`);
        if (o.hangStop) await new Promise(() => undefined);
      },
    }),
  };
}

function fakeNotifier(events: string[]): Notifier {
  return {
    enabled: true,
    watchdogIntervalMs: undefined,
    ready: async () => void events.push('READY=1'),
    stopping: async () => void events.push('STOPPING=1'),
    watchdog: async () => void events.push('WATCHDOG=1'),
    status: async (t) => void events.push(`STATUS=${t}`),
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('lifecycle', () => {
  it('starts in order, notifies READY, and stops in the given stop order after STOPPING', async () => {
    const r = recorder();
    const lc = new Lifecycle({
      parts: [r.part('sink'), r.part('spool'), r.part('sources')],
      stopOrder: ['sources', 'sink', 'spool'],
      notifier: fakeNotifier(r.events),
      log: quiet,
    });
    await lc.start();
    const report = await lc.stop();
    assert.deepEqual(r.events, ['start sink', 'start spool', 'start sources', 'READY=1', 'STOPPING=1', 'stop sources', 'stop sink', 'stop spool']);
    assert.equal(report.ok, true);
    assert.deepEqual(report.stopped, ['sources', 'sink', 'spool']);
    assert.equal(await lc.stop(), report, 'idempotent');
  });

  it('defaults to reverse start order and validates stopOrder', () => {
    assert.throws(() => new Lifecycle({ parts: [recorder().part('a')], stopOrder: ['b'] }), /stopOrder/);
    assert.throws(() => new Lifecycle({ parts: [recorder().part('a'), recorder().part('a')] }), /unique/);
  });

  it('on a failed start stops only what was started, then rethrows; no READY', async () => {
    const r = recorder();
    const lc = new Lifecycle({ parts: [r.part('a'), r.part('b', { failStart: true }), r.part('c')], notifier: fakeNotifier(r.events), log: quiet });
    await assert.rejects(lc.start(), /b cannot start/);
    assert.deepEqual(r.events, ['start a', 'start b', 'STOPPING=1', 'stop a']);
  });

  it('keeps stopping the other parts when one stop throws, and reports it', async () => {
    const r = recorder();
    const lc = new Lifecycle({ parts: [r.part('a'), r.part('b', { failStop: true }), r.part('c')], log: quiet });
    await lc.start();
    const rep = await lc.stop();
    assert.deepEqual(r.events.filter((e) => e.startsWith('stop')), ['stop c', 'stop b', 'stop a']);
    assert.equal(rep.ok, false);
    assert.deepEqual(rep.failed.map((f) => f.name), ['b']);
    assert.deepEqual(rep.stopped, ['c', 'a']);
  });

  it('reports the stuck part and those not reached when the shutdown timeout passes', async () => {
    const r = recorder();
    const errors: string[] = [];
    const lc = new Lifecycle({
      parts: [r.part('spool'), r.part('sink', { hangStop: true }), r.part('sources')],
      shutdownTimeoutMs: 30,
      log: { ...quiet, error: (_f: object, m: string) => void errors.push(m) },
    });
    await lc.start();
    const rep = await lc.stop('test');
    assert.equal(rep.timedOut, true);
    assert.equal(rep.ok, false);
    assert.equal(rep.stuck, 'sink');
    assert.deepEqual(rep.stopped, ['sources']);
    assert.deepEqual(rep.notReached, ['spool']);
    assert.deepEqual(errors, ['shutdown timed out after 30 ms: stuck in sink; not stopped: spool']);
  });

  it('SIGTERM stops gracefully then exits 0; a timeout exits 1; a second signal exits at once', async () => {
    const signals = new EventEmitter();
    const codes: number[] = [];
    const r = recorder();
    const exited = new Promise<void>((resolve) => {
      const lc = new Lifecycle({ parts: [r.part('a')], signals, exit: (c) => (codes.push(c), resolve()), log: quiet });
      void lc.start().then(() => {
        lc.run();
        signals.emit('SIGTERM');
      });
    });
    await exited;
    assert.deepEqual(codes, [0]);
    assert.deepEqual(r.events, ['start a', 'stop a']);

    const signals2 = new EventEmitter();
    const codes2: number[] = [];
    const r2 = recorder();
    let lc2: Lifecycle | undefined;
    const exited2 = new Promise<void>((resolve) => {
      lc2 = new Lifecycle({ parts: [r2.part('stuck', { hangStop: true })], signals: signals2, shutdownTimeoutMs: 30, exit: (c) => (codes2.push(c), codes2.length === 2 && resolve()), log: quiet });
    });
    await lc2?.start();
    const uninstall = lc2?.run();
    signals2.emit('SIGINT');
    signals2.emit('SIGTERM'); // impatient operator: immediate exit(1)
    await exited2;
    assert.deepEqual(codes2, [1, 1], 'forced exit, then the timed-out stop also exits 1');
    uninstall?.();
    assert.equal(signals2.listenerCount('SIGTERM'), 0, 'handlers removed');
  });

  it('SIGHUP calls the reload callback; a failing reload is logged, not fatal', async () => {
    const signals = new EventEmitter();
    let reloads = 0;
    const errors: string[] = [];
    const lc = new Lifecycle({
      parts: [],
      signals,
      exit: () => assert.fail('must not exit'),
      onReload: async () => {
        reloads++;
        if (reloads === 2) throw new Error('bad config');
      },
      log: { ...quiet, error: (_f: object, m: string) => void errors.push(m) },
    });
    await lc.start();
    lc.run();
    signals.emit('SIGHUP');
    signals.emit('SIGHUP');
    await new Promise((r) => setImmediate(r));
    assert.equal(reloads, 2);
    assert.deepEqual(errors, ['reload failed; running on with the previous configuration']);
    lc.uninstall();
  });
});
