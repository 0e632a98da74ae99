/**
 * Contract of one benchmark file in bench/perf/: `export async function run(): Promise<PerfSection>`.
 * run-all.ts runs each file in turn (one at a time: the machine is small and noisy) and writes
 * docs/benchmarks.md. Quote medians of several runs, and ratios measured side by side in one run.
 */
export interface PerfSection {
  /** Section heading, e.g. "Hashing partition keys". */
  readonly title: string;
  /** How to reproduce just this section, e.g. "npx tsx bench/perf/hashing.ts". */
  readonly command: string;
  /** Markdown body: a table of figures and a sentence on what they show. */
  readonly markdown: string;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Formats a rate such as 3512345.6 as "3.51 M". */
export function fmtRate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k`;
  return perSec.toFixed(1);
}

export function mdTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Runs a section standalone when its file is executed directly (`npx tsx bench/perf/X.ts`). */
export async function runStandalone(metaUrl: string, run: () => Promise<PerfSection>): Promise<void> {
  const { pathToFileURL } = await import('node:url');
  if (process.argv[1] && metaUrl === pathToFileURL(process.argv[1]).href) {
    const s = await run();
    process.stdout.write(`## ${s.title}\n\n${s.markdown}\n\nReproduce: \`${s.command}\`\n`);
  }
}
