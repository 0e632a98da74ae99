import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../agent/core/clock.ts';
import { DeviceSequencer, EPOCH_FACTOR } from '../../agent/envelope/device-sequencer.ts';
import { EnvelopeStage } from '../../agent/envelope/envelope.ts';
import type { SourceRecord } from '../../agent/sources/source.ts';

async function stage(mode: 'raw' | 'enriched', clock = new ManualClock(0)): Promise<EnvelopeStage> {
  const sequencer = new DeviceSequencer({ epoch: 3 });
  await sequencer.start();
  return new EnvelopeStage({ gatewayId: 'gw-7', mode, sequencer, clock });
}

function json(u: Uint8Array): Record<string, unknown> {
  return JSON.parse(Buffer.from(u).toString('utf8')) as Record<string, unknown>;
}

describe('envelope stage', () => {
  it('raw mode passes the very same payload buffer on (no copy) and stamps the envelope', async () => {
    const clock = new ManualClock(0);
    const st = await stage('raw', clock);
    const chunk = Buffer.from('xx{"t":1}yy');
    const payload = chunk.subarray(2, 9);
    const fields = { t: 1 };
    const e = st.wrap('mqtt-1', { deviceId: 'd1', payload, fields, eventTime: 1_600_000_000_000 });
    assert.equal(e.payload, payload, 'same object');
    assert.equal(e.payload.buffer, chunk.buffer, 'same memory');
    assert.equal(e.payload.byteOffset, chunk.byteOffset + 2);
    assert.equal(e.fields, fields);
    assert.equal(e.eventTime, 1_600_000_000_000);
    assert.equal(e.ingestTime, clock.wallNow());
    assert.equal(e.seq, 3 * EPOCH_FACTOR + 1);
    assert.equal(e.source, 'mqtt-1');
    assert.equal(e.deviceId, 'd1');
    const noTime = st.wrap('mqtt-1', { deviceId: 'd1', payload });
    assert.equal(noTime.eventTime, noTime.ingestTime, 'ingest time stands in for a missing event time');
  });

  it('numbers records per device, strictly increasing, independent across devices', async () => {
    const st = await stage('raw');
    const seqs = new Map<string, number[]>();
    const devices = ['a', 'b', 'c'];
    for (let i = 0; i < 300; i++) {
      const id = devices[i % 3 === 0 ? 0 : (i * 7) % 3] as string;
      const e = st.wrap('s', { deviceId: id, payload: new Uint8Array(1) });
      seqs.set(id, [...(seqs.get(id) ?? []), e.seq]);
    }
    for (const [id, list] of seqs) {
      assert.deepEqual(list, list.map((_, k) => 3 * EPOCH_FACTOR + k + 1), `device ${id} counts 1, 2, 3, …`);
    }
    const batch = st.wrapAll('s', [
      { deviceId: 'z', payload: new Uint8Array(1) },
      { deviceId: 'z', payload: new Uint8Array(1) },
    ]);
    assert.deepEqual(batch.map((e) => e.seq - 3 * EPOCH_FACTOR), [1, 2]);
    assert.equal(batch[0]?.ingestTime, batch[1]?.ingestTime, 'one clock reading per batch');
  });

  it('enriched mode splices a JSON payload in as is', async () => {
    const st = await stage('enriched');
    const payload = Buffer.from('{"temp": 21.5, "unit":"°C", "nested":[1,{"x":null}]}');
    const e = st.wrap('mqtt-1', { deviceId: 'dev-"1"\n', payload, eventTime: 1000, fields: { ignored: true } });
    const o = json(e.payload);
    assert.deepEqual(Object.keys(o), ['gatewayId', 'source', 'deviceId', 'seq', 'eventTime', 'ingestTime', 'data']);
    assert.deepEqual(o, {
      gatewayId: 'gw-7',
      source: 'mqtt-1',
      deviceId: 'dev-"1"\n',
      seq: 3 * EPOCH_FACTOR + 1,
      eventTime: 1000,
      ingestTime: e.ingestTime,
      data: { temp: 21.5, unit: '°C', nested: [1, { x: null }] },
    });
    assert.ok(Buffer.from(e.payload).includes(payload), 'the payload bytes appear verbatim');
    const scalar = json(st.wrap('mqtt-1', { deviceId: 'd', payload: Buffer.from('23.5') }).payload);
    assert.equal(scalar['data'], 23.5);
  });

  it('enriched mode uses parsed fields when the payload is not JSON (a CSV line), else base64', async () => {
    const st = await stage('enriched');
    const csv = json(st.wrap('csv', { deviceId: 'd', payload: Buffer.from('d,21.5'), fields: { id: 'd', temp: '21.5' } }).payload);
    assert.deepEqual(csv['data'], { id: 'd', temp: '21.5' });
    assert.equal(csv['encoding'], undefined);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const bin = json(st.wrap('cam', { deviceId: 'cam-1', payload: bytes }).payload);
    assert.equal(bin['encoding'], 'base64');
    assert.deepEqual([...Buffer.from(bin['data'] as string, 'base64')], [...bytes]);
    const text = json(st.wrap('logs', { deviceId: 'host', payload: Buffer.from('ERROR disk full') }).payload);
    assert.equal(Buffer.from(text['data'] as string, 'base64').toString(), 'ERROR disk full');
  });

  it('enriched mode escapes gateway, source and device names and handles non-ASCII ids', async () => {
    const sequencer = new DeviceSequencer();
    await sequencer.start();
    const st = new EnvelopeStage({ gatewayId: 'gw\\1', mode: 'enriched', sequencer });
    const o = json(st.wrap('src "q"', { deviceId: 'капля-ü', payload: Buffer.from('{}') }).payload);
    assert.equal(o['gatewayId'], 'gw\\1');
    assert.equal(o['source'], 'src "q"');
    assert.equal(o['deviceId'], 'капля-ü');
    assert.deepEqual(o['data'], {});
    assert.equal(o['seq'], EPOCH_FACTOR + 1);
  });

  it('a device seen through two sources, or by a second stage (reload), gets the right head each time', async () => {
    const sequencer = new DeviceSequencer();
    await sequencer.start();
    const one = new EnvelopeStage({ gatewayId: 'gw-old', mode: 'enriched', sequencer });
    const two = new EnvelopeStage({ gatewayId: 'gw-new', mode: 'enriched', sequencer });
    const rec = { deviceId: 'd', payload: Buffer.from('1') };
    const seen = [one.wrap('a', rec), one.wrap('b', rec), one.wrap('a', rec), two.wrap('a', rec)].map((e) => json(e.payload));
    assert.deepEqual(
      seen.map((o) => [o['gatewayId'], o['source'], (o['seq'] as number) - EPOCH_FACTOR]),
      [
        ['gw-old', 'a', 1],
        ['gw-old', 'b', 2],
        ['gw-old', 'a', 3],
        ['gw-new', 'a', 4],
      ],
    );
  });

  it('skips the JSON check for sources declared as JSON when fields are present, and only then', async () => {
    const sequencer = new DeviceSequencer();
    await sequencer.start();
    const st = new EnvelopeStage({ gatewayId: 'g', mode: 'enriched', sequencer, jsonSources: ['mqtt-json'] });
    // A trusted source's payload is spliced unchecked (proved here with bytes the checker would refuse).
    const spliced = Buffer.from(st.wrap('mqtt-json', { deviceId: 'd', payload: Buffer.from('{"a":1,}'), fields: { a: 1 } }).payload).toString();
    assert.ok(spliced.endsWith(',"data":{"a":1,}}'), spliced);
    // Without fields, or from another source, the check still runs.
    const checked = json(st.wrap('mqtt-json', { deviceId: 'd', payload: Buffer.from('{"a":1,}') }).payload);
    assert.equal(checked['encoding'], 'base64');
    const other = json(st.wrap('csv', { deviceId: 'd', payload: Buffer.from('{"a":1,}'), fields: { a: '1' } }).payload);
    assert.deepEqual(other['data'], { a: '1' });
  });

  it('skips the JSON check for a record its source already checked (json: true), and only then', async () => {
    const st = await stage('enriched');
    // Spliced unchecked (proved with bytes the checker would refuse): the source vouched for them.
    const spliced = Buffer.from(st.wrap('file', { deviceId: 'd', payload: Buffer.from('{"a":1,}'), json: true }).payload).toString();
    assert.ok(spliced.endsWith(',"data":{"a":1,}}'), spliced);
    const checked = json(st.wrap('file', { deviceId: 'd', payload: Buffer.from('{"a":1,}'), json: false }).payload);
    assert.equal(checked['encoding'], 'base64');
  });

  it('writes integers of every size exactly (fast digit path)', async () => {
    const st = await stage('enriched');
    for (const t of [0, 7, 99_999_999, 100_000_000, 1_700_000_000_123, Number.MAX_SAFE_INTEGER, 1.5, -2]) {
      const o = json(st.wrap('s', { deviceId: 'n', payload: Buffer.from('{}'), eventTime: t }).payload);
      assert.equal(o['eventTime'], t);
    }
  });

  it('refuses to number records before the sequencer has started', () => {
    const st = new EnvelopeStage({ gatewayId: 'g', mode: 'raw', sequencer: new DeviceSequencer() });
    assert.throws(() => st.wrap('s', { deviceId: 'd', payload: new Uint8Array(1) } satisfies SourceRecord), { code: 'E_SEQ_STATE' });
  });
});
