/**
 * Starts and stops the agent's parts in order, under one shutdown deadline.
 *
 * - `start()`: parts in the given order (e.g. metrics → sink → spool → envelope-seq → sources). If
 *   one fails, the parts already started are stopped (stop order) and the error is rethrown. A part
 *   whose start() rejects must release what it took itself. Then READY=1 and watchdog pings. A stop
 *   requested meanwhile also stops the part whose start() is still running (its stop() must abort
 *   that start) and leaves later parts unstarted.
 * - `stop()`: STOPPING=1, then parts in `stopOrder` (default: reverse start order; the agent wants
 *   sources → sink flush → spool fsync/close), each awaited; a part that throws is reported and the
 *   next one still stops. The whole stop runs under `shutdownTimeoutMs` (default 10 s): past it,
 *   the report names the part that is stuck and those never reached, and stop resolves anyway.
 * - `run()`: installs SIGTERM/SIGINT → stop → exit(0, or 1 when something failed or timed out),
 *   a second signal while stopping → exit(1) at once, SIGHUP → `onReload` (errors logged).
 */
import { ShardwiseError } from '../core/errors.ts';
import { noNotifier } from './systemd-notify.ts';
import type { Notifier } from './systemd-notify.ts';

export interface Part {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface LifecycleLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The process-like object signals come from (tests pass an EventEmitter). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface LifecycleOptions {
  /** In start order. Names must be unique. */
  readonly parts: readonly Part[];
  /** Names in stop order (a permutation of the parts' names). Default: reverse start order. */
  readonly stopOrder?: readonly string[] | undefined;
  /** From `lifecycle.shutdownTimeout`. Default 10,000 ms. */
  readonly shutdownTimeoutMs?: number | undefined;
  readonly log?: LifecycleLog | undefined;
  readonly notifier?: Notifier | undefined;
  /** SIGHUP. */
  readonly onReload?: (() => Promise<void> | void) | undefined;
  /** Default process.exit. */
  readonly exit?: ((code: number) => void) | undefined;
  /** Default process. */
  readonly signals?: SignalSource | undefined;
}

export interface StopReport {
  /** Every part stopped without error before the deadline. */
  readonly ok: boolean;
  readonly reason: string;
  readonly timedOut: boolean;
  readonly stopped: readonly string[];
  /** The part whose stop() was running at the deadline. */
  readonly stuck: string | undefined;
  /** Parts never asked to stop because the deadline came first. */
  readonly notReached: readonly string[];
  readonly failed: readonly { readonly name: string; readonly error: unknown }[];
  readonly durationMs: number;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export class Lifecycle {
  private readonly parts: readonly Part[];
  private readonly stopOrder: readonly Part[];
  private readonly timeoutMs: number;
  private readonly log: LifecycleLog | undefined;
  private readonly notifier: Notifier;
  private readonly exit: (code: number) => void;
  private readonly signals: SignalSource;
  /** Parts whose start() has been called (the one in flight included). */
  private readonly begun = new Set<Part>();
  private stopping: Promise<StopReport> | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private readonly handlers: [NodeJS.Signals, () => void][] = [];

  constructor(private readonly opts: LifecycleOptions) {
    this.parts = opts.parts;
    const byName = new Map(opts.parts.map((p) => [p.name, p]));
    if (byName.size !== opts.parts.length) throw new RangeError(`lifecycle: part names must be unique, got ${opts.parts.map((p) => p.name).join(', ')}`);
    if (opts.stopOrder) {
      const order = opts.stopOrder.map((n) => byName.get(n));
      if (order.some((p) => p === undefined) || new Set(opts.stopOrder).size !== opts.parts.length || opts.stopOrder.length !== opts.parts.length) {
        throw new RangeError(`lifecycle: stopOrder must list each part once (${[...byName.keys()].join(', ')}), got ${opts.stopOrder.join(', ')}`);
      }
      this.stopOrder = order as Part[];
    } else this.stopOrder = [...opts.parts].reverse();
    this.timeoutMs = opts.shutdownTimeoutMs ?? 10_000;
    this.log = opts.log;
    this.notifier = opts.notifier ?? noNotifier;
    this.exit = opts.exit ?? ((code) => process.exit(code));
    this.signals = opts.signals ?? process;
  }

  async start(): Promise<void> {
    for (const part of this.parts) {
      if (this.stopping) {
        this.log?.warn({ part: part.name }, `shutdown requested during start: ${part.name} and later parts not started`);
        return;
      }
      this.begun.add(part);
      try {
        await part.start();
      } catch (err) {
        this.begun.delete(part);
        this.log?.error({ err, part: part.name }, `start failed in ${part.name}; stopping what was started`);
        await this.stop(`start of ${part.name} failed`);
        throw err;
      }
      this.log?.info({ part: part.name }, `${part.name} started`);
    }
    void this.notifier.ready('running');
    const every = this.notifier.watchdogIntervalMs;
    if (every !== undefined && !this.watchdogTimer) {
      this.watchdogTimer = setInterval(() => void this.notifier.watchdog(), every);
      this.watchdogTimer.unref();
    }
  }

  /** Idempotent: later calls get the first call's report. */
  stop(reason = 'stop requested'): Promise<StopReport> {
    this.stopping ??= this.runStop(reason);
    return this.stopping;
  }

  /** SIGTERM/SIGINT -> graceful stop then exit; SIGHUP -> reload. Returns an uninstaller. */
  run(): () => void {
    for (const sig of SIGNALS) this.handle(sig, () => this.onSignal(sig));
    this.handle('SIGHUP', () => void this.reload());
    return () => this.uninstall();
  }

  uninstall(): void {
    for (const [sig, fn] of this.handlers) this.signals.off(sig, fn);
    this.handlers.length = 0;
  }

  private handle(sig: NodeJS.Signals, fn: () => void): void {
    this.signals.on(sig, fn);
    this.handlers.push([sig, fn]);
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.stopping) {
      this.log?.error({ signal: sig }, `${sig} while stopping: exiting now`);
      this.exit(1);
      return;
    }
    this.log?.info({ signal: sig }, `${sig}: stopping`);
    void this.stop(sig).then((r) => this.exit(r.ok ? 0 : 1));
  }

