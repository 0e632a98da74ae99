/**
 * The run-time changeable parts a reload uses: SourceSet (stop before start, graceful stops, a
 * replacement that fails to start gives way to the previous configuration) and SwappablePart (a
 * metrics endpoint whose new port is taken keeps the old one).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { createLogger } from '../../agent/log/logger.ts';
import { MetricsServer } from '../../agent/metrics/metrics-server.ts';
import { SourceSet } from '../../agent/pipeline/source-set.ts';
import { SwappablePart } from '../../agent/pipeline/swappable-part.ts';
import type { Downstream, Source, SourceHealth } from '../../agent/sources/source.ts';

const log = createLogger({ level: 'silent' });
const downstream: Downstream = { accept: async () => undefined, reject: () => undefined };

/** Records start/stop calls in one shared journal; `failStart` makes start() reject. */
class FakeSource implements Source {
  readonly kind = 'fake';
  running = false;
  constructor(
    readonly name: string,
    private readonly journal: string[],
    private readonly tag = '',
    private readonly failStart = false,
  ) {}
  async start(): Promise<void> {
    this.journal.push(`start ${this.name}${this.tag}`);
    if (this.failStart) throw new Error(`${this.name} cannot start`);
    this.running = true;
  }
  async stop(): Promise<void> {
    await new Promise((r) => setTimeout(r, 5)); // a graceful stop takes a moment
    this.journal.push(`stop ${this.name}${this.tag}`);
    this.running = false;
  }
  health(): SourceHealth {
    return { up: this.running, state: this.running ? 'running' : 'stopped' };
  }
}

describe('SourceSet', () => {
  it('stops removed and replaced sources before starting new ones; keeps the others running', async () => {
    const j: string[] = [];
    const a = new FakeSource('a', j);
    const b = new FakeSource('b', j);
    const set = new SourceSet([a, b], downstream, log);
    await set.start();
    j.length = 0;
    const res = await set.change({ stop: ['b', 'a'], start: [new FakeSource('b', j, "'"), new FakeSource('c', j)], order: ['c', 'b'] });
    assert.deepEqual(j, ['stop b', 'stop a', "start b'", 'start c']);
    assert.deepEqual(res, { stopped: ['b', 'a'], started: ['b', 'c'], failed: [] });
    assert.deepEqual(set.list.map((s) => s.name), ['c', 'b']);
    await set.stop();
    await assert.rejects(set.change({ stop: [], start: [], order: [] }), /stopping/);
  });

  it('a replacement that does not start gives way to the previous configuration; a new one that does not start is dropped', async () => {
    const j: string[] = [];
    const set = new SourceSet([new FakeSource('a', j)], downstream, log);
    await set.start();
    j.length = 0;
    const res = await set.change({
      stop: ['a'],
      start: [new FakeSource('a', j, ' (new)', true), new FakeSource('n', j, '', true)],
      order: ['a', 'n'],
      restore: (name) => new FakeSource(name, j, ' (old)'),
    });
    assert.deepEqual(j, ['stop a', 'start a (new)', 'stop a (new)', 'start a (old)', 'start n', 'stop n']);
    assert.deepEqual(res.failed.map((f) => [f.name, f.restored]), [['a', true], ['n', false]]);
    assert.deepEqual(set.list.map((s) => s.name), ['a']);
    assert.ok(set.list[0]?.health().up);
    await set.stop();
  });

  it('a change that arrives before start only edits the list; start() starts the result', async () => {
    const j: string[] = [];
    const set = new SourceSet([new FakeSource('a', j)], downstream, log);
    await set.change({ stop: ['a'], start: [new FakeSource('b', j)], order: ['b'] });
    assert.deepEqual(j, []);
    await set.start();
    assert.deepEqual(j, ['start b']);
    await set.stop();
  });
});

describe('SwappablePart (metrics endpoint)', () => {
  it('a new port that is taken keeps the old endpoint serving', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    const server = (port: number) => new MetricsServer({ host: '127.0.0.1', port, metrics: () => 'x 1\n', ready: () => true, status: () => ({}), log });
    const part = new SwappablePart('metrics', server(0));
    try {
      await part.start();
      const old = part.value?.port ?? 0;
      assert.ok(old > 0);
      await assert.rejects(part.swap(server(taken), () => server(old)), /EADDRINUSE/);
      assert.equal(part.value?.port, old);
      assert.equal((await fetch(`http://127.0.0.1:${old}/metrics`)).status, 200);
    } finally {
      await part.stop();
      blocker.close();
    }
  });
});
