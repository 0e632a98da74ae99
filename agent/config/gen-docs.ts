/**
 * Writes docs/configuration.md from the agent's schema.
 *   npx tsx agent/config/gen-docs.ts          regenerate
 *   npx tsx agent/config/gen-docs.ts --check  exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { agentConfigSchema } from './agent-config.ts';
import { renderReference } from './docs.ts';

export const CONFIG_DOCS_PATH = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

const INTRO = `
\`shardwise-agent --config /etc/shardwise/agent.yaml\` reads one YAML file. \`shardwise-agent --config … --check\`
validates it, reports every problem at once (path, line, what was expected) and prints the effective
configuration with defaults filled in and secrets masked. Examples for each use case are in
[deploy/examples](../deploy/examples): \`minimal.yaml\`, \`mqtt-telemetry.yaml\`, \`log-files.yaml\`, \`cameras.yaml\`.

A minimal configuration:

\`\`\`yaml
sources:
  - type: mqtt
    name: sensors
    url: mqtt://localhost:1883
    topics: [{ filter: devices/+/telemetry }]
    deviceId: { fromTopic: "devices/{device}/telemetry" }
sink:
  stream: telemetry
  region: eu-west-1
\`\`\`

## Reloading (SIGHUP)

\`systemctl reload shardwise-agent\` (or \`kill -HUP <pid>\`) re-reads the file. A file that does not validate,
or names a source that cannot be built (e.g. a missing TLS file), changes nothing: every problem is
logged with its path and the agent runs on with the configuration it has. Otherwise:

| setting | on SIGHUP |
| --- | --- |
| \`log.level\` | applied at once |
| \`sources\` | a new name starts; a name no longer listed stops; a source whose settings changed is stopped gracefully (its in-flight records reach the spool, its checkpoint is written: nothing acknowledged is lost) and started again with the new settings, resuming where it stopped (same name = same checkpoint, MQTT session, video state). A renamed source is a new one (\`startAt\` applies). A source that fails to start is logged; a changed one then runs again with its previous settings. Other sources never pause. |
| \`metrics\` | the endpoint is rebound (if the new address cannot be bound, the old one is kept); the summary interval applies at once |
| \`sink\`, \`spool\`, \`keying\` | restart required: logged as such, the running values stay |
| \`envelope\`, \`deadLetter\`, \`lifecycle\`, \`gatewayId\`, \`stateDir\`, \`log.pretty\` | restart required (with \`gatewayId\` or \`stateDir\` changed, source changes wait for the restart too) |

Why some changes need a restart: the spool holds records already keyed and, in spill and always
modes, written to disk under the running \`spool\` settings; switching mode or directory live would
mean migrating those records with the sources still acknowledging input against the old durability
promise. The sink's producer has requests in flight, per-shard lanes and a shard map for one
stream; a new stream, endpoint or credentials means draining it first, which never ends while the
uplink is down. Keying decides the shard of every record: a device switched to another strategy
while its earlier records are still spooled or in flight under the old key could have records on
two shards at once and lose its order (\`balanced\` placements are also persisted). The envelope's
sequence numbers and payload format, the dead-letter file, the state directory and the gateway id
are opened or stamped once at start. A restart is cheap and loses nothing the spool holds.
`;

/** The Markdown reference as the generator would write it. */
export function renderAgentConfigDocs(): string {
  return renderReference(agentConfigSchema, {
    title: 'shardwise-agent configuration reference',
    intro: INTRO,
    generatedBy: '`npx tsx agent/config/gen-docs.ts` from `agent/config/agent-config.ts`',
  });
}

function main(): void {
  const text = renderAgentConfigDocs();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CONFIG_DOCS_PATH, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (current !== text) {
      process.stderr.write(`${CONFIG_DOCS_PATH} is out of date: run npx tsx agent/config/gen-docs.ts\n`);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(CONFIG_DOCS_PATH, text);
  process.stdout.write(`wrote ${CONFIG_DOCS_PATH}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
