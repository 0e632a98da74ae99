import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../agent/metrics/registry.ts';
import { escapeLabelValue, formatValue } from '../../agent/metrics/exposition.ts';
import { parsePrometheus, valueOf } from './prom-parser.ts';

describe('Prometheus registry', () => {
  it('renders counters and gauges with HELP/TYPE lines that a strict parser accepts', () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_received_total', 'Records in.', ['source']);
    const g = r.gauge('t_depth', 'Queue depth.');
    const plain = r.counter('t_plain_total', 'No labels.');
    c.labels('mqtt-1').inc(3);
    c.labels('mqtt-1').inc();
    c.labels('files').inc(2);
    g.set(7);
    g.dec(2);
    plain.inc(5);
    const fams = parsePrometheus(r.render());
    assert.equal(fams.get('t_received_total')?.type, 'counter');
    assert.equal(fams.get('t_received_total')?.help, 'Records in.');
    assert.equal(fams.get('t_depth')?.type, 'gauge');
    assert.equal(valueOf(fams, 't_received_total', { source: 'mqtt-1' }), 4);
    assert.equal(valueOf(fams, 't_received_total', { source: 'files' }), 2);
    assert.equal(valueOf(fams, 't_depth'), 5);
    assert.equal(valueOf(fams, 't_plain_total'), 5);
  });

  it('escapes label values and HELP text so they round-trip', () => {
    const r = new MetricsRegistry();
    const nasty = 'a\\b"c\nd';
    r.counter('t_weird_total', 'help with \\ and\nnewline', ['source', 'reason']).labels(nasty, 'ok').inc();
    const text = r.render();
    assert.ok(text.includes('source="a\\\\b\\"c\\nd"'), text);
    assert.equal(text.split('\n').filter((l) => l.startsWith('t_weird_total')).length, 1, 'the newline in the value must not break the line');
    const fams = parsePrometheus(text);
    assert.equal(fams.get('t_weird_total')?.help, 'help with \\ and\nnewline');
    assert.equal(valueOf(fams, 't_weird_total', { source: nasty, reason: 'ok' }), 1);
    assert.equal(escapeLabelValue('shardId-000000000001'), 'shardId-000000000001');
  });

  it('renders a histogram with cumulative buckets, +Inf, _sum and _count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram('t_latency_ms', 'Latency.', [5, 10, 25]);
    for (const v of [1, 5, 6, 10, 11, 24, 100, 1000]) h.observe(v);
    h.observeMany(3, 2);
    const fams = parsePrometheus(r.render());
    const f = fams.get('t_latency_ms');
    assert.equal(f?.type, 'histogram');
    const buckets = f?.samples.filter((s) => s.name === 't_latency_ms_bucket') ?? [];
    assert.deepEqual(
      buckets.map((s) => [s.labels['le'], s.value]),
      [
        ['5', 4],
        ['10', 6],
        ['25', 8],
        ['+Inf', 10],
      ],
    );
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]?.value ?? 0) >= (buckets[i - 1]?.value ?? 0), 'cumulative');
    assert.equal(valueOf(fams, 't_latency_ms_count'), 10);
    assert.equal(valueOf(fams, 't_latency_ms_sum'), 1 + 5 + 6 + 10 + 11 + 24 + 100 + 1000 + 6);
    assert.equal(h.quantileBound(0.5), 10);
    assert.equal(h.quantileBound(1), Infinity);
  });

  it('refuses bad names, duplicate registrations, wrong label counts and unordered buckets', () => {
    const r = new MetricsRegistry();
    assert.throws(() => r.counter('bad-name', 'x'), RangeError);
    assert.throws(() => r.counter('ok_total', 'x', ['bad-label']), RangeError);
    assert.throws(() => r.counter('ok_total', 'x', ['__reserved']), RangeError);
    r.counter('dup_total', 'x');
    assert.throws(() => r.gauge('dup_total', 'x'), /already registered/);
    const c = r.counter('two_total', 'x', ['a', 'b']);
    assert.throws(() => c.labels('only-one'), /expected 2 label values/);
    assert.throws(() => c.inc(), /use labels/);
    assert.throws(() => r.histogram('h', 'x', [10, 5]), /increase/);
  });

  it('runs collect hooks before rendering and formats special values', () => {
    const r = new MetricsRegistry();
    const g = r.gauge('t_collected', 'Set by a hook.');
    let calls = 0;
    r.onCollect(() => g.set(++calls * 10));
    assert.equal(valueOf(parsePrometheus(r.render()), 't_collected'), 10);
    assert.equal(valueOf(parsePrometheus(r.render()), 't_collected'), 20);
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(-Infinity), '-Inf');
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue(1.5), '1.5');
  });
});
