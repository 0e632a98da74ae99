/**
 * Prometheus text exposition format (version 0.0.4) helpers: name checks, escaping, numbers.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws a RangeError (a programmer error) unless `name` is a valid metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new RangeError(`metric name: expected [a-zA-Z_:][a-zA-Z0-9_:]*, got "${name}"`);
}

/** Throws a RangeError unless `name` is a valid label name (and not reserved: `__*`, `le` is the histogram's). */
export function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__')) {
    throw new RangeError(`label name: expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __, got "${name}"`);
  }
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  // Fast path: most values (shard ids, source names) need nothing.
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: integers plainly, `+Inf`, `-Inf`, `NaN` spelled as the format wants. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** `{a="x",b="y"}` for the given names and values, or '' when there are none. */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  let s = '{';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ',';
    s += `${names[i] as string}="${escapeLabelValue(values[i] ?? '')}"`;
  }
  return `${s}}`;
}

/** The `# HELP` and `# TYPE` header of a metric family. */
export function familyHeader(name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}
