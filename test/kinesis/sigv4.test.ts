import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { JsonPostSigner, type SigningCredentials } from '../../agent/kinesis/sigv4.ts';

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data): string | Uint8Array => (typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));

class Sha256 {
  private readonly h;
  constructor(secret?: Data) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: Data): void {
    this.h.update(bytes(d));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.h.digest());
  }
}

/** The SDK's own signer on the same request: the reference. */
async function reference(creds: SigningCredentials, host: string, body: Buffer, at: Date, region = 'eu-west-1'): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: creds, region, service: 'kinesis', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
  const [hostname, port] = host.split(':');
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: hostname as string,
      port: port === undefined ? undefined : Number(port),
      path: '/',
      query: {},
      headers: { host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords', 'content-length': String(body.length) },
      body,
    },
    { signingDate: at },
  );
  return signed.headers;
}

test('signatures match the SDK signer: with and without a session token, across seconds, days and keys', async () => {
  const ours = new JsonPostSigner('eu-west-1', 'kinesis');
  const cases: [SigningCredentials, string, string, number][] = [
    [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, 'kinesis.eu-west-1.amazonaws.com', '{"StreamName":"s","Records":[]}', Date.UTC(2026, 10, 22, 10, 0, 0, 123)],
    [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, 'kinesis.eu-west-1.amazonaws.com', '{"a":"é"}', Date.UTC(2026, 10, 22, 10, 0, 1)],
    [{ accessKeyId: 'ASIATEMP', secretAccessKey: 'secret2', sessionToken: 'FwoGZXIvYXdzE//token+/=' }, '127.0.0.1:4567', 'x'.repeat(70_000), Date.UTC(2026, 10, 22, 23, 59, 59, 999)],
    [{ accessKeyId: 'ASIATEMP', secretAccessKey: 'secret2', sessionToken: 'FwoGZXIvYXdzE//token+/=' }, '127.0.0.1:4567', '{}', Date.UTC(2026, 10, 23, 0, 0, 0)],
    [{ accessKeyId: 'AKIDOTHER', secretAccessKey: 'rotated' }, '127.0.0.1:4567', '{}', Date.UTC(2026, 10, 23, 0, 0, 0)],
  ];
  for (const [creds, host, text, at] of cases) {
    const body = Buffer.from(text);
    const got = ours.sign({ host, path: '/', target: 'Kinesis_20131202.PutRecords', body }, creds, at);
    const want = await reference(creds, host, body, new Date(at));
    assert.equal(got['authorization'], want['authorization'], `${host} ${new Date(at).toISOString()}`);
    assert.equal(got['x-amz-date'], want['x-amz-date']);
    assert.equal(got['x-amz-security-token'], want['x-amz-security-token']);
    assert.equal(got['content-length'], String(body.length));
  }
});
