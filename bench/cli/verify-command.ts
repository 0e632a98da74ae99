/** `shardwise-bench verify`: read a stream back, report lost/duplicated/out-of-order records and latency. */
import { readFile, writeFile } from 'node:fs/promises';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { runDevicesFromReport } from '../verify/run-devices.ts';
import type { RunDevices } from '../verify/run-devices.ts';
import { toVerifyJson, toVerifyText } from '../verify/verify-report.ts';
import { verifyStream } from '../verify/verify-stream.ts';
import type { Io } from './run-command.ts';

export interface VerifyArgs {
  readonly target: string;
  readonly report?: string | undefined;
  readonly runReport?: string | undefined;
  /** ISO time: read records that arrived at or after it (default: everything retained). */
  readonly from?: string | undefined;
  readonly quiet?: boolean | undefined;
}

/** Exit code 0 when nothing is lost, duplicated or out of order (and nothing missing vs the run report); else 1. */
export async function verifyCommand(args: VerifyArgs, io: Io): Promise<number> {
  if (!args.target.startsWith('kinesis://')) throw new ShardwiseError('E_CONFIG', `--target: verify reads Kinesis streams: expected kinesis://STREAM?…, got ${args.target}`);
  let run: RunDevices | undefined;
  if (args.runReport !== undefined) {
    let text: string;
    try {
      text = await readFile(args.runReport, 'utf8');
    } catch (e) {
      throw new ShardwiseError('E_CONFIG', `--run-report ${args.runReport}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ShardwiseError('E_CONFIG', `--run-report ${args.runReport}: not JSON`, { cause: e });
    }
    run = runDevicesFromReport(json, args.runReport);
  }
  let from: Date | undefined;
  if (args.from !== undefined) {
    from = new Date(args.from);
    if (Number.isNaN(from.getTime())) throw new ShardwiseError('E_CONFIG', `--from: expected an ISO time such as 2024-05-01T12:00:00Z, got ${JSON.stringify(args.from)}`);
  }
  if (!args.quiet) io.stderr(`shardwise-bench verify: reading ${args.target} …\n`);
  const v = await verifyStream({ url: args.target, from, run });
  io.stdout(toVerifyText(v));
  if (args.report !== undefined) {
    await writeFile(args.report, `${JSON.stringify(toVerifyJson(v), null, 2)}\n`);
    if (!args.quiet) io.stderr(`JSON report written to ${args.report}\n`);
  }
  const ok = v.lost === 0 && v.duplicates === 0 && v.outOfOrder === 0 && (v.run === undefined || v.run.missing === 0);
  return ok ? 0 : 1;
}
