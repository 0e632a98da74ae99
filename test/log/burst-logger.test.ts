import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { BurstLogger } from '../../agent/log/burst-logger.ts';

interface Line {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function sink(): { lines: Line[]; info(f: object, m: string): void; warn(f: object, m: string): void; error(f: object, m: string): void } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: object, msg: string) => void lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('burst logger', () => {
  it('logs the first occurrence, suppresses the rest of the window, then reports the count', () => {
    const clock = new ManualClock(0);
    const out = sink();
    const b = new BurstLogger(out, { windowMs: 10_000, clock, timer: false });
    for (let i = 0; i < 1000; i++) b.warn('dead-letter:EROFS', 'dead-letter write failed', { code: 'EROFS' });
    assert.equal(out.lines.length, 1);
    assert.deepEqual(out.lines[0], { level: 'warn', fields: { code: 'EROFS', burst: 'dead-letter:EROFS' }, msg: 'dead-letter write failed' });
    clock.advance(9_999);
    b.warn('dead-letter:EROFS', 'dead-letter write failed', { code: 'EROFS' });
    assert.equal(out.lines.length, 1, 'still inside the window');
    clock.advance(1);
    b.warn('dead-letter:EROFS', 'dead-letter write failed', { code: 'EROFS' });
    assert.equal(out.lines.length, 2);
    assert.equal(out.lines[1]?.fields['suppressed'], 1000);
    assert.equal(out.lines[1]?.msg, 'dead-letter write failed (1000 more since the last report)');
    assert.equal(b.count('dead-letter:EROFS'), 1002);
  });

  it('keeps keys independent', () => {
    const clock = new ManualClock(0);
    const out = sink();
    const b = new BurstLogger(out, { windowMs: 1000, clock, timer: false });
    b.error('a', 'A failed');
    b.error('b', 'B failed');
    b.error('a', 'A failed');
    assert.deepEqual(
      out.lines.map((l) => l.fields['burst']),
      ['a', 'b'],
    );
  });

  it('sweep() reports a burst that ended inside its window; flush() reports everything pending', () => {
    const clock = new ManualClock(0);
    const out = sink();
    const b = new BurstLogger(out, { windowMs: 5000, clock, timer: false });
    b.warn('k', 'write failed');
    b.warn('k', 'write failed');
    b.warn('k', 'write failed');
    b.sweep();
    assert.equal(out.lines.length, 1, 'window not over yet');
    clock.advance(5000);
    b.sweep();
    assert.equal(out.lines.length, 2);
    assert.equal(out.lines[1]?.fields['suppressed'], 2);
    b.sweep();
    assert.equal(out.lines.length, 2, 'nothing new to report');
    b.info('other', 'x');
    b.info('other', 'x');
    b.flush();
    assert.equal(out.lines.at(-1)?.fields['suppressed'], 1);
  });

  it('reports pending counts on its own timer', async () => {
    const out = sink();
    const b = new BurstLogger(out, { windowMs: 20 });
    b.warn('t', 'timer');
    b.warn('t', 'timer');
    for (let i = 0; i < 100 && out.lines.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    b.close();
    assert.equal(out.lines.length, 2);
    assert.equal(out.lines[1]?.fields['suppressed'], 1);
  });

  it('bounds the keys it remembers and reports a count before forgetting it', () => {
    const clock = new ManualClock(0);
    const out = sink();
    const b = new BurstLogger(out, { windowMs: 1000, clock, timer: false, maxKeys: 2 });
    b.warn('k1', 'm');
    b.warn('k1', 'm');
    b.warn('k2', 'm');
    b.warn('k2', 'm');
    b.warn('k3', 'm');
    assert.deepEqual(
      out.lines.map((l) => [l.fields['burst'], l.fields['suppressed']]),
      [
        ['k1', undefined],
        ['k2', undefined],
        ['k1', 1],
        ['k3', undefined],
      ],
    );
  });
});
