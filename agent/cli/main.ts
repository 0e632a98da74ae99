import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { formatAgentConfig, loadAgentConfig } from '../config/agent-config.ts';
import { ShardwiseError } from '../core/errors.ts';

// Allocation-site pretenuring off (it cannot be given in NODE_OPTIONS): with the small young
// generation the systemd unit sets, V8 otherwise soon decides to allocate the pipeline's
// short-lived objects straight in the old generation, where only mark-compacts free them
// (docs/in-flight-records.md: 2-8x more old-generation garbage per line, a third more CPU).
v8.setFlagsFromString('--no-allocation-site-pretenuring');

const USAGE = `shardwise-agent --config FILE [--check]

Collects MQTT, file, video-chunk and host telemetry and produces it to Kinesis Data Streams.

Options:
  -c, --config FILE  YAML configuration file (required)
      --check        validate the configuration, print it with secrets masked, and exit
  -h, --help         show this help
`;

/**
 * `shardwise-agent`: the gateway daemon. The command line is parsed with Node's own parseArgs:
 * a daemon that lives for months on a small gateway keeps no argument-parser library in memory
 * (yargs held ~1 MiB of heap and a few MiB of RSS for the process's life).
 */
async function main(argv: readonly string[]): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: { config: { type: 'string', short: 'c' }, check: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    usageError((err as Error).message);
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.config === undefined || args.config === '') {
    usageError('Missing required option: --config FILE');
    return;
  }
  let config;
  try {
    config = await loadAgentConfig(args.config);
  } catch (err) {
    if (err instanceof ShardwiseError && err.code === 'E_CONFIG') {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  if (args.check) {
    process.stdout.write(formatAgentConfig(config));
    return;
  }
  const { runAgent } = await import('../run-agent.ts');
  await runAgent(config, args.config);
}

function usageError(message: string): void {
  process.stderr.write(`${USAGE}\n${message}\n`);
  process.exitCode = 2;
}

await main(process.argv.slice(2));
