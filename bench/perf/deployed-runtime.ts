/**
 * The runtime settings the systemd unit gives the agent (`Environment=` lines of
 * deploy/shardwise-agent.service: NODE_OPTIONS, glibc malloc tunables), read from the unit itself
 * so the agent benchmarks measure the agent exactly as it is deployed, and cannot drift from it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const UNIT = fileURLToPath(new URL('../../deploy/shardwise-agent.service', import.meta.url));

/** `NAME=value` pairs of the unit's `Environment=` lines (quotes removed), in order. */
export function unitEnvironment(unitText: string = readFileSync(UNIT, 'utf8')): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('Environment=')) continue;
    // systemd: one or more space-separated assignments, each optionally double-quoted.
    for (const m of line.slice('Environment='.length).matchAll(/"([^"]*)"|(\S+)/g)) {
      const a = m[1] ?? m[2] ?? '';
      const eq = a.indexOf('=');
      if (eq > 0) env[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return env;
}

/**
 * The memory-related part of the unit's environment: NODE_OPTIONS and MALLOC_* (not NODE_ENV or
 * secrets files). `SHARDWISE_BENCH_UNTUNED=1` returns none: the agent then runs with Node's defaults.
 */
export function deployedRuntimeEnv(): Record<string, string> {
  if (process.env['SHARDWISE_BENCH_UNTUNED'] === '1') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(unitEnvironment())) if (k === 'NODE_OPTIONS' || k.startsWith('MALLOC_')) out[k] = v;
  return out;
}

/** The environment to spawn an agent with: the caller's, minus its own NODE_OPTIONS and MALLOC_*, plus `runtime`. */
export function agentEnv(runtime: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('MALLOC_')) env[k] = v;
  return { ...env, ...runtime };
}

/** One line for a benchmark's text: what the agent ran with. */
export function describeRuntime(env: Record<string, string>): string {
  const parts = Object.entries(env).map(([k, v]) => `\`${k}=${v}\``);
  return parts.length > 0 ? `the systemd unit runs it (${parts.join(', ')})` : "Node's and glibc's defaults (no tuning)";
}
