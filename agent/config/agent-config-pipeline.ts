/** Schemas of the stages between sources and sink: envelope, keying, spool, dead letters. */
import { derived, t } from './schema.ts';
import { formatSize } from './units.ts';
import { FIELD_PATH, FIELD_PATH_HINT, checkKeyTemplate, underStateDir } from './agent-config-checks.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export const envelope = t.object('What is sent for each input record.', {
  payload: t.enumOf(
    '`raw`: the payload bytes as received. `enriched`: a JSON object `{ gatewayId, source, deviceId, seq, eventTime, ingestTime, data }` (`data` is the payload embedded as JSON when it is JSON, else the parsed CSV fields, else base64 with `"encoding":"base64"`).',
    ['raw', 'enriched'],
    { default: 'raw' },
  ),
});

export const keying = t.object(
  'How records get their partition key, which decides their shard. Kinesis keeps order per shard only.',
  {
    strategy: t.enumOf(
      '`device`: the device id (order per device; spreads well with many devices). `field`: a payload field (beware low-cardinality fields: hot shards). `template`: a key built from a template. `random`: a random key (even spread, no order). `salted`: device id + one of `salt.buckets` suffixes (spreads a chatty device over several shards; order per bucket only). `balanced`: devices placed on shards by measured load (explicit hash keys), moved when a shard runs hot.',
      ['device', 'field', 'template', 'random', 'salted', 'balanced'],
      { default: 'device' },
    ),
    field: t.string('Payload field used as the key (strategy: field), e.g. `site.id`.', {
      optional: true,
      pattern: FIELD_PATH,
      patternHint: FIELD_PATH_HINT,
    }),
    template: t.string('Key template (strategy: template): text with `{device}` (the device id) and `{field.path}` slots (payload fields), e.g. `{site}-{device}`; `{{` and `}}` write braces.', {
      optional: true,
      check: checkKeyTemplate,
    }),
    salt: t.object('Options of strategy: salted.', {
      buckets: t.integer('Number of keys (k) each device is spread over.', { default: 4, min: 2, max: 256 }),
    }),
    balanced: t.object('Options of strategy: balanced.', {
      rebalanceThreshold: t.number('A shard is hot when its load exceeds this multiple of the fair share (1.2 = 20 % above the mean).', {
        default: 1.2,
        exclusiveMin: 1,
        max: 10,
      }),
      rebalanceAfter: t.duration('A shard must stay hot this long before devices are moved off it.', { default: '30s', min: '1s' }),
      loadWindow: t.duration('Window over which per-device load is measured.', { default: '1m', min: '1s' }),
      stateFile: t.string('Where device placements are kept across restarts.', { default: underStateDir('keying-balance.json') }),
    }),
  },
  {
    check: (v, report) => {
      if (v.strategy === 'field' && v.field === undefined) report('required with strategy: field', 'field');
      if (v.strategy === 'template' && v.template === undefined) report('required with strategy: template', 'template');
    },
  },
);

