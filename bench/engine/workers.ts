/**
 * Splits a run over N worker threads by device index range: worker k simulates devices
 * [first_k, first_k + devices_k) of the same fleet (ids, attributes and popularity use global
 * indices, so the union is the single-process fleet); each has its own PRNG stream, histograms and
 * counters; the parent merges their results exactly (mergeResults).
 *
 * The target comes from a module the worker imports (`targetModule`, exporting
 * `createTarget(spec, part)`), because a Target cannot cross threads. A shared resource such as a
 * modelled shard is split too: each worker's model gets 1/N of every shard's limits (exact when
 * each shard's traffic is spread over the workers, approximate for a single very hot device).
 */
import { Worker } from 'node:worker_threads';
import { ShardwiseError } from '../../agent/core/errors.ts';
import { mergeResults } from '../results/merge.ts';
import type { RunResult } from '../results/run-result.ts';
import { resolveEngineConfig } from './config.ts';
import { mergeProgress } from './progress.ts';
import type { Progress } from './progress.ts';
import type { EngineInput } from './config.ts';

export interface PartInfo {
  readonly index: number;
  readonly count: number;
}

export interface WorkerRunOptions {
  readonly workers: number;
  /** URL of a module exporting `createTarget(spec: unknown, part: PartInfo): Target`. */
  readonly targetModule: string;
  /** Structured-cloneable description of the target (e.g. its URL). */
  readonly targetSpec: unknown;
  /** Progress of all workers added up (mergeProgress), each time one of them reports. */
  readonly onProgress?: ((p: Progress) => void) | undefined;
}

export interface WorkerJob {
  readonly input: EngineInput;
  readonly targetModule: string;
  readonly targetSpec: unknown;
  readonly part: PartInfo;
  /** Whether the worker posts progress messages. */
  readonly progress: boolean;
}

/** What a worker posts: progress (any number), then one result or error. */
export type WorkerMessage = { readonly kind: 'progress'; readonly progress: Progress } | { readonly kind: 'result'; readonly result: RunResult } | { readonly kind: 'error'; readonly error: string };

/** The engine inputs of each part: contiguous device ranges, sizes differing by at most one. */
export function splitInput(input: EngineInput, parts: number): EngineInput[] {
  const config = resolveEngineConfig(input);
  const { devices, first } = config.fleet;
  if (!Number.isInteger(parts) || parts < 1 || parts > devices) {
    throw new ShardwiseError('E_CONFIG', `workers: expected an integer 1…${devices} (one device at least per worker), got ${parts}`);
  }
  const out: EngineInput[] = [];
  let start = first;
  for (let k = 0; k < parts; k++) {
    const size = Math.floor(devices / parts) + (k < devices % parts ? 1 : 0);
    out.push({
      ...input,
      fleet: { ...input.fleet, first: start, devices: size, total: config.fleet.total },
      // Each part stops after its share of a record budget.
      maxRecords: Number.isFinite(config.maxRecords) ? Math.ceil((config.maxRecords * size) / devices) : config.maxRecords,
    });
    start += size;
  }
  return out;
}

export async function runInWorkers(input: EngineInput, options: WorkerRunOptions): Promise<RunResult> {
  const inputs = splitInput(input, options.workers);
  // Workers load TypeScript through tsx's loader API (an `--import tsx` in execArgv is not applied
  // to worker threads on Node 20), then import the entry.
  const entry = new URL('./worker-entry.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const latest: (Progress | undefined)[] = inputs.map(() => undefined);
  const onProgress = options.onProgress;
  // Emit once every part has reported a later second than the last emitted one (rates stay meaningful).
  let emittedRunMs = -1;
  const results = await Promise.all(
    inputs.map(
      (partInput, index) =>
        new Promise<RunResult>((resolve, reject) => {
          const job: WorkerJob = {
            input: partInput,
            targetModule: options.targetModule,
            targetSpec: options.targetSpec,
            part: { index, count: inputs.length },
            progress: onProgress !== undefined,
          };
          const w = new Worker(boot, { eval: true, workerData: job, execArgv: [] });
          let settled = false;
          w.on('message', (m: WorkerMessage) => {
            if (m.kind === 'progress') {
              latest[index] = m.progress;
              const all = latest.filter((p): p is Progress => p !== undefined);
              const merged = all.length === latest.length ? mergeProgress(all) : undefined;
              if (merged && onProgress && merged.runMs > emittedRunMs) {
                emittedRunMs = merged.runMs;
                onProgress(merged);
              }
              return;
            }
            settled = true;
            if (m.kind === 'result') resolve(m.result);
            else reject(new ShardwiseError('E_CONFIG', `bench worker ${index}: ${m.error}`));
          });
          w.once('error', (e) => {
            settled = true;
            reject(e);
          });
          w.once('exit', (code) => {
            if (!settled) reject(new ShardwiseError('E_CONFIG', `bench worker ${index} exited with code ${code} before reporting`));
          });
        }),
    ),
  );
  return mergeResults(results);
}
