/**
 * Spool options: one table (key, default, range, description) from which defaults, validation
 * and the reference docs come. The agent's configuration schema maps its `spool` section here.
 */
import { ShardwiseError } from '../core/errors.ts';
import type { FsyncPolicy, OnFull, SpoolMode } from './spool.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface SpoolOptions {
  readonly mode: SpoolMode;
  /** Directory the agent owns (created 0700); unused in memory mode. */
  readonly dir: string;
  readonly maxBytes: number;
  readonly onFull: OnFull;
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  readonly segmentBytes: number;
  readonly memoryBytes: number;
  readonly cursorIntervalMs: number;
  readonly readChunkBytes: number;
  readonly maxInFlight: number;
  readonly verify: 'full' | 'tail';
  readonly retryMs: number;
}

interface OptionSpec {
  readonly key: keyof SpoolOptions;
  readonly default: string;
  readonly description: string;
}

/** Reference table (the docs are generated from it). */
export const SPOOL_OPTION_DOCS: readonly OptionSpec[] = [
  { key: 'mode', default: 'spill', description: '`always` (every record to disk), `spill` (memory while the sink keeps up, disk when it is down or memory is short), `memory` (bounded memory only).' },
  { key: 'dir', default: '(required unless memory)', description: 'Spool directory; created with mode 0700, files 0600. One agent per directory.' },
  { key: 'maxBytes', default: '256 MiB', description: 'Total spool size (disk + memory + writes in progress), 64 KiB … 1 TiB.' },
  { key: 'onFull', default: 'drop-oldest', description: '`block` (appends wait: backpressure to sources), `drop-oldest` (delete whole oldest segments), `drop-newest` (refuse new records). ENOSPC/EROFS are handled the same way.' },
  { key: 'fsync', default: 'interval', description: '`batch` (fsync every write batch), `interval` (group commit every fsyncIntervalMs), `never` (page cache only).' },
  { key: 'fsyncIntervalMs', default: '100', description: 'Group-commit period for fsync=interval, 1 … 10000 ms.' },
  { key: 'segmentBytes', default: 'maxBytes/8, 64 KiB … 8 MiB', description: 'Segment file size before rotation, 4 KiB … maxBytes/4.' },
  { key: 'memoryBytes', default: 'min(16 MiB, maxBytes/4)', description: 'Spill mode: memory budget before spilling to disk (≤ maxBytes/2). Memory mode uses maxBytes.' },
  { key: 'cursorIntervalMs', default: '200', description: 'How often the acknowledged low-water mark is persisted (the duplicate window after a crash), 10 … 60000 ms.' },
  { key: 'readChunkBytes', default: '256 KiB', description: 'Read-ahead window of the replay reader, 4 KiB … 16 MiB.' },
  { key: 'maxInFlight', default: '1000000', description: 'At most this many entries handed out and not yet acknowledged.' },
  { key: 'verify', default: 'full', description: '`full`: open() checks every CRC of the backlog; `tail`: only headers and the last segment (fast start on slow cards; corruption found during replay is skipped and counted).' },
  { key: 'retryMs', default: '1000', description: 'After a write error (disk full, read-only) how long before writing is tried again, 10 … 60000 ms.' },
];

const MODES: readonly SpoolMode[] = ['always', 'spill', 'memory'];
const ON_FULL: readonly OnFull[] = ['block', 'drop-oldest', 'drop-newest'];
const FSYNC: readonly FsyncPolicy[] = ['batch', 'interval', 'never'];

export type SpoolOptionsInput = Partial<SpoolOptions>;

/** Fills defaults and checks ranges; throws one E_CONFIG error listing every problem. */
export function resolveSpoolOptions(input: SpoolOptionsInput): SpoolOptions {
  const problems: string[] = [];
  const known = new Set<string>(SPOOL_OPTION_DOCS.map((o) => o.key));
  for (const k of Object.keys(input)) {
    if (!known.has(k)) problems.push(`spool.${k}: unknown key (valid: ${[...known].join(', ')})`);
  }
  const oneOf = <T extends string>(key: string, v: T | undefined, allowed: readonly T[], dflt: T): T => {
    if (v === undefined) return dflt;
    if (!allowed.includes(v)) problems.push(`spool.${key}: expected one of ${allowed.join(' | ')}, got ${String(v)}`);
    return v;
  };
  const int = (key: string, v: number | undefined, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`spool.${key}: expected an integer ${min} … ${max}, got ${String(v)}`);
    return v;
  };
  const mode = oneOf('mode', input.mode, MODES, 'spill');
  const dir = input.dir ?? '';
  if (mode !== 'memory' && dir === '') problems.push(`spool.dir: expected a directory path for mode ${mode}, got nothing`);
  const maxBytes = int('maxBytes', input.maxBytes, 64 * KiB, 1024 * 1024 * MiB, 256 * MiB);
  const segDefault = Math.min(8 * MiB, Math.max(64 * KiB, Math.floor(maxBytes / 8)));
  const segmentBytes = int('segmentBytes', input.segmentBytes, 4 * KiB, Math.max(4 * KiB, Math.floor(maxBytes / 4)), Math.min(segDefault, Math.floor(maxBytes / 4)));
  const memoryBytes = int('memoryBytes', input.memoryBytes, 4 * KiB, Math.max(4 * KiB, Math.floor(maxBytes / 2)), Math.min(16 * MiB, Math.floor(maxBytes / 4)));
  const options: SpoolOptions = {
    mode,
    dir,
    maxBytes,
    onFull: oneOf('onFull', input.onFull, ON_FULL, 'drop-oldest'),
    fsync: oneOf('fsync', input.fsync, FSYNC, 'interval'),
    fsyncIntervalMs: int('fsyncIntervalMs', input.fsyncIntervalMs, 1, 10_000, 100),
    segmentBytes,
    memoryBytes,
    cursorIntervalMs: int('cursorIntervalMs', input.cursorIntervalMs, 10, 60_000, 200),
    readChunkBytes: int('readChunkBytes', input.readChunkBytes, 4 * KiB, 16 * MiB, 256 * KiB),
    maxInFlight: int('maxInFlight', input.maxInFlight, 1, 100_000_000, 1_000_000),
    verify: oneOf('verify', input.verify, ['full', 'tail'] as const, 'full'),
    retryMs: int('retryMs', input.retryMs, 10, 60_000, 1000),
  };
  if (problems.length > 0) throw new ShardwiseError('E_CONFIG', problems.join('\n'));
  return options;
}
