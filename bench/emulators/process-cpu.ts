/**
 * CPU time and resident memory of another process (an emulator child), read from /proc on Linux,
 * so a benchmark can report the emulator's cost beside the producer's.
 * On systems without /proc (macOS development machines) it falls back to `ps`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

let clockTicks: number | undefined;

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (100 on every common Linux build). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const n = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10);
      clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      clockTicks = 100; // getconf missing: USER_HZ is 100 on x86_64 and arm64 Linux
    }
  }
  return clockTicks;
}

function isMissingProc(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT' && process.platform !== 'linux';
}

/** User + system CPU seconds the process has used so far (its own threads, not its children). */
export async function processCpuSeconds(pid: number): Promise<number> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if (isMissingProc(e)) return psCpuSeconds(pid);
    throw e;
  }
  // Fields after the command name, which is in parentheses and may contain spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return (utime + stime) / ticksPerSecond();
}

/** Resident set size in bytes. */
export async function processRssBytes(pid: number): Promise<number> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (e) {
    if (isMissingProc(e)) return psRssBytes(pid);
    throw e;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  // A zombie has no VmRSS line: it holds no memory.
  return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
}

async function ps(pid: number, field: string): Promise<string> {
  const { stdout } = await execFileP('ps', ['-o', `${field}=`, '-p', String(pid)]);
  return stdout.trim();
}

async function psCpuSeconds(pid: number): Promise<number> {
  // [[dd-]hh:]mm:ss[.ff]
  const parts = (await ps(pid, 'time')).split(/[-:]/).map(Number);
  const weights = [1, 60, 3600, 86400];
  let s = 0;
  for (let i = 0; i < parts.length; i++) s += (parts[parts.length - 1 - i] ?? 0) * (weights[i] ?? 0);
  return s;
}

async function psRssBytes(pid: number): Promise<number> {
  return Number(await ps(pid, 'rss')) * 1024;
}
