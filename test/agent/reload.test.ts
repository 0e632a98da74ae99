import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { Reloader, planReload } from '../../agent/reload.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { freePort } from '../../bench/emulators/free-port.ts';
import { agentConfig, startAgent, tempStateDir, useTestBed, waitForRecords } from '../support/agent-fixture.ts';
import { startAgentProcess } from '../support/agent-process.ts';
import { LOCAL_CREDENTIALS } from '../support/kinesis-fixture.ts';
import type { ReadRecord } from '../../agent/kinesis/stream-reader.ts';

const base = {
  gatewayId: 'gw',
  stateDir: '/tmp/x',
  sources: [{ type: 'host', name: 'h' }],
  sink: { type: 'kinesis', stream: 's', region: 'us-east-1' },
};
const mqttSrc = (name: string) => ({ type: 'mqtt', name, url: 'mqtt://127.0.0.1:1883', topics: [{ filter: `${name}/+/t`, qos: 1 }], deviceId: { fromTopic: `${name}/{device}/t` } });

describe('SIGHUP reload plan', () => {
  it('applies a new log level live and asks for nothing else', () => {
    const plan = planReload(agentConfig(base), agentConfig({ ...base, log: { level: 'debug' } }));
    assert.equal(plan.logLevel, 'debug');
    assert.deepEqual(plan.needsRestart, []);
  });
  it('names the sections that only a restart applies', () => {
    const plan = planReload(agentConfig(base), agentConfig({ ...base, sink: { ...base.sink, stream: 'other' }, spool: { mode: 'always' }, log: { pretty: true } }));
    assert.equal(plan.logLevel, undefined);
    assert.deepEqual([...plan.needsRestart].sort(), ['log.pretty', 'sink', 'spool']);
  });
  it('sorts sources into added, removed and changed by name', () => {
    const running = agentConfig({ ...base, sources: [{ type: 'host', name: 'h' }, mqttSrc('m1'), mqttSrc('m2')] });
    const next = agentConfig({ ...base, sources: [{ type: 'host', name: 'h' }, { ...mqttSrc('m2'), topics: [{ filter: 'x/+/t', qos: 1 }] }, mqttSrc('m3')] });
    const plan = planReload(running, next);
    assert.deepEqual(plan.sources.add.map((s) => s.name), ['m3']);
    assert.deepEqual(plan.sources.remove, ['m1']);
    assert.deepEqual(plan.sources.restart.map((s) => s.name), ['m2']);
    assert.deepEqual(plan.needsRestart, []);
  });
  it('metrics: the endpoint and the summary interval are live changes', () => {
    const plan = planReload(agentConfig(base), agentConfig({ ...base, metrics: { port: 9999, summaryInterval: '5s' } }));
    assert.equal(plan.metrics?.port, 9999);
    assert.equal(plan.summaryInterval, 5000);
    assert.deepEqual(plan.needsRestart, []);
  });
  it('with gatewayId or stateDir changed, source changes wait for the restart', () => {
    const plan = planReload(agentConfig(base), agentConfig({ ...base, stateDir: '/tmp/y', sources: [mqttSrc('m1')] }));
    assert.deepEqual(plan.sources, { add: [], remove: [], restart: [] });
    // spool.dir, deadLetter.path and keying state derive from stateDir too.
    for (const section of ['sources', 'stateDir', 'spool']) assert.ok(plan.needsRestart.includes(section), plan.needsRestart.join());
  });
  it('an unchanged file changes nothing', () => {
    const plan = planReload(agentConfig(base), agentConfig(base));
    assert.deepEqual(plan, { logLevel: undefined, sources: { add: [], remove: [], restart: [] }, metrics: undefined, summaryInterval: undefined, needsRestart: [] });
  });
});

