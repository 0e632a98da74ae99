/**
 * `npm run perf`: runs every benchmark section one after another (never in parallel: the machine is
 * small and shared) and writes docs/benchmarks.md with the machine and the command.
 * `npm run perf -- hashing aggregation` runs only the named sections and replaces just those in the
 * doc (each section sits behind a `<!-- section: NAME -->` marker); the others are kept as they were.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { PerfSection } from './section.ts';

const SECTIONS: Record<string, () => Promise<{ run: () => Promise<PerfSection> }>> = {
  hashing: () => import('./hashing.ts'),
  aggregation: () => import('./aggregation.ts'),
  producer: () => import('./producer.ts'),
  'producer-faults': () => import('./producer-faults.ts'),
  spool: () => import('./spool.ts'),
  'file-source': () => import('./file-source.ts'),
  'mqtt-source': () => import('./mqtt-source.ts'),
  'host-source': () => import('./host-source.ts'),
  'bench-engine': () => import('./bench-engine.ts'),
  'agent-file': () => import('./agent-file.ts'),
  'agent-outage': () => import('./agent-outage.ts'),
  'agent-mqtt': () => import('./agent-mqtt.ts'),
  'bench-targets': () => import('./bench-targets.ts'),
};

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = args.length > 0 ? args : Object.keys(SECTIONS);
const docUrl = new URL('../../docs/benchmarks.md', import.meta.url);
const MARK = /^<!-- section: ([\w-]+) -->$/m;
/** Sections already in the doc, by name, so a partial run keeps the others. */
const previous = new Map<string, string>();
if (existsSync(docUrl)) {
  const chunks = readFileSync(docUrl, 'utf8').split(/(?=^<!-- section: [\w-]+ -->$)/m);
  for (const c of chunks) {
    const m = MARK.exec(c);
    if (m?.[1]) previous.set(m[1], c.trimEnd());
  }
}
const fresh = new Map<string, string>();
for (const name of names) {
  const load = SECTIONS[name];
  if (!load) throw new Error(`unknown section ${name}; sections: ${Object.keys(SECTIONS).join(', ')}`);
  process.stderr.write(`perf: ${name}…\n`);
  const t0 = performance.now();
  const section = await (await load()).run();
  process.stderr.write(`perf: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const text = `## ${section.title}\n\n${section.markdown}\n\nReproduce: \`${section.command}\``;
  fresh.set(name, `<!-- section: ${name} -->\n${text}`);
  process.stdout.write(`${text}\n\n`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmarks

Written by \`npm run perf\` (sections re-run on ${new Date().toISOString().slice(0, 10)}: ${names.join(', ')}). Machine: ${os.cpus().length} × ${cpu},
${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}.
The machine is shared and noisy: figures are medians of several runs, and every comparison
(ours vs a reference) was measured side by side in one run. Speed targets live here, never as
timed assertions in tests.
`;
// A hand-written `<!-- section: summary -->` (goals and where they stand) is kept at the top.
const body = ['summary', ...Object.keys(SECTIONS)]
  .map((n) => fresh.get(n) ?? previous.get(n))
  .filter((x): x is string => x !== undefined);
writeFileSync(docUrl, `${header}\n${body.join('\n\n')}\n`);
