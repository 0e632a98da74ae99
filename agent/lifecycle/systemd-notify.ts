/**
 * Optional systemd notification (`Type=notify`): READY=1 once started, STOPPING=1 when shutting
 * down, WATCHDOG=1 every WatchdogSec/2, STATUS=… for `systemctl status`.
 *
 * Node cannot send on unix datagram sockets, so each message spawns `systemd-notify VAR=VALUE…`
 * (systemd ≥ 246 waits until the manager has read it, so the short-lived sender is no race).
 * It is enabled only when NOTIFY_SOCKET is set and `systemd-notify` is on PATH; otherwise every
 * call does nothing. Because the sender is a child process, the unit needs `NotifyAccess=all`.
 * Messages go out one at a time, in order; failures are logged (once per kind) and never thrown.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface NotifyLog {
  warn(fields: object, message: string): void;
}

/** What the lifecycle needs; tests pass a fake. */
export interface Notifier {
  readonly enabled: boolean;
  /** WatchdogSec/2 in ms when systemd expects pings from us, else undefined. */
  readonly watchdogIntervalMs: number | undefined;
  ready(status?: string): Promise<void>;
  stopping(status?: string): Promise<void>;
  watchdog(): Promise<void>;
  status(text: string): Promise<void>;
}

export interface SystemdNotifierOptions {
  /** Default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** A child still running after this is killed. Default 5000 ms. */
  readonly timeoutMs?: number | undefined;
  readonly log?: NotifyLog | undefined;
}

/** Finds an executable on PATH (what `which` does), without spawning anything. */
export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}

export class SystemdNotifier implements Notifier {
  readonly enabled: boolean;
  readonly watchdogIntervalMs: number | undefined;
  /** Messages sent successfully / failed (for tests and /status). */
  sent = 0;
  failures = 0;
  private readonly binary: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly log: NotifyLog | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly warned = new Set<string>();

  constructor(options: SystemdNotifierOptions = {}) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.log = options.log;
    const socket = this.env['NOTIFY_SOCKET'];
    this.binary = socket ? findOnPath('systemd-notify', this.env['PATH']) : undefined;
    this.enabled = this.binary !== undefined;
    if (socket && !this.binary) this.warnOnce('missing', { notifySocket: socket }, 'NOTIFY_SOCKET is set but systemd-notify is not on PATH: systemd notifications are off (use Type=simple)');
    const usec = Number(this.env['WATCHDOG_USEC']);
    const pid = this.env['WATCHDOG_PID'];
    const forUs = pid === undefined || pid === '' || Number(pid) === process.pid;
    this.watchdogIntervalMs = this.enabled && forUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : undefined;
  }

  ready(status?: string): Promise<void> {
    return this.send(status === undefined ? ['READY=1'] : ['READY=1', `STATUS=${status}`]);
  }

  stopping(status?: string): Promise<void> {
    return this.send(status === undefined ? ['STOPPING=1'] : ['STOPPING=1', `STATUS=${status}`]);
  }

  watchdog(): Promise<void> {
    return this.send(['WATCHDOG=1']);
  }

  status(text: string): Promise<void> {
    return this.send([`STATUS=${text}`]);
  }

  private send(assignments: readonly string[]): Promise<void> {
    const binary = this.binary;
    if (binary === undefined) return Promise.resolve();
    this.queue = this.queue.then(() => this.run(binary, assignments));
    return this.queue;
  }

  private run(binary: string, assignments: readonly string[]): Promise<void> {
    return new Promise<void>((resolve) => {
      const child = spawn(binary, assignments, { stdio: ['ignore', 'ignore', 'pipe'], env: this.env });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < 500) stderr += d.toString('utf8');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      let finished = false;
      const done = (ok: boolean, why: string): void => {
        if (finished) return; // 'error' may be followed by 'close'
        finished = true;
        clearTimeout(timer);
        if (ok) this.sent++;
        else {
          this.failures++;
          this.warnOnce(`fail:${assignments[0] ?? ''}`, { message: assignments.join(' '), why }, 'systemd-notify failed');
        }
        resolve();
      };
      child.once('error', (err) => done(false, err.message));
      child.once('close', (code, signal) => done(code === 0, signal ? `killed by ${signal}` : `exit ${code}: ${stderr.trim()}`));
    });
  }

  private warnOnce(key: string, fields: object, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log?.warn(fields, message);
  }
}

/** A notifier that does nothing (no systemd, tests). */
export const noNotifier: Notifier = {
  enabled: false,
  watchdogIntervalMs: undefined,
  ready: () => Promise.resolve(),
  stopping: () => Promise.resolve(),
  watchdog: () => Promise.resolve(),
  status: () => Promise.resolve(),
};
