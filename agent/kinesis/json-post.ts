import http from 'node:http';
import https from 'node:https';

/** A successful answer: the JSON body's fields and the SDK's `$metadata`. */
export type JsonAnswer = Record<string, unknown> & { $metadata: { httpStatusCode: number } };

export interface JsonPost {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Socket inactivity timeout (connecting included). */
  readonly timeoutMs: number;
  /** Time to get a connected socket, as the SDK's `connectionTimeout` (none when absent). */
  readonly connectTimeoutMs?: number | undefined;
}

/**
 * One signed JSON POST to Kinesis. Resolves with the answer's JSON; rejects like the SDK does, so
 * that classifyRequestError treats both alike: a service error as an Error whose `name` is the
 * service's error type, with `$metadata.httpStatusCode` and `$fault`; a timeout as `TimeoutError`;
 * a network error as Node's (`code` ECONNREFUSED, ...).
 */
export function postJson(req: JsonPost, agents: { readonly http: http.Agent; readonly https: https.Agent }): Promise<JsonAnswer> {
  const plain = req.protocol === 'http:';
  const mod = plain ? http : https;
  const agent = plain ? agents.http : agents.https;
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
          resolve({ ...json, $metadata: { httpStatusCode: status } });
          return;
        }
        const type = String(json['__type'] ?? res.headers['x-amzn-errortype'] ?? `HTTP${status}`).split('#').pop()?.split(':')[0] ?? 'Unknown';
        const message = String(json['message'] ?? json['Message'] ?? (text.slice(0, 200) || `HTTP ${status}`));
        reject(Object.assign(new Error(message), { name: type, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' }));
      });
    });
    r.setTimeout(req.timeoutMs, () => r.destroy(Object.assign(new Error(`request timed out after ${req.timeoutMs} ms`), { name: 'TimeoutError' })));
    if (req.connectTimeoutMs) connectTimeout(r, req.connectTimeoutMs);
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Fails the request (TimeoutError) unless it has a connected socket within `ms`, like the SDK's NodeHttpHandler. */
function connectTimeout(r: http.ClientRequest, ms: number): void {
  const timer = setTimeout(() => {
    r.destroy(Object.assign(new Error(`the request socket did not establish a connection with the server within the configured timeout of ${ms} ms.`), { name: 'TimeoutError' }));
  }, ms);
  const clear = (): void => clearTimeout(timer);
  r.once('socket', (socket) => (socket.connecting ? socket.once('connect', clear) : clear()));
  r.once('close', clear);
}
