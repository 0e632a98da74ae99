import type { AgentConfig } from './config/agent-config.ts';
import { agentSecretPaths, loadAgentConfig } from './config/agent-config.ts';
import { planReload } from './reload.ts';
import { Lifecycle } from './lifecycle/lifecycle.ts';
import { SystemdNotifier } from './lifecycle/systemd-notify.ts';
import { createLogger } from './log/logger.ts';
import { buildAgent } from './pipeline/agent.ts';

/** Runs the daemon until SIGTERM/SIGINT (graceful stop within lifecycle.shutdownTimeout). */
export async function runAgent(config: AgentConfig, configFile: string): Promise<void> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty, redactPaths: [...agentSecretPaths], base: { gatewayId: config.gatewayId } });
  const agent = buildAgent(config, log);
  const lifecycle = new Lifecycle({
    parts: agent.parts,
    stopOrder: agent.stopOrder,
    shutdownTimeoutMs: config.lifecycle.shutdownTimeout,
    log,
    notifier: new SystemdNotifier({ log }),
    // SIGHUP: re-read the file; apply what is safe live (the log level), name what needs a restart.
    // A file that no longer validates keeps the running configuration.
    onReload: async () => {
      let next: AgentConfig;
      try {
        next = await loadAgentConfig(configFile);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'SIGHUP: the configuration file is invalid; keeping the running configuration');
        return;
      }
      const plan = planReload(config, next);
      if (plan.logLevel) {
        log.level = plan.logLevel;
        config = { ...config, log: { ...config.log, level: plan.logLevel } };
      }
      if (plan.needsRestart.length > 0) log.warn({ sections: plan.needsRestart }, 'SIGHUP: these changes apply after a restart');
      else log.info({ logLevel: plan.logLevel }, 'SIGHUP: configuration reloaded');
    },
  });
  lifecycle.run();
  await lifecycle.start();
  log.info({ sources: agent.sources.map((s) => s.name), metricsPort: agent.metricsPort() }, 'shardwise-agent started');
}
