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
