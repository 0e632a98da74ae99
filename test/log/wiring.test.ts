/**
 * The operational modules take the agent's pino logger (directly or through BurstLogger): this
 * checks they fit together and that a repeating I/O error makes one log line, not one per record.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { DeadLetterWriter } from '../../agent/dead-letter/dead-letter-writer.ts';
import { DeviceSequencer } from '../../agent/envelope/device-sequencer.ts';
import { Lifecycle } from '../../agent/lifecycle/lifecycle.ts';
import { SystemdNotifier } from '../../agent/lifecycle/systemd-notify.ts';
import { BurstLogger } from '../../agent/log/burst-logger.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { AgentMetrics } from '../../agent/metrics/agent-metrics.ts';
import { MetricsServer } from '../../agent/metrics/metrics-server.ts';
import { SummaryLogger } from '../../agent/metrics/summary.ts';

describe('operational wiring with a pino logger', () => {
  it('dead letters failing on every record log once, summaries log per interval and on stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shardwise-wiring-'));
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
    const burst = new BurstLogger(log, { timer: false, clock: new ManualClock(0) });
    await writeFile(join(dir, 'file'), 'x');
    const deadLetter = new DeadLetterWriter({ path: join(dir, 'file', 'dl.jsonl'), maxBytes: 65536, maxFiles: 1, log: burst });
    const metrics = new AgentMetrics();
    metrics.bind({ deadLetter });
    const lc = new Lifecycle({
      parts: [
        new MetricsServer({ port: 0, metrics: () => metrics.render(), ready: () => true, status: () => metrics.status(), log }),
        deadLetter,
        new DeviceSequencer({ log }),
        new SummaryLogger({ intervalMs: 60_000, status: () => metrics.status(), log }),
      ],
      notifier: new SystemdNotifier({ env: {}, log }),
      log,
    });
    await lc.start();
    for (let i = 0; i < 500; i++) deadLetter.write('mqtt-1', 'malformed-json', `{"bad": ${i}`);
    await deadLetter.flush();
    const report = await lc.stop();
    assert.equal(report.ok, true);
    const ioLines = lines.filter((l) => typeof l['burst'] === 'string' && (l['burst'] as string).startsWith('dead-letter:'));
    assert.ok(ioLines.length >= 1 && ioLines.length <= 3, `one line per kind of failure, got ${ioLines.length}`);
    assert.ok(!JSON.stringify(lines).includes('"bad'), 'no payload in the logs');
    const summaries = lines.filter((l) => l['summary'] === true);
    assert.equal(summaries.length, 1, 'the final summary on stop');
    assert.match(String(summaries[0]?.['msg']), /^received=0 sent=0 rate=0\.0\/s .* rejected=500 /);
    assert.equal(metrics.status().totals.rejected, 500);
    await rm(dir, { recursive: true, force: true });
  });
});
