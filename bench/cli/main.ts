import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const notYet = (what: string) => async (): Promise<void> => {
  process.stderr.write(`shardwise-bench ${what}: not yet: lands with the load-generator issue\n`);
  process.exitCode = 2;
};

/** `shardwise-bench`: load generator and stream verifier. */
await yargs(hideBin(process.argv))
  .scriptName('shardwise-bench')
  .usage('$0 <command> [options]\n\nDrives simulated devices at a target and reports hot shards and latency percentiles.')
  .command(
    'run',
    'run a scenario against a target',
    (y) =>
      y
        .option('scenario', { type: 'string', describe: 'scenario YAML file', demandOption: true })
        .option('target', { type: 'string', describe: 'kinesis://STREAM?…, mqtt://HOST:PORT/TOPIC, model://?shards=N' })
        .option('devices', { type: 'number' })
        .option('rate', { type: 'number' })
        .option('duration', { type: 'string' })
        .option('seed', { type: 'number' })
        .option('report', { type: 'string', describe: 'write the JSON report here' }),
    notYet('run'),
  )
  .command(
    'verify',
    'read a stream back and report lost, duplicated and out-of-order records',
    (y) => y.option('target', { type: 'string', demandOption: true }).option('report', { type: 'string' }),
    notYet('verify'),
  )
  .command('demo', 'write records into an embedded local Kinesis, read them back, print per-shard counts', () => undefined, async () => {
    const { runDemo } = await import('../demo/demo.ts');
    await runDemo();
  })
  .demandCommand(1)
  .strict()
  .help()
  .parseAsync();
