import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { AgentMetrics } from '../../agent/metrics/agent-metrics.ts';
import { MetricsServer } from '../../agent/metrics/metrics-server.ts';
import type { Readiness } from '../../agent/metrics/metrics-server.ts';
import { parsePrometheus, valueOf } from './prom-parser.ts';

describe('metrics HTTP server', () => {
  const clock = new ManualClock(0);
  const metrics = new AgentMetrics({ clock });
  let ready: Readiness = { ok: false, reason: 'starting: shard map not loaded' };
  let failStatus = false;
  const logged: string[] = [];
  const server = new MetricsServer({
    host: '127.0.0.1',
    port: 0,
    metrics: () => metrics.render(),
    ready: () => ready,
    status: () => {
      if (failStatus) throw new Error('status exploded');
      return metrics.status();
    },
    log: { error: (_f, msg) => logged.push(msg) },
  });

  before(async () => {
    await server.start();
    metrics.received.labels('mqtt-1').inc(5);
    metrics.shards.setOpenShards(['shardId-000000000000', 'shardId-000000000001']);
    for (let s = 0; s < 10; s++) {
      metrics.shards.record('shardId-000000000000', 20, 2000);
      metrics.shards.record('shardId-000000000001', 10, 1000);
      clock.advance(1000);
    }
  });
  after(() => server.stop());

  it('binds a free port when given 0', () => {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  it('/healthz answers 503 with the reason until ready, then 200 ok', async () => {
    let res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'starting: shard map not loaded\n');
    ready = false;
    res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'not ready\n');
    ready = true;
    res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });

  it('/metrics serves the text format with its content type', async () => {
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const f = parsePrometheus(await res.text());
    assert.equal(valueOf(f, 'shardwise_received_total', { source: 'mqtt-1' }), 5);
    assert.equal(valueOf(f, 'shardwise_shard_records_per_sec', { shard: 'shardId-000000000000' }), 20);
  });

  it('/status returns JSON with readiness, per-shard rates and skew', async () => {
    ready = { ok: false, reason: 'uplink down' };
    const res = await fetch(`${server.url}/status`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(body['ready'], { ok: false, reason: 'uplink down' });
    assert.equal(body['skew'], 1.333);
    assert.equal(body['hottest'], 'shardId-000000000000');
    const shards = body['shards'] as { shardId: string; recordsPerSec: number; bytesPerSec: number }[];
    assert.deepEqual(
      shards.map((s) => [s.shardId, s.recordsPerSec, s.bytesPerSec]),
      [
        ['shardId-000000000000', 20, 2000],
        ['shardId-000000000001', 10, 1000],
      ],
    );
    assert.equal((body['totals'] as Record<string, number>)['received'], 5);
  });

  it('answers 404, 405 and, when a callback throws, 500 without crashing', async () => {
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
    failStatus = true;
    const res = await fetch(`${server.url}/status`);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /status exploded/);
    assert.deepEqual(logged, ['metrics endpoint failed']);
    failStatus = false;
    assert.equal((await fetch(`${server.url}/status`)).status, 200, 'still serving');
  });

  it('fails to start on a port already in use (rejects, does not throw asynchronously)', async () => {
    const other = new MetricsServer({ host: '127.0.0.1', port: server.port, metrics: () => '', ready: () => true, status: () => ({}) });
    await assert.rejects(other.start(), /EADDRINUSE/);
  });
});
