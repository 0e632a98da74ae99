import http from 'node:http';
import https from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface KinesisClientOptions {
  readonly region?: string | undefined;
  /** Endpoint override (emulators, VPC endpoints). */
  readonly endpoint?: string | undefined;
  /** Static keys; absent means the SDK's default provider chain (env, shared files, IMDS, container, web identity). */
  readonly credentials?: StaticCredentials | undefined;
  /** Sockets per host; at least the producer's request concurrency. */
  readonly maxSockets?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
  readonly connectionTimeoutMs?: number | undefined;
}

/**
 * A Kinesis client over HTTP/1.1 keep-alive. The SDK's default handler (HTTP/2 for Kinesis) fails
 * against local emulators under concurrency; keep-alive HTTP/1.1 is also what a gateway on a flaky
 * uplink wants. SDK-level retries are off: the producer retries per record, never whole batches.
 */
export function makeKinesisClient(opts: KinesisClientOptions = {}): KinesisClient {
  // On Node < 22 the SDK prints a NodeVersionSupportWarning on stderr; keep it out of user-facing
  // output (an explicit user setting wins).
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const maxSockets = opts.maxSockets ?? 16;
  const agentOpts = { keepAlive: true, maxSockets, keepAliveMsecs: 10_000 };
  return new KinesisClient({
    region: opts.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    // A copy: the SDK writes bookkeeping fields ($source) into the credentials object it is given.
    ...(opts.credentials ? { credentials: { ...opts.credentials } } : {}),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agentOpts),
      httpsAgent: new https.Agent(agentOpts),
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      // Without this the handler only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      connectionTimeout: opts.connectionTimeoutMs ?? 5_000,
    }),
  });
}
