/**
 * Options of one `kind: 'video'` source. Values arrive validated from agent/config (ms, bytes);
 * `resolveVideoOptions` fills defaults.
 */
import { ShardwiseError } from '../../core/errors.ts';

export interface VideoSourceOptions {
  readonly name: string;
  /** Directory the cameras write segments into. */
  readonly dir: string;
  /** File name globs. Default `['*.mp4', '*.ts', '*.mkv']` (matched case-insensitively). */
  readonly patterns?: readonly string[];
  /** Look into subdirectories too. Default false. */
  readonly recursive?: boolean;
  /** Camera id from the path, e.g. `{camera}/*.mp4` (relative: matched at the end of the path) or `/srv/cams/{camera}/**`. */
  readonly cameraId: { readonly fromPath: string };
  /** A segment written in place is finished once its size and mtime stayed the same this long. Default 2000. */
  readonly stableForMs?: number;
  readonly pollIntervalMs: number;
  /** JSON file: segments already reported, and the last sequence number per camera. */
  readonly statePath: string;
  /** Segments per `accept` call. Default 50. */
  readonly batchMaxRecords?: number;
}

export interface ResolvedVideoOptions extends VideoSourceOptions {
  readonly patterns: readonly string[];
  readonly recursive: boolean;
  readonly stableForMs: number;
  readonly batchMaxRecords: number;
}

export const DEFAULT_VIDEO_PATTERNS: readonly string[] = ['*.mp4', '*.ts', '*.mkv'];

export function resolveVideoOptions(o: VideoSourceOptions): ResolvedVideoOptions {
  const patterns = o.patterns ?? DEFAULT_VIDEO_PATTERNS;
  if (patterns.length === 0) throw new ShardwiseError('E_CONFIG', `sources.${o.name}.patterns: expected at least one glob`);
  return {
    ...o,
    patterns,
    recursive: o.recursive ?? false,
    stableForMs: o.stableForMs ?? 2000,
    batchMaxRecords: Math.max(1, o.batchMaxRecords ?? 50),
  };
}
