import type { AgentConfig } from './config/agent-config.ts';
import { agentSecretPaths } from './config/agent-config.ts';
import { Lifecycle } from './lifecycle/lifecycle.ts';
import { SystemdNotifier } from './lifecycle/systemd-notify.ts';
import { createLogger } from './log/logger.ts';
import { buildAgent } from './pipeline/agent.ts';

/** Runs the daemon until SIGTERM/SIGINT (graceful stop within lifecycle.shutdownTimeout). */
export async function runAgent(config: AgentConfig): Promise<void> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty, redactPaths: [...agentSecretPaths], base: { gatewayId: config.gatewayId } });
  const agent = buildAgent(config, log);
  const lifecycle = new Lifecycle({
    parts: agent.parts,
    stopOrder: agent.stopOrder,
    shutdownTimeoutMs: config.lifecycle.shutdownTimeout,
    log,
    notifier: new SystemdNotifier({ log }),
    onReload: () => log.warn({}, 'SIGHUP: configuration reload is not supported yet; restart the service to apply changes'),
  });
  lifecycle.run();
  await lifecycle.start();
  log.info({ sources: agent.sources.map((s) => s.name), metricsPort: agent.metricsPort() }, 'shardwise-agent started');
}
