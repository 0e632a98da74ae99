import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAgentConfig, type AgentConfig } from '../../agent/config/agent-config.ts';
import { Lifecycle } from '../../agent/lifecycle/lifecycle.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { buildAgent, type AgentParts } from '../../agent/pipeline/agent.ts';

/** A temporary state directory, removed by `cleanup()`. */
export function tempStateDir(prefix = 'shardwise-agent-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Validates a config object exactly as the YAML loader would (defaults applied), or throws listing every issue. */
export function agentConfig(input: Record<string, unknown>): AgentConfig {
  // JSON is YAML: the same path as a config file, derived defaults included.
  const res = parseAgentConfig(JSON.stringify(input), { env: {} });
  if (!res.ok) throw new Error(`bad test config:\n${res.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
  return res.value;
}

export interface RunningAgent {
  readonly agent: AgentParts;
  stop(): Promise<void>;
}

/** Builds and starts an agent in this process (no signal handlers, no process.exit). */
export async function startAgent(config: AgentConfig, opts: { fatalRetryMs?: number } = {}): Promise<RunningAgent> {
  const log = createLogger({ level: 'warn' });
  const agent = buildAgent(config, log, opts);
  const lifecycle = new Lifecycle({ parts: agent.parts, stopOrder: agent.stopOrder, shutdownTimeoutMs: 20_000, log, exit: () => undefined });
  await lifecycle.start();
  return {
    agent,
    async stop() {
      const report = await lifecycle.stop('test');
      if (!report.ok) throw new Error(`agent stop: ${JSON.stringify(report)}`);
    },
  };
}
