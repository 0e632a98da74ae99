import type { AgentConfig } from './config/agent-config.ts';
import { agentSecretPaths } from './config/agent-config.ts';
import { Reloader } from './reload.ts';
import { Lifecycle } from './lifecycle/lifecycle.ts';
import { SystemdNotifier } from './lifecycle/systemd-notify.ts';
import { createLogger } from './log/logger.ts';
import { buildAgent } from './pipeline/agent.ts';
import { md5LanesStatus } from './kinesis/md5-batch.ts';

/** Which engine computes aggregate MD5s: node:crypto, or SIMD lanes when asked for (and the reason when they cannot load). */
function digestEngine(config: AgentConfig): string {
  if (!config.sink.aggregation.enabled || !config.sink.aggregation.simdDigests) return 'node:crypto';
  const md5 = md5LanesStatus();
  return md5.lanes ? 'simd-lanes' : `node:crypto (simd lanes unavailable: ${md5.reason ?? 'unknown'})`;
}

/** Runs the daemon until SIGTERM/SIGINT (graceful stop within lifecycle.shutdownTimeout). */
export async function runAgent(config: AgentConfig, configFile: string): Promise<void> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty, redactPaths: [...agentSecretPaths], base: { gatewayId: config.gatewayId } });
  const agent = buildAgent(config, log);
  // SIGHUP: re-read the file and apply what is safe live (log level, sources, metrics); name what
  // needs a restart. A file that no longer validates keeps the running configuration.
  const reloader = new Reloader({ file: configFile, config, live: agent.live, log });
  const lifecycle = new Lifecycle({
    parts: agent.parts,
    stopOrder: agent.stopOrder,
    shutdownTimeoutMs: config.lifecycle.shutdownTimeout,
    log,
    notifier: new SystemdNotifier({ log }),
    onReload: async () => void (await reloader.reload()),
  });
  lifecycle.run();
  await lifecycle.start();
  log.info({ sources: agent.sources.map((s) => s.name), metricsPort: agent.metricsPort(), aggregateDigests: digestEngine(config) }, 'shardwise-agent started');
}
