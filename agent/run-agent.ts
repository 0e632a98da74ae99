import type { AgentConfig } from './config/agent-config.ts';

/** Runs the daemon until a signal stops it. */
export async function runAgent(_config: AgentConfig): Promise<void> {
  process.stderr.write('shardwise-agent: not yet: the pipeline lands with the gateway-agent issue\n');
  process.exitCode = 2;
}
