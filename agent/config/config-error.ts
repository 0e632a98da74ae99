/** The one error a configuration load throws: code `E_CONFIG`, every problem listed. */
import { ShardwiseError } from '../core/errors.ts';
import { formatIssue } from './issues.ts';
import type { ConfigIssue } from './issues.ts';

/** Message listing every issue, one per line: `  - sources[1].url: expected … (line 7)`. */
export function formatConfigIssues(issues: readonly ConfigIssue[], source?: string): string {
  const where = source === undefined ? '' : ` in ${source}`;
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [`invalid configuration${where}: ${count}`, ...issues.map((i) => `  - ${formatIssue(i)}`)].join('\n');
}

export class ConfigError extends ShardwiseError {
  readonly issues: readonly ConfigIssue[];
  /** File name (or other label) of the configuration, when known. */
  readonly source: string | undefined;

  constructor(issues: readonly ConfigIssue[], source?: string, cause?: unknown) {
    super('E_CONFIG', formatConfigIssues(issues, source), { retryable: false, cause });
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = source;
  }
}
