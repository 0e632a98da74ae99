import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isShardwiseError } from '../../agent/core/errors.ts';
import type { Io } from './run-command.ts';

const io: Io = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };

/** Runs a command; a typed error (bad scenario, unreachable target) is one message and exit code 2, not a stack trace. */
async function guarded(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (e) {
    if (!isShardwiseError(e)) throw e;
    process.stderr.write(`shardwise-bench: ${e.code}: ${e.message}\n`);
    process.exitCode = 2;
  }
}

/** `shardwise-bench`: load generator and stream verifier. */
await yargs(hideBin(process.argv))
  .scriptName('shardwise-bench')
  .usage('$0 <command> [options]\n\nDrives simulated devices at a target and reports hot shards and latency percentiles.')
  .command(
    'run',
    'run a scenario against a target',
    (y) =>
      y
        .option('scenario', { type: 'string', describe: 'scenario YAML file (see scenarios/)', demandOption: true })
        .option('target', { type: 'string', describe: 'model://?shards=N, kinesis://STREAM?region=…&endpoint=…, mqtt://HOST:PORT/TOPIC-TEMPLATE (default: the scenario\'s)' })
        .option('devices', { type: 'number', describe: 'fleet size (a per-device rate scales with it)' })
        .option('rate', { type: 'number', describe: 'peak records/s of the whole fleet' })
        .option('duration', { type: 'string', describe: 'run length, e.g. 60s, 5m (the scenario\'s times scale with it)' })
        .option('records', { type: 'number', describe: 'stop after this many records' })
        .option('seed', { type: 'number', describe: 'seed of every random choice' })
        .option('report', { type: 'string', describe: 'write the JSON report here' })
        .option('workers', { type: 'number', default: 1, describe: 'worker threads (split the fleet by device range)' })
        .option('assignments', { type: 'string', describe: 'balanced keying: restore/save device → shard assignments in this file' })
        .option('replay', { type: 'boolean', default: true, describe: 'replay the run\'s keys through other keying strategies (--no-replay to skip)' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' }),
    async (a) => {
      const { runCommand } = await import('./run-command.ts');
      await guarded(() => runCommand(a, io));
    },
  )
  .command(
    'verify',
    'read a stream back and report lost, duplicated and out-of-order records and latency (exit 1 when any)',
    (y) =>
      y
        .option('target', { type: 'string', demandOption: true, describe: 'kinesis://STREAM?region=…&endpoint=…' })
        .option('report', { type: 'string', describe: 'write the JSON result here' })
        .option('run-report', { type: 'string', describe: 'the JSON report of the run: adds missing-vs-run and skips older records' })
        .option('from', { type: 'string', describe: 'read records that arrived at or after this ISO time (default: all retained)' })
        .option('quiet', { type: 'boolean', default: false }),
    async (a) => {
      const { verifyCommand } = await import('./verify-command.ts');
      await guarded(() => verifyCommand({ target: a.target, report: a.report, runReport: a['run-report'], from: a.from, quiet: a.quiet }, io));
    },
  )
  .command('demo', 'write records into an embedded local Kinesis, read them back, print per-shard counts', () => undefined, async () => {
    const { runDemo } = await import('../demo/demo.ts');
    await runDemo();
  })
  .demandCommand(1)
  .strict()
  .help()
  .parseAsync();
