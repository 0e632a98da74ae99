/**
 * `shardwise-bench run`: scenario (+ overrides) → target → engine (in-process or N workers) →
 * keying replay → text report on stdout, JSON report to --report, live progress on stderr.
 */
import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../agent/config/units.ts';
import { ShardwiseError } from '../../agent/core/errors.ts';
import type { KeyingConfig } from '../../agent/keying/create-keying.ts';
import { FileAssignmentStore } from '../../agent/keying/file-assignment-store.ts';
import { Engine } from '../engine/engine.ts';
import { runInWorkers } from '../engine/workers.ts';
import { toJsonReport } from '../report/json-report.ts';
import { labelOf, replayStrategies } from '../report/replay.ts';
import type { StrategyScore } from '../report/replay.ts';
import { toTextReport } from '../report/text-report.ts';
import type { RunResult } from '../results/run-result.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { planScenario } from '../scenario/to-engine.ts';
import type { ScenarioPlan } from '../scenario/to-engine.ts';
import { readShardInfos, replayShardMap, targetFromSpec } from '../targets/create-target.ts';
import type { TargetSpec } from '../targets/create-target.ts';
import { ProgressPrinter } from './progress-printer.ts';

export interface RunArgs {
  readonly scenario: string;
  readonly target?: string | undefined;
  readonly devices?: number | undefined;
  readonly rate?: number | undefined;
  readonly duration?: string | undefined;
  readonly records?: number | undefined;
  readonly seed?: number | undefined;
  readonly report?: string | undefined;
  readonly workers?: number | undefined;
  /** Balanced keying: persist device → shard assignments here (overrides the scenario's assignmentsFile). */
  readonly assignments?: string | undefined;
  /** Skip the keying replay (it hashes every device once per strategy). */
  readonly replay?: boolean | undefined;
  readonly quiet?: boolean | undefined;
}

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Fleets above this skip the salted replay (k MD5 hashes per device). */
const SALTED_REPLAY_MAX_DEVICES = 1_000_000;

export async function runCommand(args: RunArgs, io: Io): Promise<number> {
  const scenario = await loadScenarioFile(args.scenario);
  const plan = planScenario(scenario, { devices: args.devices, rate: args.rate, durationMs: durationOf(args.duration), seed: args.seed, records: args.records }, args.target);
  const assignmentsFile = args.assignments ?? plan.assignmentsFile;
  if (args.assignments !== undefined && plan.keying.kind !== 'balanced') throw new ShardwiseError('E_CONFIG', `--assignments: only balanced keying has assignments (this scenario uses ${plan.keying.kind})`);
  const stream = plan.stream;
  const spec: TargetSpec = {
    url: plan.targetUrl,
    stream: {
      shards: stream.shards,
      limits: stream.limits,
      aggregation: stream.aggregation,
      shardInfos: stream.existing ? await readShardInfos(stream.existing) : undefined,
    },
  };
  const workers = args.workers ?? 1;
  const printer = args.quiet ? undefined : new ProgressPrinter({ write: (line) => io.stderr(`${line}\n`) });
  if (!args.quiet) io.stderr(`shardwise-bench: ${plan.name} → ${spec.url} (${plan.input.fleet?.devices} devices, ${plan.input.mode} time${workers > 1 ? `, ${workers} workers` : ''})\n`);
  let result: RunResult;
  if (workers > 1) {
    if (assignmentsFile !== undefined) throw new ShardwiseError('E_CONFIG', 'stream.keying.assignmentsFile: not supported with --workers > 1 (each worker balances its own devices)');
    result = await runInWorkers(plan.input, { workers, targetModule: new URL('../targets/create-target.ts', import.meta.url).href, targetSpec: spec, onProgress: printer?.onProgress });
  } else {
    const assignments = assignmentsFile !== undefined ? new FileAssignmentStore(assignmentsFile) : undefined;
    result = await new Engine(plan.input, { target: targetFromSpec(spec), onProgress: printer?.onProgress, assignments }).run();
  }
  const replay = args.replay === false || result.perDevice === null ? undefined : await replayKeying(plan, spec, result);
  const options = { targetUtilisation: plan.targetUtilisation, replay };
  io.stdout(toTextReport(result, options));
  if (args.report !== undefined) {
    const json = toJsonReport(result, { ...options, devices: { idPattern: plan.fleet.idPattern }, scenario: plan.name });
    await writeFile(args.report, `${JSON.stringify(json, null, 2)}\n`);
    if (!args.quiet) io.stderr(`JSON report written to ${args.report}\n`);
  }
  return 0;
}

/** Replays the run's per-device counts under each candidate strategy on the target's shard map. */
async function replayKeying(plan: ScenarioPlan, spec: TargetSpec, result: RunResult): Promise<StrategyScore[] | undefined> {
  const perDevice = result.perDevice;
  if (perDevice === null) return undefined;
  const candidates: KeyingConfig[] = [{ kind: 'device' }, plan.keying, { kind: 'balanced' }, { kind: 'random' }];
  if (perDevice.records.length <= SALTED_REPLAY_MAX_DEVICES) candidates.push({ kind: 'salted', buckets: 4 });
  const seen = new Set<string>();
  const strategies = candidates.filter((c) => {
    const label = c.kind === 'salted' || c.kind === 'field' || c.kind === 'template' ? labelOf(c) : c.kind;
    if (seen.has(label)) return false;
    seen.add(label);
    return true;
  });
  const shardMap = await replayShardMap(spec);
  return replayStrategies({ perDevice, fleet: plan.fleet, shardMap, strategies });
}

function durationOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) throw new ShardwiseError('E_CONFIG', `--duration: give a unit, e.g. 60s, 5m or 1h30m (got ${JSON.stringify(text)})`);
  const r = parseDuration(text);
  if (!r.ok || r.value <= 0) throw new ShardwiseError('E_CONFIG', `--duration: ${r.ok ? 'expected more than 0' : r.message}, got ${JSON.stringify(text)}`);
  return r.value;
}
