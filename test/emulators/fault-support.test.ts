import http from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { randomFaults, scripted, seededRandom } from '../support/fault-deciders.ts';
import { verifySigV4 } from '../support/sigv4-check.ts';

describe('fault deciders', () => {
  it('randomFaults is reproducible from its seed and respects its rates', () => {
    const run = (seed: number): string[] => {
      const d = randomFaults({ seed, requestFailRate: 0.1, entryFailRate: 0.05 });
      return Array.from({ length: 200 }, (_, n) => {
        const r = d({ requestNo: n, op: 'PutRecords', entries: 100 });
        return `${r.kind}:${[...(r.failEntries ?? new Map()).keys()].join(',')}`;
      });
    };
    const a = run(7);
    assert.deepEqual(run(7), a);
    assert.notDeepEqual(run(8), a);
    const faulted = a.filter((s) => !s.startsWith('forward')).length;
    assert.ok(faulted > 5 && faulted < 40, `≈ 10 % of 200 requests faulted (${faulted})`);
    assert.throws(() => randomFaults({ seed: 1, entryFailRate: 1.5 }), RangeError);
    assert.deepEqual(randomFaults({ seed: 1 })({ requestNo: 0, op: 'PutRecords', entries: 500 }), { kind: 'forward' });
  });

  it('scripted answers in order, then falls back', () => {
    const d = scripted([{ kind: 'http-500' }, { kind: 'reset' }]);
    const kinds = [0, 1, 2].map((n) => d({ requestNo: n, op: 'PutRecords', entries: 1 }).kind);
    assert.deepEqual(kinds, ['http-500', 'reset', 'forward']);
  });

  it('seededRandom yields floats in [0, 1)', () => {
    const r = seededRandom(123);
    for (let i = 0; i < 1000; i++) {
      const x = r();
      assert.ok(x >= 0 && x < 1);
    }
  });
});

describe('SigV4 verification', () => {
  it('accepts what the SDK signs, and rejects a tampered body, a wrong secret and a skewed clock', async () => {
    // Capture one real SDK request.
    let captured: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: Buffer } | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        captured = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end('{"StreamNames":[],"HasMoreStreams":false}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const creds = { accessKeyId: 'AKIDSIGV4TEST', secretAccessKey: 'secret-1' };
    const client = makeKinesisClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: creds });
    try {
      await client.send(new ListStreamsCommand({ Limit: 5 }));
    } finally {
      client.destroy();
      server.close();
    }
    assert.ok(captured !== undefined);
    const now = Date.now();
    assert.deepEqual(verifySigV4(captured, captured.body, creds, now), { ok: true });
    const tampered = verifySigV4(captured, Buffer.from('{"Limit":6}'), creds, now);
    assert.equal(tampered.ok ? 'ok' : tampered.type, 'InvalidSignatureException');
    const wrong = verifySigV4(captured, captured.body, { ...creds, secretAccessKey: 'secret-2' }, now);
    assert.equal(wrong.ok ? 'ok' : wrong.type, 'InvalidSignatureException');
    const skewed = verifySigV4(captured, captured.body, creds, now + 10 * 60 * 1000);
    assert.ok(!skewed.ok && skewed.type === 'InvalidSignatureException' && skewed.message.startsWith('Signature expired'));
    const unsigned = verifySigV4({ ...captured, headers: { ...captured.headers, authorization: undefined } }, captured.body, creds, now);
    assert.equal(unsigned.ok ? 'ok' : unsigned.type, 'MissingAuthenticationTokenException');
  });
});
