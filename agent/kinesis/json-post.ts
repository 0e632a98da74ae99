import type { Http1Pool, Http1Request } from './http1.ts';

/** A successful answer: the JSON body's fields and the SDK's `$metadata`. */
export type JsonAnswer = Record<string, unknown> & { $metadata: { httpStatusCode: number } };

/**
 * One signed JSON POST to Kinesis, over the endpoint's keep-alive sockets (http1.ts). Resolves with
 * the answer's JSON; rejects like the SDK does, so that classifyRequestError treats both alike: a
 * service error as an Error whose `name` is the service's error type, with
 * `$metadata.httpStatusCode` and `$fault`; a timeout as `TimeoutError`; a network error as Node's
 * (`code` ECONNREFUSED, ...).
 */
export async function postJson(req: Http1Request, pool: Http1Pool): Promise<JsonAnswer> {
  const res = await pool.post(req);
  const status = res.status;
  const text = res.body.toString('utf8');
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  if (status >= 200 && status < 300) return { ...json, $metadata: { httpStatusCode: status } };
  const type = String(json['__type'] ?? res.headers.get('x-amzn-errortype') ?? `HTTP${status}`).split('#').pop()?.split(':')[0] ?? 'Unknown';
  const message = String(json['message'] ?? json['Message'] ?? (text.slice(0, 200) || `HTTP ${status}`));
  throw Object.assign(new Error(message), { name: type, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' });
}
