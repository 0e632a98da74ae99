/** Schemas of the file, video and host sources, and the `sources` list. */
import { derived, t } from './schema.ts';
import { ABSOLUTE_PATH, FIELD_PATH, FIELD_PATH_HINT, checkPathTemplate } from './agent-config-checks.ts';
import { mqttSource, sourceName } from './agent-config-mqtt.ts';

const fieldPath = (description: string) => t.string(description, { pattern: FIELD_PATH, patternHint: FIELD_PATH_HINT });

export const fileSource = t.object(
  'Tails files (JSON lines, CSV, raw lines), following rotation; the read position is checkpointed in the state directory once the spool holds the lines.',
  {
    name: sourceName,
    paths: t.array('Glob patterns of the files to read, e.g. `/var/log/sensors/*.jsonl`.', t.string('A glob pattern.', { minLength: 1 }), {
      minItems: 1,
    }),
    format: t.enumOf(
      '`jsonl`: one JSON value per line (invalid lines go to the dead-letter file); `csv`: one row per line, cells named by the header line or `csv.columns` (the record is the row as written; with `envelope.payload: enriched` its `data` is the row as a JSON object; a row with the wrong number of cells goes to the dead-letter file); `raw`: each line is sent as is.',
      ['jsonl', 'csv', 'raw'],
      { default: 'jsonl' },
    ),
    csv: t.object('CSV options (format: csv).', {
      delimiter: t.string('Field delimiter, one character.', { default: ',', minLength: 1, maxLength: 1 }),
      header: t.boolean('The first line of each file is a header line naming the columns; `false`: every line is a row (then `columns` is required).', { default: true }),
      columns: t.array('Column names, in order: required when `header` is false; with a header line they replace its names (the header line is skipped).', t.string('A column name.', { minLength: 1 }), {
        optional: true,
        minItems: 1,
      }),
    }),
    deviceId: t.oneOf('Where the device id comes from.', {
      fromField: fieldPath('Field of the parsed line (JSON key or CSV column) holding the device id.'),
      fromPath: t.string('File path template whose `{name}` parts make the device id (joined by `/` when several), e.g. `/data/{device}/*.csv`; `*` matches within a directory level, `**` across levels.', {
        check: checkPathTemplate('/data/{device}/*.csv'),
      }),
      fixed: t.string('The same device id for every line of these files.', { minLength: 1 }),
    }),
    startAt: t.enumOf(
      'Where to start in a file seen for the first time (a checkpointed file resumes at its checkpoint): `beginning` loses nothing, `end` skips history.',
      ['beginning', 'end'],
      { default: 'beginning' },
    ),
    pollInterval: t.duration('How often files are checked for new data, new files and rotation.', { default: '1s', min: '10ms' }),
    checkpointInterval: t.duration('How often read positions are saved; after a crash at most this much input is read again (duplicates, never loss).', {
      default: '5s',
      min: '100ms',
    }),
    maxLineBytes: t.size('Longest line; longer lines go to the dead-letter file as `too-large`.', {
      default: '256KiB',
      min: '16B',
      max: '1MiB',
    }),
  },
  {
    check: (v, report) => {
      if ('fromField' in v.deviceId && v.format === 'raw') report('deviceId.fromField needs format jsonl or csv', 'deviceId', 'fromField');
      if (v.format === 'csv' && !v.csv.header && v.csv.columns === undefined) report('required when csv.header is false', 'csv', 'columns');
      const cols = v.csv.columns ?? [];
      cols.forEach((c, i) => {
        const first = cols.indexOf(c);
        if (first < i) report(`duplicate column name "${c}" (also csv.columns[${first}])`, 'csv', 'columns', i);
      });
    },
  },
);

export const videoSource = t.object(
  'Watches a directory of video segments written by cameras or an NVR. Sends one metadata record per finished segment (path, size, times, hash), never the video bytes.',
  {
    name: sourceName,
    dir: t.string('Directory to watch.', { pattern: ABSOLUTE_PATH, patternHint: 'an absolute path' }),
    patterns: t.array('File name globs of segments.', t.string('A glob pattern.', { minLength: 1 }), {
      default: ['*.mp4', '*.ts', '*.mkv'],
      minItems: 1,
    }),
    cameraId: t.oneOf(
      'Where the camera id (the record\'s device id) comes from.',
      {
        fromPath: t.string(
          'Template whose `{name}` parts make the camera id: a relative one such as `{camera}/**` is matched against the segment\'s path relative to `dir` (`<dir>/front/2024-05-01/10-00.mp4` → `front`), an absolute one against the whole path; `*` matches within one directory level, `**` across levels. A segment whose path does not fit goes to the dead-letter file (`no-device-id`).',
          { check: checkPathTemplate('{camera}/**') },
        ),
        fixed: t.string('The same camera id for every segment (a directory holding one camera\'s recordings).', { minLength: 1 }),
      },
      { default: { fromPath: '{camera}/**' } },
    ),
    stableFor: t.duration('A segment is finished when its size and mtime have not changed for this long.', { default: '2s' }),
    pollInterval: t.duration('How often the directory is scanned.', { default: '1s', min: '10ms' }),
    hash: t.enumOf('Checksum of each segment in its record: `sha256`, or `none` (no read of the whole file: saves CPU and SD-card reads on large segments; the record\'s `sha256` is null).', ['sha256', 'none'], {
      default: 'sha256',
    }),
    recursive: t.boolean('Watch subdirectories too.', { default: true }),
  },
);

export const hostSource = t.object('Reports the gateway\'s own health (CPU, memory, temperature, disk, spool volume) as records, device id = gatewayId.', {
  name: sourceName,
  interval: t.duration('Sampling interval.', { default: '10s', min: '1s' }),
  spoolVolume: t.string('Path whose file system\'s free space is reported.', {
    default: derived('<stateDir>', (root) => (root as { stateDir: string }).stateDir),
  }),
});

export const sources = t.array(
  'Inputs. Each has a unique `name` and a `type`: `mqtt`, `file`, `video` or `host`.',
  t.union('One input.', 'type', { mqtt: mqttSource, file: fileSource, video: videoSource, host: hostSource }),
  {
    minItems: 1,
    check: (list, report) => {
      const seen = new Map<string, number>();
      list.forEach((s, i) => {
        const first = seen.get(s.name);
        if (first === undefined) seen.set(s.name, i);
        else report(`duplicate source name "${s.name}" (also sources[${first}].name)`, i, 'name');
      });
    },
  },
);
