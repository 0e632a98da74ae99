import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { findMosquitto, startMqttBroker, type MqttBroker } from '../../bench/emulators/mqtt-broker.ts';

const T = { timeout: 30_000 };
const expectedKind = findMosquitto() === undefined || process.env['SHARDWISE_MQTT_BROKER'] === 'aedes' ? 'aedes' : 'mosquitto';

/** Subscribes, publishes one QoS 1 message to itself and returns what came back. */
async function roundTrip(url: string, protocolVersion: 4 | 5 = 4): Promise<string> {
  const c = await connectAsync(url, { protocolVersion, reconnectPeriod: 0 });
  try {
    const got = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())));
    await c.subscribeAsync('rt/x', { qos: 1 });
    await c.publishAsync('rt/x', 'ping', { qos: 1 });
    return await got;
  } finally {
    await c.endAsync();
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MQTT broker harness', () => {
  it('starts a broker that routes messages, and stop() frees the port and ends the process', T, async () => {
    const b = await startMqttBroker();
    try {
      assert.equal(b.url, `mqtt://127.0.0.1:${b.port}`);
      assert.equal(b.kind, expectedKind);
      assert.equal(await roundTrip(b.url), 'ping');
    } finally {
      await b.stop();
    }
    assert.equal(await refuses(b.port), true, 'port closed after stop');
    if (b.kind === 'mosquitto') assert.equal(alive(b.pid), false, 'mosquitto process gone');
    await b.stop(); // idempotent
  });

  it('speaks MQTT 5 and websockets when mosquitto is there', T, async (t) => {
    const b = await startMqttBroker({ websockets: true });
    try {
      if (b.kind !== 'mosquitto') return t.skip('aedes fallback: MQTT 3.1.1 over TCP only');
      assert.equal(await roundTrip(b.url, 5), 'ping');
      assert.ok(b.wsUrl?.startsWith('ws://127.0.0.1:'), `wsUrl ${b.wsUrl}`);
      assert.equal(await roundTrip(b.wsUrl ?? '', 5), 'ping');
    } finally {
      await b.stop();
    }
  });

  it('restarts on the port it had', T, async () => {
    const a = await startMqttBroker();
    await a.stop();
    const b: MqttBroker = await startMqttBroker({ port: a.port });
    try {
      assert.equal(b.port, a.port);
      assert.equal(await roundTrip(b.url), 'ping');
    } finally {
      await b.stop();
    }
  });

  it('falls back to the embedded aedes broker', T, async () => {
    const b = await startMqttBroker({ prefer: 'aedes' });
    try {
      assert.equal(b.kind, 'aedes');
      assert.equal(await roundTrip(b.url), 'ping');
    } finally {
      await b.stop();
    }
    assert.equal(await refuses(b.port), true);
  });

  it('mosquitto dies with the process that started it (kill -9 of the parent)', T, async (t) => {
    if (expectedKind !== 'mosquitto') return t.skip('no mosquitto (or SHARDWISE_MQTT_BROKER=aedes)');
    const harness = fileURLToPath(new URL('../../bench/emulators/mqtt-broker.ts', import.meta.url));
    const script = `import { startMqttBroker } from ${JSON.stringify(harness)};
      const b = await startMqttBroker(); console.log('pid ' + b.pid); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /pid (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    assert.equal(alive(pid), true);
    child.kill('SIGKILL');
    await until(() => !alive(pid), 'mosquitto to exit after its parent was killed');
  });
});
