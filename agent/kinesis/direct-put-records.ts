import type { PutRecordsCommandOutput, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { KinesisEndpoint, Transport } from './kinesis-endpoint.ts';
import { loadKinesisSdk } from './sdk-client.ts';
import { streamParams, type StreamRef } from './stream-ref.ts';

/** Sends one PutRecords request; resolves with the service's answer, rejects like the SDK does. */
export type PutRecordsSender = (stream: StreamRef, records: readonly PutRecordsRequestEntry[]) => Promise<PutRecordsCommandOutput>;

/**
 * PutRecords without the SDK's generic serializer, which base64-encodes the body in a JavaScript
 * loop and costs about a millisecond of CPU per request on top of that: the body is built with
 * Node's native base64 and JSON, then signed (SigV4, sigv4.ts) and sent by the endpoint
 * (kinesis-endpoint.ts) with its region, endpoint and credentials. Errors are shaped like the SDK's
 * (`name`, `$metadata.httpStatusCode`, `$fault`) so they are classified the same way.
 * Used when KinesisEndpoint.goesDirect says so; a stream ARN (its endpoint depends on the account), a
 * region outside the partitions the endpoint knows and `transport: sdk` go through the SDK.
 */
export function putRecordsSender(endpoint: KinesisEndpoint, transport: Transport = 'direct'): PutRecordsSender {
  return async (stream, records) => {
    if (stream.streamName === undefined || !(await endpoint.goesDirect(stream, transport))) return sdkPutRecords(endpoint, stream, records);
    const body = putRecordsBody(stream.streamName, records);
    return (await endpoint.post('Kinesis_20131202.PutRecords', body)) as unknown as PutRecordsCommandOutput;
  };
}

/** PutRecords through the SDK client (imported on first use). */
async function sdkPutRecords(endpoint: KinesisEndpoint, stream: StreamRef, records: readonly PutRecordsRequestEntry[]): Promise<PutRecordsCommandOutput> {
  const [{ PutRecordsCommand }, client] = await Promise.all([loadKinesisSdk(), endpoint.sdkClient()]);
  return client.send(new PutRecordsCommand({ ...streamParams(stream), Records: [...records] }));
}

/**
 * The PutRecords JSON body as one buffer: each record's base64 text (native, ASCII) is copied in
 * once, so the body is never a JavaScript string that would be scanned by JSON.stringify, measured
 * by Buffer.byteLength, and converted to bytes again for the hash and for the socket.
 * The body's size is known before any text is made (base64 of n bytes is 4 * ceil(n / 3) long),
 * and each record's text is written as soon as it is made, so it dies at once instead of being
 * held, with the request's other texts (megabytes of them), until all are made.
 */
export function putRecordsBody(streamName: string, records: readonly PutRecordsRequestEntry[]): Buffer {
  const tails: string[] = new Array<string>(records.length);
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as PutRecordsRequestEntry;
    const tail = `","PartitionKey":${JSON.stringify(r.PartitionKey)}${r.ExplicitHashKey === undefined ? '' : `,"ExplicitHashKey":${JSON.stringify(r.ExplicitHashKey)}`}}`;
    tails[i] = tail;
    size += 4 * Math.ceil((r.Data as Uint8Array).byteLength / 3) + Buffer.byteLength(tail) + 10; // 10: `{"Data":"` and a comma (or the closing bracket)
  }
  const head = `{"StreamName":${JSON.stringify(streamName)},"Records":[`;
  const headBytes = Buffer.byteLength(head);
  const buf = Buffer.allocUnsafe(headBytes + size + 1 + (records.length === 0 ? 1 : 0));
  let o = buf.write(head, 0, 'utf8');
  for (let i = 0; i < records.length; i++) {
    const d = (records[i] as PutRecordsRequestEntry).Data as Uint8Array;
    o += buf.write(i === 0 ? '{"Data":"' : ',{"Data":"', o, 'latin1');
    o += buf.write(Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64'), o, 'latin1');
    o += buf.write(tails[i] as string, o, 'utf8');
  }
  o += buf.write(']}', o, 'latin1');
  return o === buf.length ? buf : buf.subarray(0, o);
}
