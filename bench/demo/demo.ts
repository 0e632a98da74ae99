import { makeKinesisClient } from '../../agent/kinesis/client.ts';
import { Producer } from '../../agent/kinesis/producer.ts';
import { readStream } from '../../agent/kinesis/stream-reader.ts';
import { startKinesalite } from '../emulators/kinesalite.ts';

export interface DemoOptions {
  readonly records?: number;
  readonly devices?: number;
  readonly shards?: number;
  readonly out?: (line: string) => void;
}

export interface DemoResult {
  readonly written: number;
  readonly readBack: number;
  readonly perShard: ReadonlyMap<string, { accepted: number; readBack: number; kinesisRecords: number }>;
  readonly mispredicted: number;
}

/**
 * `npm start`: an embedded local Kinesis (kinesalite in a child process), a few thousand telemetry
 * records from simulated devices through the producer core with KPL aggregation, read back and
 * counted per shard. No external service.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const records = opts.records ?? 5000;
  const devices = opts.devices ?? 200;
  const shards = opts.shards ?? 4;
  const stream = { streamName: 'shardwise-demo' };
  out(`starting an embedded Kinesis (kinesalite) with a ${shards}-shard stream…`);
  const kinesis = await startKinesalite({ streams: [{ name: stream.streamName, shards }] });
  const client = makeKinesisClient({ endpoint: kinesis.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const perShard = new Map<string, { accepted: number; readBack: number; kinesisRecords: number }>();
    let mispredicted = 0;
    let failed = 0;
    const producer = new Producer<number>(
      { client, stream, aggregation: { enabled: true } },
      {
        onAccepted(predicted, shardId) {
          const c = perShard.get(shardId) ?? { accepted: 0, readBack: 0, kinesisRecords: 0 };
          c.accepted++;
          perShard.set(shardId, c);
          if (producer.shardMap()?.shardIdAt(predicted) !== shardId) mispredicted++;
        },
        onFailed(_t, err) {
          failed++;
          out(`record failed: ${err.code} ${err.message}`);
        },
      },
    );
    await producer.start();
    const map = producer.shardMap();
    if (!map) throw new Error('no shard map');
    out(`writing ${records} records from ${devices} devices (aggregation on, partition key = device id)…`);
    const t0 = performance.now();
    const w = new Uint32Array(4);
    const { hashPartitionKeyInto } = await import('../../agent/kinesis/hash-key.ts');
    for (let i = 0; i < records; i++) {
      const device = `device-${String(i % devices).padStart(4, '0')}`;
      const payload = { device, seq: Math.floor(i / devices), ts: Date.now(), temp: 20 + Math.round(Math.random() * 100) / 10 };
      hashPartitionKeyInto(device, w, 0);
      if (!producer.add({ partitionKey: device, data: Buffer.from(JSON.stringify(payload)) }, map.indexOfWords(w, 0))) {
        await producer.waitForCapacity();
      }
    }
    await producer.close();
    const ms = performance.now() - t0;
    const stats = producer.stats();
    for (const [id, c] of stats.perShard) {
      const row = perShard.get(id);
      if (row) row.kinesisRecords = c.kinesisRecords;
    }
    let readBack = 0;
    await readStream({
      client,
      stream,
      minCallIntervalMs: 0,
      onRecord(r) {
        readBack++;
        const c = perShard.get(r.shardId) ?? { accepted: 0, readBack: 0, kinesisRecords: 0 };
        c.readBack++;
        perShard.set(r.shardId, c);
      },
    });
    out(`wrote ${stats.userRecordsAccepted} user records in ${stats.kinesisRecordsAccepted} Kinesis records (${stats.requests} PutRecords calls) in ${ms.toFixed(0)} ms; ${failed} failed`);
    out('');
    out('shard                  hash share  accepted  read back  Kinesis records');
    const shares = map.spaceShares();
    map.shards.forEach((s, i) => {
      const c = perShard.get(s.shardId) ?? { accepted: 0, readBack: 0, kinesisRecords: 0 };
      out(
        `${s.shardId.padEnd(22)} ${`${((shares[i] ?? 0) * 100).toFixed(1)} %`.padStart(10)}  ${String(c.accepted).padStart(8)}  ${String(c.readBack).padStart(9)}  ${String(c.kinesisRecords).padStart(15)}`,
      );
    });
    out('');
    out(`read back ${readBack} of ${stats.userRecordsAccepted} records; shard predicted by our MD5 ≠ shard the server chose: ${mispredicted}`);
    return { written: stats.userRecordsAccepted, readBack, perShard, mispredicted };
  } finally {
    client.destroy();
    await kinesis.stop();
  }
}