interface Line {
  src: string;
  i: number;
}
const lineOf = (r: ReadRecord): Line => JSON.parse(Buffer.from(r.data).toString()) as Line;
const bySource = (records: readonly ReadRecord[], src: string): ReadRecord[] => records.filter((r) => lineOf(r).src === src);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metricsAnswer(port: number): Promise<number | string> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).status;
  } catch (err) {
    return ((err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
  }
}

describe('SIGHUP reload on a running agent (real kinesalite and MQTT broker)', () => {
  const bed = useTestBed([{ name: 'reload', shards: 2 }]);

  it('adds, changes and removes sources live; an invalid file keeps everything running; metrics rebind; sink changes wait for a restart', async () => {
    const state = tempStateDir();
    const running: { stop(): Promise<void> }[] = [];
    try {
      const logFile = path.join(state.dir, 'a.log');
      writeFileSync(logFile, '');
      const file = path.join(state.dir, 'agent.yaml');
      const [port1, port2] = [await freePort(), await freePort()];
      const logs = (device: string) => ({ type: 'file', name: 'logs', paths: [logFile], format: 'jsonl', deviceId: { fixed: device }, pollInterval: '20ms', checkpointInterval: '100ms' });
      const mq = { type: 'mqtt', name: 'mq', url: bed.broker.url, clientId: 'reload-mq', topics: [{ filter: 'rl/+/t', qos: 1 }], deviceId: { fromTopic: 'rl/{device}/t' } };
      const sink = { type: 'kinesis', stream: 'reload', region: 'us-east-1', endpoint: bed.kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' };
      const doc = (over: Record<string, unknown>) => ({ gatewayId: 'gw', stateDir: state.dir, sink, metrics: { port: port1, summaryInterval: 0 }, lifecycle: { shutdownTimeout: '5s' }, ...over });
      const write = (over: Record<string, unknown>) => writeFileSync(file, JSON.stringify(doc(over), null, 1));

      write({ sources: [logs('a')] });
      const config = agentConfig(doc({ sources: [logs('a')] }));
      const agent = await startAgent(config);
      running.push(agent);
      const reloader = new Reloader({ file, config, live: agent.agent.live, log: createLogger({ level: 'silent' }) });
      let next = 0;
      const append = (n: number) => {
        let text = '';
        for (let k = 0; k < n; k++) text += `${JSON.stringify({ src: 'a', i: next++ })}\n`;
        appendFileSync(logFile, text);
      };
      const pub = await mqtt.connectAsync(bed.broker.url, { clientId: 'reload-pub' });
      let published = 0;
      const publish = async (n: number) => {
        for (let k = 0; k < n; k++) await pub.publishAsync(`rl/m${published % 4}/t`, JSON.stringify({ src: 'mq', i: published++ }), { qos: 1 });
      };

      append(50);
      assert.equal((await waitForRecords(bed.reader, 'reload', 50, 30_000)).length, 50);

      // 1. Add an MQTT source: its records arrive.
      write({ sources: [logs('a'), mq] });
      let out = await reloader.reload();
      assert.deepEqual(out, { ok: true, errors: [], applied: ['sources.mq (added)'], failed: [], needsRestart: [] });
      assert.deepEqual(agent.agent.sources.map((s) => s.name), ['logs', 'mq']);
      await publish(40);
      let records = await waitForRecords(bed.reader, 'reload', 90, 30_000);
      assert.equal(bySource(records, 'mq').length, 40, 'the added source delivers');

      // 2. An invalid file: every error reported, nothing changes, both sources keep delivering.
      writeFileSync(file, JSON.stringify(doc({ sources: [{ ...logs('a'), format: 'xml' }, { ...mq, topics: [{ filter: 'rl/#', qos: 3 }] }], metrics: { port: 70_000 } })));
      out = await reloader.reload();
      assert.equal(out.ok, false);
      assert.equal(out.errors.length, 3, out.errors.join('\n'));
      for (const p of ['sources[0].format', 'sources[1].topics[0].qos', 'metrics.port']) assert.ok(out.errors.some((e) => e.startsWith(`${p}:`)), `${p} in ${out.errors.join(' | ')}`);
      assert.deepEqual(agent.agent.sources.map((s) => s.name), ['logs', 'mq']);
      append(10);
      await publish(10);
      records = await waitForRecords(bed.reader, 'reload', 110, 30_000);
      assert.equal(records.length, 110, 'both sources run on after the invalid file');

      // 3. Change the file source (device id a → a2) while lines keep coming: it restarts from its
      //    checkpoint; every line arrives exactly once, the later ones under the new key.
      write({ sources: [logs('a2'), mq] });
      const writer = (async () => {
        for (let k = 0; k < 30; k++) {
          append(10);
          await sleep(15);
        }
      })();
      await sleep(150);
      out = await reloader.reload();
      await writer;
      assert.deepEqual(out.applied, ['sources.logs (restarted)']);
      const total = next + published;
      records = await waitForRecords(bed.reader, 'reload', total, 30_000);
      const lines = bySource(records, 'a').map(lineOf);
      assert.equal(lines.length, next, 'no line lost or duplicated by the restart');
      assert.deepEqual(new Set(lines.map((l) => l.i)).size, next);
      const keys = new Set(bySource(records, 'a').map((r) => r.partitionKey));
      assert.deepEqual([...keys].sort(), ['a', 'a2'], 'lines before the change under the old device id, after it under the new one');

      // 4. Metrics move to another port; a sink change is only reported.
      write({ sources: [logs('a2'), mq], metrics: { port: port2, summaryInterval: 0 }, sink: { ...sink, lingerMs: '20ms' } });
      out = await reloader.reload();
      assert.deepEqual(out.applied, ['metrics endpoint']);
      assert.deepEqual(out.needsRestart, ['sink']);
      assert.equal(agent.agent.metricsPort(), port2);
      assert.equal(await metricsAnswer(port2), 200);
      assert.equal(await metricsAnswer(port1), 'ECONNREFUSED');
      assert.equal(reloader.running.sink.lingerMs, 10, 'the running sink settings stay');

      // 5. Remove the file source: it stops; lines appended afterwards are not read.
      write({ sources: [mq], metrics: { port: port2, summaryInterval: 0 } });
      out = await reloader.reload();
      assert.deepEqual(out.applied, ['sources.logs (removed)']);
      assert.deepEqual(agent.agent.sources.map((s) => s.name), ['mq']);
      const before = next;
      append(20);
      await publish(10); // acknowledged by the agent (QoS 1) after the append
      await sleep(300); // ten file polls
      await publish(1);
      records = await waitForRecords(bed.reader, 'reload', before + published, 30_000);
      assert.equal(bySource(records, 'mq').length, published, 'the MQTT source runs on');
      assert.equal(bySource(records, 'a').length, before, 'nothing read from the removed source');
      assert.deepEqual(agent.agent.metrics.status().sources.map((s) => s.name), ['mq']);
      const text = await (await fetch(`http://127.0.0.1:${port2}/metrics`)).text();
      assert.deepEqual(text.split('\n').filter((l) => l.startsWith('shardwise_source_up{')), ['shardwise_source_up{source="mq"} 1'], 'the removed source is gone from source_up');
      await pub.endAsync();
    } finally {
      for (const r of running) await r.stop();
      state.cleanup();
    }
  });

  it('a real SIGHUP to the installed agent process: a source added by editing the file runs; an invalid file is logged and changes nothing', async () => {
    const state = tempStateDir();
    try {
      const file = (n: string) => path.join(state.dir, `${n}.log`);
      writeFileSync(file('one'), '');
      writeFileSync(file('two'), '');
      const src = (n: string) => ({ type: 'file', name: n, paths: [file(n)], format: 'jsonl', deviceId: { fixed: n }, pollInterval: '20ms' });
      const sink = { type: 'kinesis', stream: 'reload', region: 'us-east-1', endpoint: bed.kinesis.endpoint, credentials: LOCAL_CREDENTIALS, lingerMs: '10ms' };
      const agent = await startAgentProcess({ dir: state.dir, config: { gatewayId: 'gw', stateDir: state.dir, sources: [src('one')], sink } });
      try {
        await agent.waitHealthy();
        const names = async () => ((await agent.status())?.sources ?? []).map((s) => s.name);
        assert.deepEqual(await names(), ['one']);
        const edit = (sources: unknown[]) => {
          const doc = JSON.parse(readFileSync(agent.configFile, 'utf8')) as Record<string, unknown>;
          writeFileSync(agent.configFile, JSON.stringify({ ...doc, sources }));
        };
        const waitNames = async (want: string[]) => {
          const deadline = Date.now() + 20_000;
          while (JSON.stringify(await names()) !== JSON.stringify(want) && Date.now() < deadline) await sleep(50);
          assert.deepEqual(await names(), want, agent.outputTail());
        };

        edit([src('one'), src('two')]);
        process.kill(agent.pid, 'SIGHUP');
        await waitNames(['one', 'two']);
        const before = (await waitForRecords(bed.reader, 'reload', 0, 1)).length;
        appendFileSync(file('two'), `${JSON.stringify({ src: 'two', i: 0 })}\n`);
        const records = await waitForRecords(bed.reader, 'reload', before + 1, 30_000);
        assert.equal(bySource(records, 'two').length, 1, 'the source added by SIGHUP delivers');

        edit([src('one'), { ...src('two'), format: 'yaml' }, { type: 'nope', name: 'x' }]);
        process.kill(agent.pid, 'SIGHUP');
        const deadline = Date.now() + 20_000;
        while (!agent.outputTail().includes('the new configuration is invalid') && Date.now() < deadline) await sleep(50);
        const tail = agent.outputTail();
        assert.match(tail, /the new configuration is invalid/);
        assert.match(tail, /sources\[1\]\.format/);
        assert.match(tail, /sources\[2\]\.type/);
        assert.deepEqual(await names(), ['one', 'two'], 'the running sources stay');
        assert.equal(await agent.stop(), 0, 'the agent still stops cleanly');
      } finally {
        await agent.kill9().catch(() => undefined);
      }
    } finally {
      state.cleanup();
    }
  });
});
