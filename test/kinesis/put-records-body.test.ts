import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { putRecordsBody } from '../../agent/kinesis/direct-put-records.ts';

/** What the SDK's JSON serializer would send for the same request. */
function reference(stream: string, records: { Data: Uint8Array; PartitionKey: string; ExplicitHashKey?: string }[]): string {
  return JSON.stringify({
    StreamName: stream,
    Records: records.map((r) => ({ Data: Buffer.from(r.Data).toString('base64'), PartitionKey: r.PartitionKey, ...(r.ExplicitHashKey === undefined ? {} : { ExplicitHashKey: r.ExplicitHashKey }) })),
  });
}

describe('putRecordsBody (the direct transport builds the JSON body as one buffer)', () => {
  it('equals JSON.stringify of the request, with keys that need escaping and non-ASCII text', () => {
    const records = [
      { Data: new Uint8Array([0, 1, 2, 250, 255]), PartitionKey: 'dev"ü\\x\n' },
      { Data: Buffer.from('hello world'), PartitionKey: 'a', ExplicitHashKey: '340282366920938463463374607431768211455' },
      { Data: new Uint8Array(0), PartitionKey: 'capteur-température-😀' },
      { Data: Buffer.alloc(3000, 7).subarray(100, 2100), PartitionKey: 'x' },
    ];
    assert.equal(putRecordsBody('str"eam-é', records).toString('utf8'), reference('str"eam-é', records));
  });

  it('sizes every base64 padding case exactly (data of 0 to 10 bytes, views into a larger buffer)', () => {
    const backing = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 255));
    const records = Array.from({ length: 11 }, (_, n) => ({ Data: backing.subarray(n, 2 * n), PartitionKey: `k${n}` }));
    const body = putRecordsBody('s', records);
    assert.equal(body.toString('utf8'), reference('s', records));
  });

  it('handles one record and no record', () => {
    const one = [{ Data: Buffer.from('{}'), PartitionKey: 'k' }];
    assert.equal(putRecordsBody('s', one).toString('utf8'), reference('s', one));
    assert.equal(putRecordsBody('s', []).toString('utf8'), reference('s', []));
  });
});
