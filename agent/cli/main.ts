import v8 from 'node:v8';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatAgentConfig, loadAgentConfig } from '../config/agent-config.ts';
import { ShardwiseError } from '../core/errors.ts';

// Allocation-site pretenuring off (it cannot be given in NODE_OPTIONS): with the small young
// generation the systemd unit sets, V8 otherwise soon decides to allocate the pipeline's
// short-lived objects straight in the old generation, where only mark-compacts free them
// (docs/in-flight-records.md: 2-8x more old-generation garbage per line, a third more CPU).
v8.setFlagsFromString('--no-allocation-site-pretenuring');

/** `shardwise-agent`: the gateway daemon. */
await yargs(hideBin(process.argv))
  .scriptName('shardwise-agent')
  .usage('$0 --config FILE [--check]\n\nCollects MQTT, file, video-chunk and host telemetry and produces it to Kinesis Data Streams.')
  .option('config', { alias: 'c', type: 'string', describe: 'YAML configuration file', demandOption: true })
  .option('check', { type: 'boolean', default: false, describe: 'validate the configuration, print it with secrets masked, and exit' })
  .command(
    '$0',
    'run the agent',
    () => undefined,
    async (argv) => {
      let config;
      try {
        config = await loadAgentConfig(argv.config);
      } catch (err) {
        if (err instanceof ShardwiseError && err.code === 'E_CONFIG') {
          process.stderr.write(`${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      if (argv.check) {
        process.stdout.write(formatAgentConfig(config));
        return;
      }
      const { runAgent } = await import('../run-agent.ts');
      await runAgent(config, argv.config);
    },
  )
  .strict()
  .help()
  .parseAsync();
