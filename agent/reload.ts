/**
 * SIGHUP: re-read the configuration file and apply what is safe while the agent runs.
 *
 * Applied live: `log.level`; `sources` (added ones start, removed ones stop, changed ones are
 * stopped gracefully and started again with the new settings, resuming from their checkpoint);
 * `metrics` (endpoint rebound, summary interval). Everything else (sink, spool, keying, envelope,
 * deadLetter, lifecycle, gatewayId, stateDir, log.pretty) is named in the log as needing a restart:
 * see docs/configuration.md ("Reloading") for why. A file that does not validate, or a source that
 * cannot be built from it, changes nothing: every problem is logged and the agent runs on.
 */
import { ConfigError } from './config/config-error.ts';
import { formatIssue } from './config/issues.ts';
import type { AgentConfig, MetricsConfig, SourceConfig } from './config/agent-config.ts';
import { loadAgentConfig } from './config/agent-config.ts';
import type { Logger } from './log/logger.ts';
import { jsonSourceNames } from './pipeline/build-sources.ts';
import type { LiveAgent } from './pipeline/agent.ts';
import type { Source } from './sources/source.ts';

/** What a SIGHUP can apply to a running agent, and what needs a restart. */
export interface ReloadPlan {
  /** New log level, when it changed. */
  readonly logLevel?: AgentConfig['log']['level'] | undefined;
  readonly sources: {
    readonly add: readonly SourceConfig[];
    readonly remove: readonly string[];
    /** New configurations of sources whose settings changed (same name). */
    readonly restart: readonly SourceConfig[];
  };
  /** The new metrics settings when the endpoint (enabled, host, port) changed. */
  readonly metrics?: MetricsConfig | undefined;
  /** The new summary interval (ms) when it changed. */
  readonly summaryInterval?: number | undefined;
  /** Settings that changed in ways only a restart applies (top-level sections, or `log.pretty`). */
  readonly needsRestart: readonly string[];
}

const LIVE_SECTIONS: ReadonlySet<string> = new Set(['log', 'sources', 'metrics']);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Compares the running configuration with a freshly loaded one. */
export function planReload(running: AgentConfig, next: AgentConfig): ReloadPlan {
  const needsRestart: string[] = [];
  for (const key of Object.keys(next) as (keyof AgentConfig)[]) {
    if (!LIVE_SECTIONS.has(key) && !same(running[key], next[key])) needsRestart.push(key);
  }
  if (running.log.pretty !== next.log.pretty) needsRestart.push('log.pretty');
  // Sources derive state files and ids from these: with them changed, sources wait for the restart too.
  const identityChanged = running.gatewayId !== next.gatewayId || running.stateDir !== next.stateDir;
  const old = new Map(running.sources.map((s) => [s.name, s]));
  const add: SourceConfig[] = [];
  const restart: SourceConfig[] = [];
  for (const s of next.sources) {
    const before = old.get(s.name);
    if (before === undefined) add.push(s);
    else if (!same(before, s)) restart.push(s);
  }
  const names = new Set(next.sources.map((s) => s.name));
  const remove = running.sources.filter((s) => !names.has(s.name)).map((s) => s.name);
  const sourcesChanged = add.length + restart.length + remove.length > 0;
  if (identityChanged && sourcesChanged) needsRestart.push('sources');
  const m = running.metrics;
  const n = next.metrics;
  const endpointChanged = m.enabled !== n.enabled || m.host !== n.host || m.port !== n.port;
  return {
    logLevel: running.log.level !== next.log.level ? next.log.level : undefined,
    sources: identityChanged ? { add: [], remove: [], restart: [] } : { add, remove, restart },
    metrics: endpointChanged ? n : undefined,
    summaryInterval: m.summaryInterval !== n.summaryInterval ? n.summaryInterval : undefined,
    needsRestart,
  };
}

export interface ReloadOutcome {
  /** False when the file was invalid (or a source could not be built): nothing changed. */
  readonly ok: boolean;
  /** Every problem of a rejected file, `path: message (line N)`. */
  readonly errors: readonly string[];
  /** What changed, e.g. `log.level`, `sources.b (added)`, `metrics.port`. */
  readonly applied: readonly string[];
  /** Parts of the change that did not take (e.g. a new source that failed to start); the rest applied. */
  readonly failed: readonly string[];
  readonly needsRestart: readonly string[];
}

export interface ReloaderOptions {
  readonly file: string;
  /** The configuration the agent was built from. */
  readonly config: AgentConfig;
  readonly live: LiveAgent;
  readonly log: Logger;
  /** Default: loadAgentConfig (YAML, `${ENV}` expansion, validation). */
  readonly load?: ((file: string) => Promise<AgentConfig>) | undefined;
}

