/**
 * The sequence state file: `{"version":1,"epoch":E,"devices":{"<deviceId>":<counter>,…}}`, kept as
 * `<file>` (current) and `<file>.prev` (the one before). A write goes to `<file>.tmp`, is fsynced,
 * then `<file>` → `<file>.prev` and `<file>.tmp` → `<file>` (renames, atomic), then the directory
 * is fsynced. So at any instant at least one of the two files is complete, whatever a crash or power
 * cut interrupts; `.prev` also covers a current file the medium corrupted.
 *
 * Loading (see DeviceSequencer for why this never lets a number repeat):
 * - `<file>` readable: its epoch and counters;
 * - else `<file>.prev` readable: its epoch + 1 (the lost current file had at most that) and counters;
 * - neither exists: a first start (epoch 0, no counters);
 * - files exist but none is readable: E_SEQ_STATE (the operator decides; see docs).
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ShardwiseError } from '../core/errors.ts';

export const MAX_COUNTER = 2 ** 32 - 1;
export const MAX_EPOCH = 2 ** 21 - 1;

export interface SeqState {
  readonly epoch: number;
  readonly devices: Map<string, number>;
}

type ReadResult = { readonly kind: 'ok'; readonly state: SeqState } | { readonly kind: 'missing' } | { readonly kind: 'corrupt'; readonly why: string };

export interface LoadedSeqState {
  /** Highest epoch that may have been used before; the new run uses base + 1. */
  readonly base: number;
  readonly devices: Map<string, number>;
  /** What was found, for the start-up log (e.g. "current file corrupt: …; resumed from .prev"). */
  readonly note: string;
}

export async function loadSeqState(file: string): Promise<LoadedSeqState> {
  const cur = await readSeqFile(file);
  if (cur.kind === 'ok') return { base: cur.state.epoch, devices: cur.state.devices, note: 'resumed' };
  const prev = await readSeqFile(`${file}.prev`);
  if (cur.kind === 'corrupt') {
    // Out of the way, so the next write's `<file>` → `<file>.prev` rename cannot replace a good .prev with it.
    await rename(file, `${file}.corrupt`);
  }
  if (prev.kind === 'ok') {
    const why = cur.kind === 'corrupt' ? `current file corrupt (${cur.why}), kept as ${file}.corrupt` : 'current file missing';
    return { base: prev.state.epoch + 1, devices: prev.state.devices, note: `${why}; resumed from ${file}.prev` };
  }
  if (cur.kind === 'missing' && prev.kind === 'missing') return { base: 0, devices: new Map(), note: 'first start' };
  throw new ShardwiseError(
    'E_SEQ_STATE',
    `sequence state ${file} and ${file}.prev are unreadable (${cur.kind === 'corrupt' ? cur.why : 'missing'}; ${prev.kind === 'corrupt' ? prev.why : 'missing'}): ` +
      `per-device sequence numbers cannot be guaranteed not to repeat. Delete ${file}* to start numbering afresh.`,
  );
}

async function readSeqFile(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new ShardwiseError('E_SEQ_STATE', `cannot read sequence state ${path}: ${(err as Error).message}`, { cause: err });
  }
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    return { kind: 'corrupt', why: (err as Error).message };
  }
  const r = o as { version?: unknown; epoch?: unknown; devices?: unknown };
  if (typeof o !== 'object' || o === null || r.version !== 1) return { kind: 'corrupt', why: 'not a version 1 state' };
  if (typeof r.epoch !== 'number' || !Number.isInteger(r.epoch) || r.epoch < 0 || r.epoch > MAX_EPOCH) return { kind: 'corrupt', why: `bad epoch ${String(r.epoch)}` };
  if (typeof r.devices !== 'object' || r.devices === null || Array.isArray(r.devices)) return { kind: 'corrupt', why: 'devices is not an object' };
  const devices = new Map<string, number>();
  for (const [id, n] of Object.entries(r.devices as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_COUNTER) return { kind: 'corrupt', why: `bad counter for device ${JSON.stringify(id)}` };
    devices.set(id, n);
  }
  return { kind: 'ok', state: { epoch: r.epoch, devices } };
}

/**
 * Writes `text` as the new current file. `stillCurrent()` is asked right before the renames (which
 * are synchronous, so nothing runs in between): when it says false a newer state has been written
 * meanwhile (writeSeqStateSync), and this older one is discarded. Returns whether it was installed.
 */
export async function writeSeqState(file: string, text: string, stillCurrent: () => boolean = () => true): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (!stillCurrent()) {
    await unlink(tmp).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
    return false;
  }
  swapIn(file, tmp);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return true;
}

/** The same, synchronously, for the rare epoch bump on the hot path (a counter reached 2^32 − 1). */
export function writeSeqStateSync(file: string, text: string): void {
  const tmp = `${file}.tmp-sync`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  swapIn(file, tmp);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function swapIn(file: string, tmp: string): void {
  try {
    renameSync(file, `${file}.prev`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  renameSync(tmp, file);
}

/** Serialises a state. */
export function formatSeqState(epoch: number, devices: Iterable<readonly [string, number]>): string {
  let s = `{"version":1,"epoch":${epoch},"devices":{`;
  let first = true;
  for (const [id, counter] of devices) {
    s += `${first ? '' : ','}${JSON.stringify(id)}:${counter}`;
    first = false;
  }
  return `${s}}}\n`;
}
