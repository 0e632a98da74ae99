/** Entry point of one bench worker thread: builds its target, runs its part, posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Target } from '../targets/target.ts';
import { Engine } from './engine.ts';
import type { WorkerJob } from './workers.ts';

const job = workerData as WorkerJob;
const port = parentPort;
if (port === null) throw new Error('worker-entry.ts must run in a worker thread');

try {
  const mod = (await import(job.targetModule)) as { createTarget?: (spec: unknown, part: WorkerJob['part']) => Target };
  if (typeof mod.createTarget !== 'function') throw new Error(`${job.targetModule} does not export createTarget(spec, part)`);
  const result = await new Engine(job.input, { target: mod.createTarget(job.targetSpec, job.part) }).run();
  const transfer = result.perDevice ? [result.perDevice.records.buffer as ArrayBuffer, result.series.data.buffer as ArrayBuffer] : [result.series.data.buffer as ArrayBuffer];
  port.postMessage({ ok: true, result }, transfer);
} catch (e) {
  port.postMessage({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
}
