/**
 * The boundary every input implements (MQTT, files, video chunks, host health).
 * Data flows one way: a source hands records to `Downstream.accept` and only acknowledges
 * upstream (MQTT PUBACK, file checkpoint, "segment processed") once `accept` has resolved,
 * i.e. once the next stage holds the records as durably as configured.
 */

/** One record as a source sees it, before the envelope stage stamps it. */
export interface SourceRecord {
  /** Device (or camera, or host) the record belongs to; drives keying and per-device order. */
  readonly deviceId: string;
  /** Event time in ms since the epoch when the input carries one; otherwise ingest time is used. */
  readonly eventTime?: number | undefined;
  /** The bytes to send (never video bytes: the video source sends metadata only). */
  readonly payload: Uint8Array;
  /** Parsed fields, when the source parsed the payload (JSON line, CSV row, MQTT JSON): lets keying use a field without re-parsing. */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /** True when the source checked, byte for byte, that `payload` is one JSON text in valid UTF-8: the enriched envelope then splices it in without checking it again. */
  readonly json?: boolean | undefined;
}

/** Why an input was refused; stable strings used as metric labels and in the dead-letter file. */
export type RejectReason =
  | 'malformed-json'
  | 'malformed-csv'
  | 'too-large'
  | 'empty'
  | 'no-device-id'
  | 'binary-payload'
  | 'unreadable-file'
  /** The keying strategy could not build a key (e.g. the keyed field is missing). */
  | 'no-partition-key';

export interface AcceptOptions {
  /**
   * The input keeps these records and can read them again (files, video segments on disk): the
   * next stage may then hold the call back instead of buffering (spill mode does not write such
   * records to disk while Kinesis keeps up). MQTT messages are not replayable.
   */
  readonly replayable?: boolean;
}

export interface Downstream {
  /**
   * Hand records to the next stage. Resolves once they are held as durably as configured.
   * While the next stage applies backpressure (spool full with onFull=block) it stays pending;
   * a source must not acknowledge upstream before it resolves.
   */
  accept(source: string, records: readonly SourceRecord[], opts?: AcceptOptions): Promise<void>;
  /**
   * Optional: resolves once a batch accepted with `opts` would be taken without waiting (undefined:
   * at once). A source that can wait before it reads (a file) awaits this before building a batch,
   * so its records are not held in memory while the next stage applies backpressure.
   */
  ready?(opts?: AcceptOptions): Promise<void> | undefined;
  /** Bad input: counted by reason and written to the dead-letter file. Never throws. */
  reject(source: string, reason: RejectReason, raw: Uint8Array | string, detail?: string): void;
}

export interface SourceHealth {
  readonly up: boolean;
  /** Human-readable state, e.g. "connected", "reconnecting (3)", "watching 4 files". */
  readonly state: string;
}

export interface Source {
  /** Instance name from the config (unique), used in metrics, logs and the envelope. */
  readonly name: string;
  /** `mqtt` | `file` | `video` | `host`. */
  readonly kind: string;
  /** Begins I/O. Constructors only store configuration. */
  start(downstream: Downstream): Promise<void>;
  /** Stops taking new input, waits for in-flight `accept` calls, persists checkpoints. */
  stop(): Promise<void>;
  health(): SourceHealth;
}