  private async reload(): Promise<void> {
    if (this.stopping || !this.opts.onReload) {
      this.log?.warn({ signal: 'SIGHUP' }, this.stopping ? 'SIGHUP ignored: stopping' : 'SIGHUP ignored: no reload handler');
      return;
    }
    this.log?.info({ signal: 'SIGHUP' }, 'reloading');
    try {
      await this.opts.onReload();
    } catch (err) {
      this.log?.error({ err }, 'reload failed; running on with the previous configuration');
    }
  }

  private async runStop(reason: string): Promise<StopReport> {
    const t0 = performance.now();
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    void this.notifier.stopping('stopping');
    const todo = this.stopOrder.filter((p) => this.begun.has(p));
    const stopped: string[] = [];
    const failed: { name: string; error: unknown }[] = [];
    let current: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const sequence = (async () => {
      for (const part of todo) {
        current = part.name;
        try {
          await part.stop();
          stopped.push(part.name);
        } catch (err) {
          failed.push({ name: part.name, error: err });
          this.log?.error({ err, part: part.name }, `stopping ${part.name} failed; continuing`);
        }
      }
      current = undefined;
      return false;
    })();
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.timeoutMs);
    });
    const timedOut = await Promise.race([sequence, deadline]);
    clearTimeout(timer);
    const done = new Set([...stopped, ...failed.map((f) => f.name)]);
    const stuck = timedOut ? current : undefined;
    const notReached = timedOut ? todo.map((p) => p.name).filter((n) => !done.has(n) && n !== stuck) : [];
    const report: StopReport = {
      ok: !timedOut && failed.length === 0,
      reason,
      timedOut,
      stopped,
      stuck,
      notReached,
      failed,
      durationMs: Math.round(performance.now() - t0),
    };
    if (timedOut) {
      const err = new ShardwiseError('E_SHUTDOWN_TIMEOUT', `shutdown timed out after ${this.timeoutMs} ms: stuck in ${stuck ?? '?'}; not stopped: ${notReached.join(', ') || 'none'}`);
      this.log?.error({ err, stuck, notReached, stopped }, err.message);
    } else this.log?.info({ stopped, failed: failed.map((f) => f.name), durationMs: report.durationMs, reason }, 'stopped');
    return report;
  }
}
