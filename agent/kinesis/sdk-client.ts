/**
 * The AWS SDK's Kinesis client, loaded only when needed. `@aws-sdk/client-kinesis` and
 * `@smithy/node-http-handler` cost 1.5-2.5 MiB of RSS once imported (module source kept by V8 plus
 * compiled code), so the agent's default path (a stream named by `stream`, direct transport) never
 * loads them: they are imported here with `await import()`, which the bundle keeps as a dynamic
 * import. Only `import type` of the SDK may appear elsewhere in the agent's code (client.ts, which
 * imports it statically for the bench and the tests, is not part of the agent).
 */
import http from 'node:http';
import https from 'node:https';
import type { KinesisClient, KinesisClientConfig } from '@aws-sdk/client-kinesis';
import type { NodeHttpHandler } from '@smithy/node-http-handler';

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

type KinesisSdk = typeof import('@aws-sdk/client-kinesis');

let sdk: Promise<KinesisSdk> | undefined;

/** The `@aws-sdk/client-kinesis` module (commands), imported on first use. */
export function loadKinesisSdk(): Promise<KinesisSdk> {
  sdk ??= import('@aws-sdk/client-kinesis');
  return sdk;
}

/** The region every Kinesis client of ours uses: the configured one, else AWS_REGION, else us-east-1. */
export function defaultRegion(region: string | undefined): string {
  return region ?? process.env['AWS_REGION'] ?? 'us-east-1';
}

/** On Node < 22 the SDK prints a NodeVersionSupportWarning on stderr; keep it out of user-facing output (an explicit user setting wins). */
export function quietSdkNodeVersionWarning(): void {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
}

/**
 * The configuration of a Kinesis client over HTTP/1.1 keep-alive. The SDK's default handler (HTTP/2
 * for Kinesis) fails against local emulators under concurrency; keep-alive HTTP/1.1 is also what a
 * gateway on a flaky uplink wants. SDK-level retries are off: the producer retries per record, never
 * whole batches. `Handler`: the SDK's NodeHttpHandler class (imported by the caller, statically or not).
 */
export function kinesisClientConfig(opts: KinesisClientOptions, Handler: typeof NodeHttpHandler): KinesisClientConfig {
  quietSdkNodeVersionWarning();
  const maxSockets = opts.maxSockets ?? 16;
  const agentOpts = { keepAlive: true, maxSockets, keepAliveMsecs: 10_000 };
  return {
    region: defaultRegion(opts.region),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    // A copy: the SDK writes bookkeeping fields ($source) into the credentials object it is given.
    ...(opts.credentials ? { credentials: { ...opts.credentials } } : {}),
    maxAttempts: 1,
    requestHandler: new Handler({
      httpAgent: new http.Agent(agentOpts),
      httpsAgent: new https.Agent(agentOpts),
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      // Without this the handler only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      connectionTimeout: opts.connectionTimeoutMs ?? 5_000,
    }),
  };
}

/** A KinesisClient as makeKinesisClient (client.ts) builds it, with the SDK imported now if it was not yet. */
export async function loadKinesisClient(opts: KinesisClientOptions): Promise<KinesisClient> {
  const [{ KinesisClient: Client }, { NodeHttpHandler: Handler }] = await Promise.all([loadKinesisSdk(), import('@smithy/node-http-handler')]);
  return new Client(kinesisClientConfig(opts, Handler));
}
