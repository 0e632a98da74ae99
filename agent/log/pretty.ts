/**
 * `log.pretty: true`: turns pino's JSON lines into `12:00:01.234 WARN  message key=value …` for a
 * terminal. Parses each line (logging is never on a hot path); a line that is not JSON passes through.
 */
import type { DestinationStream } from 'pino';

const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

export function formatPrettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof o['time'] === 'string' ? (o['time'] as string).slice(11, 23) : '';
  const level = String(o['level'] ?? '').toUpperCase().padEnd(5);
  let s = `${time} ${level} ${String(o['msg'] ?? '')}`;
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k)) continue;
    if (k === 'err' && typeof v === 'object' && v !== null) {
      const e = v as Record<string, unknown>;
      s += ` err=${JSON.stringify(`${String(e['type'] ?? 'Error')}: ${String(e['message'] ?? '')}`)}`;
      if (typeof e['code'] === 'string') s += ` code=${e['code'] as string}`;
      continue;
    }
    s += ` ${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`;
  }
  return `${s}\n`;
}

export function prettyDestination(out: { write(s: string): unknown }): DestinationStream {
  return { write: (line: string) => void out.write(formatPrettyLine(line)) };
}
