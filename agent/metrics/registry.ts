/**
 * A tiny Prometheus registry: metrics in registration order, collect hooks that refresh values
 * from stats snapshots right before a scrape, and `render()` to the text exposition format.
 */
import { Counter, Gauge } from './metric.ts';
import type { Renderable } from './metric.ts';
import { Histogram } from './histogram.ts';

/** Runs before every render; refreshes gauges and mirrored counters. Must not throw. */
export type CollectHook = () => void;

export class MetricsRegistry {
  private readonly metrics: Renderable[] = [];
  private readonly names = new Set<string>();
  private readonly hooks: CollectHook[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  onCollect(hook: CollectHook): void {
    this.hooks.push(hook);
  }

  /** Runs the collect hooks (also done by `render`). */
  collect(): void {
    for (const h of this.hooks) h();
  }

  /** The whole exposition text, collect hooks run first. */
  render(): string {
    this.collect();
    let out = '';
    for (const m of this.metrics) out += m.render();
    return out;
  }

  private add<M extends Renderable>(m: M): M {
    if (this.names.has(m.name)) throw new RangeError(`metric ${m.name} is already registered`);
    this.names.add(m.name);
    this.metrics.push(m);
    return m;
  }
}
