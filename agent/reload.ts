import type { AgentConfig } from './config/agent-config.ts';

/** What a SIGHUP can apply to a running agent, and what needs a restart. */
export interface ReloadPlan {
  /** New log level, when it changed. */
  readonly logLevel?: AgentConfig['log']['level'] | undefined;
  /** Top-level sections that changed in ways only a restart applies (sources, sink, spool…). */
  readonly needsRestart: readonly string[];
}

/** Compares the running configuration with a freshly loaded one. Only the log level is applied live. */
export function planReload(running: AgentConfig, next: AgentConfig): ReloadPlan {
  const needsRestart: string[] = [];
  for (const key of Object.keys(next) as (keyof AgentConfig)[]) {
    if (key === 'log') continue;
    if (JSON.stringify(running[key]) !== JSON.stringify(next[key])) needsRestart.push(key);
  }
  if (JSON.stringify({ ...running.log, level: undefined }) !== JSON.stringify({ ...next.log, level: undefined })) needsRestart.push('log');
  return { logLevel: running.log.level !== next.log.level ? next.log.level : undefined, needsRestart };
}
