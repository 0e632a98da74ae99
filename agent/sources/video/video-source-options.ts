/**
 * Options of one `kind: 'video'` source. Values arrive validated from agent/config (ms, bytes);
 * `resolveVideoOptions` fills defaults.
 */
import { ShardwiseError } from '../../core/errors.ts';

export type CameraIdRule = { readonly fromPath: string } | { readonly fixed: string };

export interface VideoSourceOptions {
  readonly name: string;
  /** Directory the cameras write segments into. */
  readonly dir: string;
  /** File name globs. Default `['*.mp4', '*.ts', '*.mkv']` (matched case-insensitively). */
  readonly patterns?: readonly string[];
  /** Look into subdirectories too. Default false. */
  readonly recursive?: boolean;
  /**
   * Camera id (the records' device id): `fromPath`, a template matched against the segment's path
   * (a relative template such as `{camera}/**` or `{camera}/*.mp4` against the path relative to
   * `dir`, an absolute one such as `/srv/cams/{camera}/**` against the absolute path), or `fixed`,
   * one id for every segment (a directory that holds one camera's recordings).
   */
  readonly cameraId: CameraIdRule;
  /** A segment written in place is finished once its size and mtime stayed the same this long. Default 2000. */
  readonly stableForMs?: number;
  readonly pollIntervalMs: number;
  /** JSON file: segments already reported, and the last sequence number per camera. */
  readonly statePath: string;
  /** `sha256` (default): checksum of each segment in its record; `none`: no hashing (saves CPU and reads on large files; `sha256` is null). */
  readonly hash?: 'sha256' | 'none';
  /** Segments per `accept` call. Default 50. */
  readonly batchMaxRecords?: number;
}

export interface ResolvedVideoOptions extends VideoSourceOptions {
  readonly patterns: readonly string[];
  readonly recursive: boolean;
  readonly stableForMs: number;
  readonly hash: 'sha256' | 'none';
  readonly batchMaxRecords: number;
}

export const DEFAULT_VIDEO_PATTERNS: readonly string[] = ['*.mp4', '*.ts', '*.mkv'];

export function resolveVideoOptions(o: VideoSourceOptions): ResolvedVideoOptions {
  const patterns = o.patterns ?? DEFAULT_VIDEO_PATTERNS;
  if (patterns.length === 0) throw new ShardwiseError('E_CONFIG', `sources.${o.name}.patterns: expected at least one glob`);
  if ('fixed' in o.cameraId && o.cameraId.fixed.length === 0) throw new ShardwiseError('E_CONFIG', `sources.${o.name}.cameraId.fixed: expected a non-empty id`);
  return {
    ...o,
    patterns,
    recursive: o.recursive ?? false,
    stableForMs: o.stableForMs ?? 2000,
    hash: o.hash ?? 'sha256',
    batchMaxRecords: Math.max(1, o.batchMaxRecords ?? 50),
  };
}