export const spool = t.object(
  'The durable buffer between sources and sink, and the one retry queue. A record is acknowledged to its source once the spool holds it as durably as `mode` and `fsync` say, and forgotten once Kinesis accepted it.',
  {
    mode: t.enumOf(
      '`always`: every record is on disk (and fsynced, per `fsync`) before it is acknowledged to its source. `spill`: records stay in memory while Kinesis keeps up and go to disk while the sink is down or throttled, or when `memoryBytes` is exceeded, and at shutdown; 0 bytes written while healthy (SD-card friendly); a crash or power cut loses the in-memory part. `memory`: never touches the disk; a restart loses the buffer. See docs/durability.md.',
      ['always', 'spill', 'memory'],
      { default: 'spill' },
    ),
    dir: t.string('Directory of the spool segments.', { default: underStateDir('spool') }),
    maxBytes: t.size('Largest spool (disk and memory together); when full, `onFull` applies.', { default: '256MiB', min: '1MiB', max: '1TiB' }),
    memoryBytes: t.size('Memory for records before spilling to disk (mode spill); at most maxBytes/2.', {
      default: derived('min(16MiB, maxBytes/4)', (_root, parent) => Math.min(16 * MiB, Math.floor(Number(parent['maxBytes']) / 4))),
      min: '64KiB',
    }),
    onFull: t.enumOf(
      '`block`: stop reading inputs (MQTT stops acknowledging, files stop advancing) until room frees up. `drop-oldest`: discard the oldest records. `drop-newest`: refuse new records. Drops are counted in metrics.',
      ['block', 'drop-oldest', 'drop-newest'],
      { default: 'block' },
    ),
    fsync: t.object('When written data is flushed to the medium.', {
      policy: t.enumOf(
        '`batch`: fsync each write batch before acknowledging it. `interval`: one group fsync every `intervalMs`; appends are acknowledged after the fsync that covers them, so nothing acknowledged is lost on power loss (fewer fsyncs: kinder to SD cards; adds up to `intervalMs` of latency). `never`: acknowledged after the write; survives kill -9, but a power cut may lose the last tens of seconds.',
        ['batch', 'interval', 'never'],
        { default: 'interval' },
      ),
      intervalMs: t.duration('Flush interval of policy: interval.', { default: 100, min: '1ms', max: '10s' }),
    }),
    segmentBytes: t.size('Size of one spool file; whole files are deleted once all their records are accepted. At most maxBytes/4.', {
      default: derived('maxBytes/8, between 64KiB and 8MiB', (_root, parent) =>
        Math.min(8 * MiB, Math.max(64 * KiB, Math.floor(Number(parent['maxBytes']) / 8))),
      ),
      min: '64KiB',
      max: '1GiB',
    }),
    cursorInterval: t.duration(
      'How often the acknowledged position (the low-water mark) is written to disk, when it moved: after a crash, at most this much of the records Kinesis had already accepted are sent again (duplicates). Shorter: fewer duplicates, one small write + fsync more per interval.',
      { default: 200, min: '10ms', max: '1m' },
    ),
    replayShare: t.number(
      "Share of the stream's write capacity (`sink.rateLimit.bytesPerSec` and, without aggregation, `recordsPerSec`, × open shards) the backlog may use while it drains: records that waited in the spool more than 2 s are sent at most this fast, so catching up after an outage does not throttle the stream for its other producers. The spool is FIFO: live records wait behind the backlog, per-device order holds. A gateway whose own live rate is above this share never catches up: raise it (1 = the whole stream). Not applied when `sink.rateLimit.enabled` is false. Metrics: `shardwise_spool_replay_*`, `shardwise_spool_drain_eta_seconds`.",
      {
        default: 0.5,
        exclusiveMin: 0,
        max: 1,
      },
    ),
  },
  {
    check: (v, report) => {
      // Derived defaults are filled in after checks: an absent value is undefined here and always fits.
      const memory = v.memoryBytes as number | undefined;
      const segment = v.segmentBytes as number | undefined;
      if (memory !== undefined && memory > v.maxBytes / 2) report(`must not exceed spool.maxBytes / 2 (${formatSize(Math.floor(v.maxBytes / 2))})`, 'memoryBytes');
      if (segment !== undefined && segment > v.maxBytes / 4) report(`must not exceed spool.maxBytes / 4 (${formatSize(Math.floor(v.maxBytes / 4))})`, 'segmentBytes');
    },
  },
);

export const deadLetter = t.object('Where refused input goes (malformed JSON or CSV, too large, no device id), one JSON line per input with the reason.', {
  path: t.string('Dead-letter file; rotated to `<path>.1` … when full.', { default: underStateDir('dead-letter.jsonl') }),
  maxBytes: t.size('Size at which the file is rotated.', { default: '16MiB', min: '64KiB' }),
  maxFiles: t.integer('Rotated files kept; older ones are deleted.', { default: 4, min: 1, max: 100 }),
});