/** Applies SIGHUPs one after another against the configuration currently running. */
export class Reloader {
  private config: AgentConfig;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ReloaderOptions) {
    this.config = opts.config;
  }

  /** The configuration in effect (the file's, minus what needs a restart or failed to apply). */
  get running(): AgentConfig {
    return this.config;
  }

  reload(): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.reloadNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const { log, live } = this.opts;
    let next: AgentConfig;
    try {
      next = await (this.opts.load ?? loadAgentConfig)(this.opts.file);
    } catch (err) {
      const errors = err instanceof ConfigError ? err.issues.map(formatIssue) : [(err as Error).message];
      return this.rejected(errors);
    }
    const running = this.config;
    const plan = planReload(running, next);
    const built: Source[] = [];
    const errors: string[] = [];
    for (const s of [...plan.sources.add, ...plan.sources.restart]) {
      try {
        built.push(live.buildSource(s));
      } catch (err) {
        errors.push(`sources[${next.sources.indexOf(s)}] (${s.name}): ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) return this.rejected(errors);

    const applied: string[] = [];
    const failed: string[] = [];
    let log2 = running.log;
    if (plan.logLevel !== undefined) {
      log.level = plan.logLevel;
      log2 = { ...log2, level: plan.logLevel };
      applied.push('log.level');
    }
    const sources = await this.applySources(plan, running, next, built, applied, failed);
    let metrics = running.metrics;
    if (plan.metrics !== undefined) {
      try {
        await live.setMetrics(next.metrics);
        metrics = { ...next.metrics, summaryInterval: metrics.summaryInterval };
        applied.push('metrics endpoint');
      } catch (err) {
        failed.push(`metrics endpoint ${next.metrics.host}:${next.metrics.port}: ${(err as Error).message} (kept ${running.metrics.host}:${running.metrics.port})`);
      }
    }
    if (plan.summaryInterval !== undefined) {
      await live.setSummaryInterval(plan.summaryInterval);
      metrics = { ...metrics, summaryInterval: plan.summaryInterval };
      applied.push('metrics.summaryInterval');
    }
    this.config = { ...running, log: log2, sources, metrics };
    const outcome: ReloadOutcome = { ok: true, errors: [], applied, failed, needsRestart: plan.needsRestart };
    if (failed.length > 0) log.error({ applied, failed }, 'SIGHUP: some changes did not apply; the rest did');
    else log.info({ applied }, applied.length > 0 ? 'SIGHUP: configuration reloaded' : 'SIGHUP: nothing to apply live');
    if (plan.needsRestart.length > 0) log.warn({ sections: plan.needsRestart }, 'SIGHUP: these changes apply after a restart');
    return outcome;
  }

  /** Stops/starts sources; returns the source list now in effect. */
  private async applySources(
    plan: ReloadPlan,
    running: AgentConfig,
    next: AgentConfig,
    built: readonly Source[],
    applied: string[],
    failed: string[],
  ): Promise<SourceConfig[]> {
    const { add, remove, restart } = plan.sources;
    if (add.length + remove.length + restart.length === 0) return [...running.sources];
    const live = this.opts.live;
    const old = new Map(running.sources.map((s) => [s.name, s]));
    const isJson = (cfg: AgentConfig, name: string): boolean => jsonSourceNames(cfg).includes(name);
    // While old and new instances overlap, trust a source's JSON only when both configurations send JSON.
    const restarted = new Set(restart.map((s) => s.name));
    const between = jsonSourceNames(next).filter((n) => !restarted.has(n) || isJson(running, n));
    const result = await live.sourceSet.change({
      stop: [...remove, ...restart.map((s) => s.name)],
      start: built,
      order: next.sources.map((s) => s.name),
      between: () => live.setJsonSources(between),
      restore: (name) => {
        const cfg = old.get(name);
        return cfg === undefined ? undefined : live.buildSource(cfg);
      },
    });
    for (const n of remove) {
      live.forgetSource(n);
      applied.push(`sources.${n} (removed)`);
    }
    const failedBy = new Map(result.failed.map((f) => [f.name, f]));
    for (const s of [...add, ...restart]) {
      const f = failedBy.get(s.name);
      if (f === undefined) applied.push(`sources.${s.name} (${restarted.has(s.name) ? 'restarted' : 'added'})`);
      else failed.push(`sources.${s.name}: ${f.error}${f.restored ? ' (running with its previous settings)' : ''}`);
    }
    const effective = next.sources.flatMap((s) => {
      const f = failedBy.get(s.name);
      if (f === undefined) return [s];
      const before = old.get(s.name);
      return f.restored && before !== undefined ? [before] : [];
    });
    live.setJsonSources(jsonSourceNames({ ...running, sources: effective }));
    return effective;
  }

  private rejected(errors: readonly string[]): ReloadOutcome {
    this.opts.log.error({ errors }, 'SIGHUP: the new configuration is invalid; running on with the previous one');
    return { ok: false, errors, applied: [], failed: [], needsRestart: [] };
  }
}
