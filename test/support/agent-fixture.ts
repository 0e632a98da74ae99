import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAgentConfig, type AgentConfig } from '../../agent/config/agent-config.ts';
import { Lifecycle } from '../../agent/lifecycle/lifecycle.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { buildAgent, type AgentParts } from '../../agent/pipeline/agent.ts';
import { after, before } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ReadRecord } from '../../agent/kinesis/stream-reader.ts';
import { startKinesalite } from '../../bench/emulators/kinesalite.ts';
import type { LocalKinesis, StreamSpec } from '../../bench/emulators/local-kinesis.ts';
import { startMqttBroker, type MqttBroker } from '../../bench/emulators/mqtt-broker.ts';
import { localClient, readAll } from './kinesis-fixture.ts';

/** A temporary state directory, removed by `cleanup()`. */
export function tempStateDir(prefix = 'shardwise-agent-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Validates a config object exactly as the YAML loader would (defaults applied), or throws listing every issue. */
export function agentConfig(input: Record<string, unknown>): AgentConfig {
  // JSON is YAML: the same path as a config file, derived defaults included.
  const res = parseAgentConfig(JSON.stringify(input), { env: {} });
  if (!res.ok) throw new Error(`bad test config:\n${res.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
  return res.value;
}

export interface RunningAgent {
  readonly agent: AgentParts;
  stop(): Promise<void>;
}

/** Builds and starts an agent in this process (no signal handlers, no process.exit). */
export async function startAgent(config: AgentConfig, opts: { fatalRetryMs?: number } = {}): Promise<RunningAgent> {
  const log = createLogger({ level: 'warn' });
  const agent = buildAgent(config, log, opts);
  const lifecycle = new Lifecycle({ parts: agent.parts, stopOrder: agent.stopOrder, shutdownTimeoutMs: 20_000, log, exit: () => undefined });
  await lifecycle.start();
  return {
    agent,
    async stop() {
      const report = await lifecycle.stop('test');
      if (!report.ok) throw new Error(`agent stop: ${JSON.stringify(report)}`);
    },
  };
}

/** What the agent's end-to-end tests run against: kinesalite, an MQTT broker, and a client to read the stream back. */
export interface TestBed {
  kinesis: LocalKinesis;
  broker: MqttBroker;
  reader: KinesisClient;
}

/** Call inside `describe`: starts the test bed in `before` and stops it in `after`. */
export function useTestBed(streams: StreamSpec[]): TestBed {
  const bed = {} as TestBed;
  before(async () => {
    bed.kinesis = await startKinesalite({ streams });
    bed.broker = await startMqttBroker();
    bed.reader = localClient(bed.kinesis.endpoint);
  });
  after(async () => {
    bed.reader?.destroy();
    await bed.broker?.stop();
    await bed.kinesis?.stop();
  });
  return bed;
}

/** Reads the stream back until it holds `count` records or `timeoutMs` passes; returns what it read. */
export async function waitForRecords(reader: KinesisClient, stream: string, count: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let records = (await readAll(reader, stream)).records;
  while (records.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    records = (await readAll(reader, stream)).records;
  }
  return records;
}
