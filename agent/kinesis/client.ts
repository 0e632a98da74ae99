import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { kinesisClientConfig, type KinesisClientOptions } from './sdk-client.ts';

export type { KinesisClientOptions, StaticCredentials } from './sdk-client.ts';

/**
 * A Kinesis client over HTTP/1.1 keep-alive (see kinesisClientConfig), built synchronously: for the
 * bench, the tests and stream-reader.ts. Imports the SDK statically, so the agent never imports this
 * file: it uses KinesisEndpoint (kinesis-endpoint.ts), which loads the SDK only when it needs it.
 */
export function makeKinesisClient(opts: KinesisClientOptions = {}): KinesisClient {
  return new KinesisClient(kinesisClientConfig(opts, NodeHttpHandler));
}
