import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SystemdNotifier, findOnPath } from '../../agent/lifecycle/systemd-notify.ts';

describe('systemd notify', () => {
  let dir: string;
  let out: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shardwise-notify-'));
    out = join(dir, 'messages.txt');
    // A stand-in for systemd-notify that records its arguments (and the socket it was given).
    await writeFile(join(dir, 'systemd-notify'), `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> "${out}"\n`);
    await chmod(join(dir, 'systemd-notify'), 0o755);
    await writeFile(join(dir, 'failing'), ''); // not executable
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is off (and silent) without NOTIFY_SOCKET', async () => {
    const n = new SystemdNotifier({ env: { PATH: dir } });
    assert.equal(n.enabled, false);
    await n.ready();
    assert.equal(n.sent, 0);
  });

  it('is off, with one warning, when NOTIFY_SOCKET is set but systemd-notify is missing', () => {
    const warnings: string[] = [];
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x', PATH: join(dir, 'nowhere') }, log: { warn: (_f, m) => void warnings.push(m) } });
    assert.equal(n.enabled, false);
    assert.equal(warnings.length, 1);
  });

  it('sends READY, STATUS, WATCHDOG and STOPPING in order through systemd-notify', async () => {
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/test.sock', PATH: dir, WATCHDOG_USEC: '20000000' } });
    assert.equal(n.enabled, true);
    assert.equal(n.watchdogIntervalMs, 10_000);
    void n.ready('running');
    void n.watchdog();
    await n.stopping();
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.deepEqual(lines, ['/run/test.sock READY=1 STATUS=running', '/run/test.sock WATCHDOG=1', '/run/test.sock STOPPING=1']);
    assert.equal(n.sent, 3);
  });

  it('ignores a watchdog meant for another process', () => {
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/s', PATH: dir, WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid + 1) } });
    assert.equal(n.watchdogIntervalMs, undefined);
  });

  it('counts a failing systemd-notify and never throws', async () => {
    const bad = join(dir, 'bad');
    await import('node:fs/promises').then((fs) => fs.mkdir(bad));
    await writeFile(join(bad, 'systemd-notify'), '#!/bin/sh\necho "Failed to notify init system" >&2\nexit 1\n');
    await chmod(join(bad, 'systemd-notify'), 0o755);
    const warnings: object[] = [];
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/s', PATH: bad }, log: { warn: (f) => void warnings.push(f) } });
    await n.ready();
    await n.ready();
    assert.equal(n.failures, 2);
    assert.equal(warnings.length, 1, 'warned once');
    assert.match(JSON.stringify(warnings[0]), /Failed to notify/);
  });

  it('finds executables on PATH like which', () => {
    assert.equal(findOnPath('systemd-notify', `/nonexistent:${dir}`), join(dir, 'systemd-notify'));
    assert.equal(findOnPath('failing', dir), undefined, 'not executable');
    assert.equal(findOnPath('systemd-notify', undefined), undefined);
  });
});
