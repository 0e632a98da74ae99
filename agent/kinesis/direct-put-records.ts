import http from 'node:http';
import https from 'node:https';
import { PutRecordsCommand, type KinesisClient, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { JsonPostSigner } from './sigv4.ts';
import type { StreamRef } from './stream-ref.ts';

/** Sends one PutRecords request; resolves with the service's answer, rejects like the SDK does. */
export type PutRecordsSender = (stream: StreamRef, records: readonly PutRecordsRequestEntry[]) => Promise<PutRecordsCommandOutput>;

/**
 * PutRecords without the SDK's generic serializer, which base64-encodes the body in a JavaScript
 * loop and costs about a millisecond of CPU per request on top of that: the body is built with
 * Node's native base64 and JSON, then signed (SigV4, sigv4.ts) with the credentials, region and
 * endpoint the SDK client resolved (so the default provider chain and an endpoint
 * override behave exactly as for every other call). Errors are shaped like the SDK's (`name`,
 * `$metadata.httpStatusCode`, `$fault`) so they are classified the same way.
 * Used for streams named by `streamName`; a stream ARN goes through the SDK (its endpoint depends on the account).
 */
export function directPutRecords(client: KinesisClient, opts: { requestTimeoutMs?: number; maxSockets?: number } = {}): PutRecordsSender {
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 16, keepAliveMsecs: 10_000 };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  let signer: JsonPostSigner | undefined;
  let target: { protocol: string; hostname: string; port: number | undefined; path: string } | undefined;
  /** Regions outside the partitions we know the endpoint of (ISO partitions…) go through the SDK's endpoint rules. */
  let viaSdk = false;

  const resolve = async (): Promise<{ signer: JsonPostSigner; target: NonNullable<typeof target> }> => {
    if (!signer || !target) {
      const region = await client.config.region();
      signer = new JsonPostSigner(region, 'kinesis');
      const custom = client.config.endpoint ? await client.config.endpoint() : undefined;
      const suffix = /^cn-/.test(region) ? 'amazonaws.com.cn' : 'amazonaws.com';
      viaSdk = !custom && !/^(?:[a-z]{2}|us-gov)-[a-z]+-\d+$/.test(region);
      target = custom
        ? { protocol: custom.protocol, hostname: custom.hostname, port: custom.port, path: custom.path || '/' }
        : { protocol: 'https:', hostname: `kinesis.${region}.${suffix}`, port: undefined, path: '/' };
    }
    return { signer, target };
  };

  return async (stream, records) => {
    const { signer: s, target: t } = await resolve();
    if (viaSdk || stream.streamName === undefined) {
      return client.send(new PutRecordsCommand({ StreamName: stream.streamName, StreamARN: stream.streamARN, Records: [...records] }));
    }
    const body = putRecordsBody(stream.streamName, records);
    const host = t.port === undefined ? t.hostname : `${t.hostname}:${t.port}`;
    // The SDK's provider chain, memoized by the client (refreshed before expiry), as for its own calls.
    const creds = await client.config.credentials();
    const headers = s.sign({ host, path: t.path, target: 'Kinesis_20131202.PutRecords', body }, creds);
    return send(t.protocol === 'http:' ? http : https, t.protocol === 'http:' ? httpAgent : httpsAgent, {
      hostname: t.hostname,
      port: t.port,
      path: t.path,
      headers,
      body,
      timeoutMs,
    });
  };
}

function send(
  mod: typeof http | typeof https,
  agent: http.Agent,
  req: { hostname: string; port: number | undefined; path: string; headers: Record<string, string>; body: Buffer; timeoutMs: number },
): Promise<PutRecordsCommandOutput> {
  return new Promise((resolve, reject) => {
    const r = mod.request({ method: 'POST', hostname: req.hostname, port: req.port, path: req.path, headers: req.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          json = {};
        }
        if (status >= 200 && status < 300) {
          resolve({ ...(json as object), $metadata: { httpStatusCode: status } } as PutRecordsCommandOutput);
          return;
        }
        const type = String(json['__type'] ?? res.headers['x-amzn-errortype'] ?? `HTTP${status}`).split('#').pop()?.split(':')[0] ?? 'Unknown';
        const message = String(json['message'] ?? json['Message'] ?? (text.slice(0, 200) || `HTTP ${status}`));
        reject(Object.assign(new Error(message), { name: type, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' }));
      });
    });
    r.setTimeout(req.timeoutMs, () => r.destroy(Object.assign(new Error(`request timed out after ${req.timeoutMs} ms`), { name: 'TimeoutError' })));
    r.on('error', reject);
    r.end(req.body);
  });
}

/**
 * The PutRecords JSON body as one buffer: each record's base64 text (native, ASCII) is copied in
 * once, so the body is never a JavaScript string that would be scanned by JSON.stringify, measured
 * by Buffer.byteLength, and converted to bytes again for the hash and for the socket.
 */
export function putRecordsBody(streamName: string, records: readonly PutRecordsRequestEntry[]): Buffer {
  const texts: string[] = new Array<string>(records.length * 2);
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as PutRecordsRequestEntry;
    const d = r.Data as Uint8Array;
    const b64 = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
    const tail = `","PartitionKey":${JSON.stringify(r.PartitionKey)}${r.ExplicitHashKey === undefined ? '' : `,"ExplicitHashKey":${JSON.stringify(r.ExplicitHashKey)}`}}`;
    texts[2 * i] = b64;
    texts[2 * i + 1] = tail;
    size += b64.length + Buffer.byteLength(tail) + 10; // 10: `{"Data":"` and a comma (or the closing bracket)
  }
  const head = `{"StreamName":${JSON.stringify(streamName)},"Records":[`;
  const headBytes = Buffer.byteLength(head);
  const buf = Buffer.allocUnsafe(headBytes + size + 1 + (records.length === 0 ? 1 : 0));
  let o = buf.write(head, 0, 'utf8');
  for (let i = 0; i < records.length; i++) {
    o += buf.write(i === 0 ? '{"Data":"' : ',{"Data":"', o, 'latin1');
    o += buf.write(texts[2 * i] as string, o, 'latin1');
    o += buf.write(texts[2 * i + 1] as string, o, 'utf8');
  }
  o += buf.write(']}', o, 'latin1');
  return o === buf.length ? buf : buf.subarray(0, o);
}
