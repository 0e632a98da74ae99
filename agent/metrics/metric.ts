/**
 * Counters and gauges, optionally with labels. A labelled metric hands out one child per label
 * combination (`labels('mqtt-1')`); hot paths keep the child and call `inc()` on it, which is a
 * single addition: no lookup, no allocation.
 */
import { checkLabelName, checkMetricName, familyHeader, formatLabels, formatValue } from './exposition.ts';

/** One time series: a value and the label values that name it. */
export class Series {
  value = 0;
  constructor(readonly labelValues: readonly string[]) {}

  inc(n = 1): void {
    this.value += n;
  }

  /** Gauges: any value. Counters: mirrors an external monotonic counter (e.g. a stats snapshot). */
  set(v: number): void {
    this.value = v;
  }

  dec(n = 1): void {
    this.value -= n;
  }
}

export type MetricType = 'counter' | 'gauge';

/** Common interface of everything a registry renders. */
export interface Renderable {
  readonly name: string;
  render(): string;
}

const SEP = '\u0001';

abstract class LabelledMetric implements Renderable {
  private readonly series = new Map<string, Series>();
  /** The series of an unlabelled metric (labelNames empty). */
  private readonly single: Series | undefined;

  protected constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: MetricType,
  ) {
    checkMetricName(name);
    for (const l of labelNames) checkLabelName(l);
    if (new Set(labelNames).size !== labelNames.length) throw new RangeError(`${name}: duplicate label names`);
    if (labelNames.length === 0) {
      this.single = new Series([]);
      this.series.set('', this.single);
    }
  }

  /** The series for these label values (created at 0 on first use). Keep it on hot paths. */
  labels(...values: string[]): Series {
    if (values.length !== this.labelNames.length) {
      throw new RangeError(`${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`);
    }
    const key = values.length === 1 ? (values[0] as string) : values.join(SEP);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new Series(values)));
    return s;
  }

  /** Value of a series, 0 when it does not exist. */
  get(...values: string[]): number {
    if (values.length === 0) return this.single?.value ?? 0;
    const key = values.length === 1 ? (values[0] as string) : values.join(SEP);
    return this.series.get(key)?.value ?? 0;
  }

  /** Drops one series (e.g. a shard that closed). */
  remove(...values: string[]): void {
    const key = values.length === 1 ? (values[0] as string) : values.join(SEP);
    if (this.labelNames.length > 0) this.series.delete(key);
  }

  /** Every series with its label values. */
  entries(): IterableIterator<Series> {
    return this.series.values();
  }

  protected unlabelled(): Series {
    if (!this.single) throw new RangeError(`${this.name} has labels (${this.labelNames.join(', ')}): use labels(...)`);
    return this.single;
  }

  render(): string {
    let out = familyHeader(this.name, this.help, this.type);
    for (const s of this.series.values()) {
      out += `${this.name}${formatLabels(this.labelNames, s.labelValues)} ${formatValue(s.value)}\n`;
    }
    return out;
  }
}

/** A value that only goes up (`_total` by convention); `set` exists only to mirror external counters. */
export class Counter extends LabelledMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter');
  }

  inc(n = 1): void {
    this.unlabelled().value += n;
  }

  set(v: number): void {
    this.unlabelled().value = v;
  }
}

/** A value that goes up and down. */
export class Gauge extends LabelledMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
  }

  set(v: number): void {
    this.unlabelled().value = v;
  }

  inc(n = 1): void {
    this.unlabelled().value += n;
  }

  dec(n = 1): void {
    this.unlabelled().value -= n;
  }
}
