/** Entry point of one bench worker thread: builds its target, runs its part, posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Target } from '../targets/target.ts';
import { Engine } from './engine.ts';
import type { Progress } from './progress.ts';
import type { WorkerJob, WorkerMessage } from './workers.ts';

const job = workerData as WorkerJob;
const port = parentPort;
if (port === null) throw new Error('worker-entry.ts must run in a worker thread');

try {
  const mod = (await import(job.targetModule)) as { createTarget?: (spec: unknown, part: WorkerJob['part']) => Target };
  if (typeof mod.createTarget !== 'function') throw new Error(`${job.targetModule} does not export createTarget(spec, part)`);
  const onProgress = job.progress ? (progress: Progress): void => port.postMessage({ kind: 'progress', progress } satisfies WorkerMessage) : undefined;
  const result = await new Engine(job.input, { target: mod.createTarget(job.targetSpec, job.part), onProgress }).run();
  const transfer = result.perDevice ? [result.perDevice.records.buffer as ArrayBuffer, result.series.data.buffer as ArrayBuffer] : [result.series.data.buffer as ArrayBuffer];
  port.postMessage({ kind: 'result', result } satisfies WorkerMessage, transfer);
} catch (e) {
  port.postMessage({ kind: 'error', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies WorkerMessage);
}
