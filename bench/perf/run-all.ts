/**
 * `npm run perf`: runs every benchmark section one after another (never in parallel: the machine is
 * small and shared) and writes docs/benchmarks.md with the machine and the command.
 * `npm run perf -- hashing aggregation` runs only the named sections (the doc is then not rewritten
 * unless --write is given).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { PerfSection } from './section.ts';

const SECTIONS: Record<string, () => Promise<{ run: () => Promise<PerfSection> }>> = {
  hashing: () => import('./hashing.ts'),
  aggregation: () => import('./aggregation.ts'),
  producer: () => import('./producer.ts'),
  'producer-faults': () => import('./producer-faults.ts'),
};

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = args.length > 0 ? args : Object.keys(SECTIONS);
const write = args.length === 0 || process.argv.includes('--write');
const parts: string[] = [];
for (const name of names) {
  const load = SECTIONS[name];
  if (!load) throw new Error(`unknown section ${name}; sections: ${Object.keys(SECTIONS).join(', ')}`);
  process.stderr.write(`perf: ${name}…\n`);
  const t0 = performance.now();
  const section = await (await load()).run();
  process.stderr.write(`perf: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  parts.push(`## ${section.title}\n\n${section.markdown}\n\nReproduce: \`${section.command}\`\n`);
  process.stdout.write(`${parts.at(-1)}\n`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmarks

Written by \`npm run perf\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${os.cpus().length} × ${cpu},
${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}.
The machine is shared and noisy: figures are medians of several runs, and every comparison
(ours vs a reference) was measured side by side in one run. Speed targets live here, never as
timed assertions in tests.
`;
if (write) writeFileSync(new URL('../../docs/benchmarks.md', import.meta.url), `${header}\n${parts.join('\n')}`);
