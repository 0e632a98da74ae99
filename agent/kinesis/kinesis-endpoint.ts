import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { credentialsSource } from './credentials.ts';
import { Http1Pool } from './http1.ts';
import { postJson, type JsonAnswer } from './json-post.ts';
import { defaultRegion, loadKinesisClient, quietSdkNodeVersionWarning, type KinesisClientOptions } from './sdk-client.ts';
import { JsonPostSigner, type SigningCredentials } from './sigv4.ts';
import type { StreamRef } from './stream-ref.ts';

/** How requests are sent (ProducerOptions.transport, `sink.transport`). */
export type Transport = 'direct' | 'sdk';

/** Where an endpoint URL points (the fields of the SDK's parseUrl). */
interface Url {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
}

/** What an endpoint is built from: its own options (the agent) or an SDK client (the bench, tests). */
interface Origin {
  region(): Promise<string>;
  /** The endpoint override, if any. */
  custom(): Promise<Url | undefined>;
  credentials(): Promise<SigningCredentials>;
  client(): Promise<KinesisClient>;
  /** Releases the SDK client if this origin made one. */
  release(): void;
}

interface Resolved {
  readonly signer: JsonPostSigner;
  /** Undefined: the region is outside the partitions whose endpoint we know; only the SDK's endpoint rules can reach it. */
  readonly url: (Url & { readonly host: string }) | undefined;
}

export interface KinesisEndpointOptions {
  /** Sockets per host of the direct requests. Default 16. */
  readonly maxSockets?: number | undefined;
  /** Timeout of one direct request (socket inactivity). Default 10 s. */
  readonly requestTimeoutMs?: number | undefined;
  /** Time a ListShards request may take to get a connected socket, as the SDK client's `connectionTimeout`. Default 5 s. */
  readonly connectionTimeoutMs?: number | undefined;
}

/**
 * One Kinesis endpoint for JSON requests sent without the AWS SDK (PutRecords, ListShards): region,
 * endpoint URL, credentials, the SigV4 signer (sigv4.ts) and its keep-alive sockets (http1.ts).
 * The SDK client stays available through sdkClient() for what the direct path does not handle
 * (stream ARNs, regions outside the known partitions, `transport: sdk`); made by create(), it is
 * imported and built on first use only.
 */
export class KinesisEndpoint {
  private readonly maxSockets: number;
  /** Keep-alive sockets to the resolved endpoint, made on the first request. */
  private pool: Http1Pool | undefined;
  private readonly timeoutMs: number;
  /** See KinesisEndpointOptions.connectionTimeoutMs. */
  readonly connectionTimeoutMs: number;
  private resolved: Promise<Resolved> | undefined;

  private constructor(
    private readonly origin: Origin,
    opts: KinesisEndpointOptions,
  ) {
    this.maxSockets = opts.maxSockets ?? 16;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.connectionTimeoutMs = opts.connectionTimeoutMs ?? 5_000;
  }

  /**
   * The agent's endpoint: region as makeKinesisClient resolves it (the option, else AWS_REGION, else
   * us-east-1); credentials static or from the default provider chain (credentials.ts); an SDK client
   * with the same options when one is needed.
   */
  static create(opts: KinesisClientOptions): KinesisEndpoint {
    quietSdkNodeVersionWarning();
    const region = defaultRegion(opts.region);
    const custom = opts.endpoint === undefined ? undefined : parseUrl(opts.endpoint);
    const credentials = credentialsSource(opts.credentials, region);
    let client: Promise<KinesisClient> | undefined;
    return new KinesisEndpoint(
      {
        region: () => Promise.resolve(region),
        custom: () => Promise.resolve(custom),
        credentials,
        client: () => {
          client ??= loadKinesisClient(opts).catch((err: unknown) => {
            client = undefined;
            throw err;
          });
          return client;
        },
        release: () => void client?.then((c) => c.destroy(), () => undefined),
      },
      opts,
    );
  }

  /** An endpoint over an SDK client's resolved region, endpoint and credentials (memoized by the client, refreshed before expiry). */
  static fromClient(client: KinesisClient, opts: KinesisEndpointOptions = {}): KinesisEndpoint {
    return new KinesisEndpoint(
      {
        region: () => client.config.region(),
        custom: async () => {
          const e = client.config.endpoint ? await client.config.endpoint() : undefined;
          return e && { protocol: e.protocol, hostname: e.hostname, port: e.port, path: e.path };
        },
        credentials: () => client.config.credentials(),
        client: () => Promise.resolve(client),
        release: () => undefined,
      },
      opts,
    );
  }

  /** Whether direct requests can reach the stream's region (else use sdkClient()). */
  async direct(): Promise<boolean> {
    return (await this.resolve()).url !== undefined;
  }

  /**
   * The one rule for going direct: `transport` is `direct`, the stream is named (an ARN's endpoint
   * depends on the account: SDK) and the region is reachable (direct()).
   */
  async goesDirect(stream: StreamRef, transport: Transport = 'direct'): Promise<boolean> {
    return transport === 'direct' && stream.streamName !== undefined && stream.streamARN === undefined && (await this.direct());
  }

  /**
   * Signs and sends one JSON request, `target` e.g. `Kinesis_20131202.ListShards`. Errors are shaped
   * like the SDK's (json-post.ts). `connectTimeoutMs`: a time limit to get a connected socket.
   */
  async post(target: string, body: Buffer, connectTimeoutMs?: number): Promise<JsonAnswer> {
    const { signer, url } = await this.resolve();
    if (!url) throw new Error('KinesisEndpoint.post: this region is reached through the SDK only (check direct() first)');
    const headers = signer.sign({ host: url.host, path: url.path, target, body }, await this.origin.credentials());
    this.pool ??= new Http1Pool(url, { maxSockets: this.maxSockets });
    return postJson({ path: url.path, headers, body, timeoutMs: this.timeoutMs, connectTimeoutMs }, this.pool);
  }

  /** The SDK client, for what the direct path does not handle. */
  sdkClient(): Promise<KinesisClient> {
    return this.origin.client();
  }

  /** Closes the keep-alive sockets (and the SDK client, if this endpoint made one). */
  destroy(): void {
    this.pool?.destroy();
    this.pool = undefined;
    this.origin.release();
  }

  private resolve(): Promise<Resolved> {
    this.resolved ??= this.doResolve().catch((err: unknown) => {
      this.resolved = undefined;
      throw err;
    });
    return this.resolved;
  }

  private async doResolve(): Promise<Resolved> {
    const region = await this.origin.region();
    const signer = new JsonPostSigner(region, 'kinesis');
    const custom = await this.origin.custom();
    const suffix = /^cn-/.test(region) ? 'amazonaws.com.cn' : 'amazonaws.com';
    if (!custom && !/^(?:[a-z]{2}|us-gov)-[a-z]+-\d+$/.test(region)) return { signer, url: undefined };
    const url: Url = custom
      ? { protocol: custom.protocol, hostname: custom.hostname, port: custom.port, path: custom.path || '/' }
      : { protocol: 'https:', hostname: `kinesis.${region}.${suffix}`, port: undefined, path: '/' };
    return { signer, url: { ...url, host: url.port === undefined ? url.hostname : `${url.hostname}:${url.port}` } };
  }
}

/** As the SDK parses an endpoint string (@smithy/core parseUrl). */
function parseUrl(endpoint: string): Url {
  const u = new URL(endpoint);
  return { protocol: u.protocol, hostname: u.hostname, port: u.port ? parseInt(u.port, 10) : undefined, path: u.pathname };
}
