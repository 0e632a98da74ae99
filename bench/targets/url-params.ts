/** Query parameters of target URLs: unknown names rejected with the valid list, typed readers. */
import { ShardwiseError } from '../../agent/core/errors.ts';

export class UrlParams {
  private readonly problems: string[] = [];

  constructor(
    private readonly label: string,
    private readonly params: URLSearchParams,
    known: readonly string[],
  ) {
    for (const k of new Set(params.keys())) {
      if (!known.includes(k)) this.problems.push(`unknown parameter ${k} (valid: ${known.join(', ')})`);
    }
  }

  string(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null ? undefined : v;
  }

  /** `on|off|true|false|1|0` (a bare `?name` means on). */
  flag(name: string, def: boolean): boolean {
    const v = this.params.get(name);
    if (v === null) return def;
    if (['', 'on', 'true', '1', 'yes'].includes(v)) return true;
    if (['off', 'false', '0', 'no'].includes(v)) return false;
    this.problems.push(`${name}: expected on or off, got ${JSON.stringify(v)}`);
    return def;
  }

  number(name: string, def: number, min: number, max = Infinity, integer = false): number {
    const v = this.params.get(name);
    if (v === null) return def;
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < min || x > max || (integer && !Number.isInteger(x))) {
      this.problems.push(`${name}: expected ${integer ? 'an integer' : 'a number'} ${min}…${max === Infinity ? '' : max}, got ${JSON.stringify(v)}`);
      return def;
    }
    return x;
  }

  oneOf<T extends string>(name: string, values: readonly T[], def: T): T {
    const v = this.params.get(name);
    if (v === null) return def;
    if ((values as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name}: expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return def;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws E_CONFIG listing every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ShardwiseError('E_CONFIG', `${this.label}:\n  ${this.problems.join('\n  ')}`);
  }
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
